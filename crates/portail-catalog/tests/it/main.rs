//! The dataset lifecycle on a real data directory: versions, atomic switch, rollback, failures
//! that leave the serving version alone, locking and queued jobs.

use portail_catalog::{no_progress, Catalog, CatalogError, ImportRequest, JobParams};
use portail_core::{FieldOverride, FieldType, Lang, Localized};
use portail_ingest::SourceOptions;
use portail_store::{JobStatus, MetadataStore, NewPortal, SqliteStore};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ingest").join(name)
}

async fn setup() -> (tempfile::TempDir, Catalog, i64) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("portail.db")).await.unwrap());
    let portal = store
        .create_portal(
            &NewPortal {
                slug: "demo".into(),
                name: "Demo".into(),
                default_lang: Lang::Fr,
                langs: vec![Lang::En, Lang::Fr],
                title: Localized::new("Demo", "Démo"),
                description: Localized::default(),
                domains: vec![],
            },
            1,
        )
        .await
        .unwrap();
    let mut catalog = Catalog::new(store, dir.path());
    catalog.index_memory = 20_000_000;
    (dir, catalog, portal.id)
}

fn request(portal_id: i64, id: &str, file: PathBuf) -> ImportRequest {
    ImportRequest {
        portal_id,
        dataset_id: Some(id.into()),
        title: None,
        file,
        source: SourceOptions::default(),
        publish: true,
    }
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

#[tokio::test]
async fn each_import_is_a_new_version_with_its_files_and_the_switch_is_recorded() {
    let (dir, catalog, portal) = setup().await;
    let out = catalog.import(request(portal, "equipements", fixture("equipements.csv")), no_progress()).await.unwrap();
    assert_eq!((out.version, out.rows), (1, 4));
    assert!(out.dataset.published);
    let current = catalog.current(&out.dataset).await.unwrap().unwrap();
    for f in ["data.parquet", "index/meta.json", "source/equipements.csv", "meta.json"] {
        assert!(current.dir.join(f).exists(), "{f}");
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(current.dir.join("meta.json")).unwrap()).unwrap();
    assert_eq!(meta["rows"], 4);
    assert_eq!(meta["checksum_sha256"].as_str().unwrap().len(), 64);
    let index = portail_search::DatasetIndex::open(&current.index_dir()).unwrap();
    let rows = index.matching_rows(&[], "mediatheque", portail_search::Match::Words).unwrap();
    assert_eq!(rows.into_iter().collect::<Vec<_>>(), [3], "text fields are indexed");

    let out = catalog.import(request(portal, "equipements", fixture("equipements.csv")), no_progress()).await.unwrap();
    assert_eq!(out.version, 2);
    assert_eq!(catalog.dataset(portal, "equipements").await.unwrap().current_version, Some(2));
    // Nothing temporary is left.
    let leftovers: Vec<_> = std::fs::read_dir(current.dir.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    drop(dir);
}

#[tokio::test]
async fn a_failed_import_leaves_the_serving_version_untouched() {
    let (dir, catalog, portal) = setup().await;
    catalog.import(request(portal, "data", fixture("ecoles.csv")), no_progress()).await.unwrap();
    let before = catalog.current(&catalog.dataset(portal, "data").await.unwrap()).await.unwrap().unwrap();
    let bytes = std::fs::read(before.parquet()).unwrap();
    let err = catalog.import(request(portal, "data", fixture("ragged.csv")), no_progress()).await.unwrap_err();
    assert!(err.is_user_error() && err.to_string().contains("line 3 has 2"), "{err}");
    let after = catalog.current(&catalog.dataset(portal, "data").await.unwrap()).await.unwrap().unwrap();
    assert_eq!(after.version.version, 1);
    assert_eq!(std::fs::read(after.parquet()).unwrap(), bytes);
    // The failure is recorded as a job with its reason.
    let jobs = catalog.store.jobs(portal, 10).await.unwrap();
    assert_eq!(jobs[0].status, JobStatus::Failed);
    assert!(jobs[0].message.contains("ragged.csv"));
    assert_eq!(jobs[1].status, JobStatus::Done);
    // A dataset created by a failed import does not linger.
    assert!(catalog.import(request(portal, "newone", fixture("empty.csv")), no_progress()).await.is_err());
    assert!(catalog.store.dataset(portal, "newone").await.unwrap().is_none());
    drop(dir);
}

#[tokio::test]
async fn old_versions_are_kept_for_rollback_then_pruned() {
    let (dir, mut catalog, portal) = setup().await;
    catalog.keep_versions = 2;
    let v1 = write(dir.path(), "v1.csv", "a;b\n1;x\n");
    let v2 = write(dir.path(), "v2.csv", "a;b\n1;x\n2;y\n");
    let v3 = write(dir.path(), "v3.csv", "a;b\n1;x\n2;y\n3;z\n");
    for f in [&v1, &v2, &v3] {
        catalog.import(request(portal, "t", f.clone()), no_progress()).await.unwrap();
    }
    let d = catalog.dataset(portal, "t").await.unwrap();
    let base = catalog.dataset_dir(portal, &d.uid);
    assert!(!base.join("v1").exists() && base.join("v2").exists() && base.join("v3").exists());
    catalog.rollback(portal, "t", 2).await.unwrap();
    let current = catalog.current(&catalog.dataset(portal, "t").await.unwrap()).await.unwrap().unwrap();
    assert_eq!((current.version.version, current.version.rows), (2, 2));
    let err = catalog.rollback(portal, "t", 1).await.unwrap_err();
    assert!(err.to_string().contains("not kept"));
    // The next import after a rollback does not reuse a number.
    let out = catalog.import(request(portal, "t", v1), no_progress()).await.unwrap();
    assert_eq!(out.version, 4);
}

#[tokio::test]
async fn overrides_reprocess_the_stored_source_and_persist() {
    let (dir, catalog, portal) = setup().await;
    catalog.import(request(portal, "budget", fixture("budget_cp1252.csv")), no_progress()).await.unwrap();
    let mut change = std::collections::BTreeMap::new();
    change.insert(
        "taux".to_owned(),
        FieldOverride { field_type: Some(FieldType::Text), label: Some("Taux voté".into()) },
    );
    let out = catalog.set_overrides(portal, "budget", change, no_progress()).await.unwrap();
    assert_eq!(out.version, 2);
    let f = out.schema.field("taux").unwrap();
    assert_eq!((f.field_type, f.label.as_str()), (FieldType::Text, "Taux voté"));
    assert_eq!(out.encoding.as_deref(), Some("windows-1252"), "the stored source is re-read the same way");
    let mut bad = std::collections::BTreeMap::new();
    bad.insert("nope".to_owned(), FieldOverride::default());
    assert!(catalog
        .set_overrides(portal, "budget", bad, no_progress())
        .await
        .unwrap_err()
        .to_string()
        .contains("no field `nope`"));
    drop(dir);
}

#[tokio::test]
async fn two_imports_of_one_dataset_cannot_run_at_once() {
    let (dir, catalog, portal) = setup().await;
    catalog.import(request(portal, "x", fixture("ecoles.csv")), no_progress()).await.unwrap();
    let d = catalog.dataset(portal, "x").await.unwrap();
    let held = std::fs::File::open(catalog.dataset_dir(portal, &d.uid).join(".lock")).unwrap();
    held.lock().unwrap();
    let err = catalog.import(request(portal, "x", fixture("ecoles.csv")), no_progress()).await.unwrap_err();
    assert!(matches!(err, CatalogError::Busy(_)), "{err}");
    held.unlock().unwrap();
    catalog.import(request(portal, "x", fixture("ecoles.csv")), no_progress()).await.unwrap();
    drop(dir);
}

#[tokio::test]
async fn the_worker_runs_queued_jobs() {
    let (dir, catalog, portal) = setup().await;
    let upload = dir.path().join("upload.geojson");
    std::fs::copy(fixture("parcs.geojson"), &upload).unwrap();
    let params = JobParams {
        file: upload.clone(),
        title: Some("Parcs et jardins".into()),
        publish: true,
        delimiter: None,
        encoding: None,
        sheet: None,
        lenient: false,
        remove_file: true,
    };
    let job = catalog.enqueue(portal, "parcs", &params).await.unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(portail_catalog::run_worker(catalog.clone(), stopped));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let jobs = catalog.store.jobs(portal, 5).await.unwrap();
        let j = jobs.iter().find(|j| j.id == job.id).unwrap();
        if j.status == JobStatus::Done {
            break;
        }
        assert!(j.status != JobStatus::Failed, "{}", j.message);
        assert!(std::time::Instant::now() < deadline, "the job never finished");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    stop.send(true).unwrap();
    worker.await.unwrap();
    let d = catalog.dataset(portal, "parcs").await.unwrap();
    assert_eq!((d.title.as_str(), d.published, d.current_version), ("Parcs et jardins", true, Some(1)));
    assert!(!upload.exists(), "the upload is removed once imported");
}

#[test]
fn dataset_ids_come_from_file_names() {
    assert_eq!(
        portail_catalog::dataset_id_from_file(Path::new("/x/Équipements sportifs 2024.csv")),
        "equipements-sportifs-2024"
    );
    assert!(portail_catalog::validate_dataset_id("bike-stations_2").is_ok());
    assert!(portail_catalog::validate_dataset_id("Bad Id").is_err());
    assert!(portail_catalog::validate_dataset_id("-x").is_err());
}
