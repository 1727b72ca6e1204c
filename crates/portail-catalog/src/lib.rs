//! Datasets on disk and their lifecycle: import a file into a new version, switch to it
//! atomically, keep a few old versions for rollback, run imports as recorded jobs.
//!
//! Layout: `<data-dir>/portals/<portal-id>/datasets/<dataset-uid>/v<N>/` holds `data.parquet`,
//! `index/` (tantivy), `source/<original file name>` and `meta.json`. A version is built in a hidden temporary
//! directory beside the others, made durable (fsync), renamed into place, and only then does the
//! store switch the dataset's current version, in one transaction. A failed or killed import
//! therefore never touches the serving version; its leftovers are removed by the next import.

mod build;
mod jobs;
mod metadata;

pub use jobs::{run_worker, JobParams};
pub use metadata::{can_be_facet, check as check_metadata, MetadataError, MetadataForm, Problem};

use portail_core::{FieldOverride, Schema};
use portail_ingest::{IngestError, SourceOptions};
use portail_store::{DatasetRecord, MetadataStore, StoreError, VersionRecord};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{0}")]
    Input(#[from] IngestError),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("another import of dataset `{0}` is running")]
    Busy(String),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(String),
}

impl CatalogError {
    /// Whether the request or the file is at fault (exit code 2) rather than the machine.
    pub fn is_user_error(&self) -> bool {
        match self {
            CatalogError::Input(e) => e.is_user_error(),
            CatalogError::Invalid(_) | CatalogError::NotFound(_) | CatalogError::Busy(_) => true,
            CatalogError::Store(StoreError::Conflict(_) | StoreError::Invalid(_)) => true,
            CatalogError::Store(_) | CatalogError::Io(_) => false,
        }
    }
}

pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

pub fn no_progress() -> Progress {
    Arc::new(|_| {})
}

#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub portal_id: i64,
    /// Defaults to a slug of the file name.
    pub dataset_id: Option<String>,
    pub title: Option<String>,
    pub file: PathBuf,
    pub source: SourceOptions,
    pub publish: bool,
}

#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub dataset: DatasetRecord,
    pub version: i64,
    pub rows: u64,
    pub schema: Schema,
    pub encoding: Option<String>,
    pub warnings: Vec<String>,
    pub seconds: f64,
}

/// The serving version of a dataset and where its files are.
#[derive(Debug, Clone)]
pub struct CurrentVersion {
    pub dataset: DatasetRecord,
    pub version: VersionRecord,
    pub dir: PathBuf,
}

impl CurrentVersion {
    pub fn parquet(&self) -> PathBuf {
        self.dir.join("data.parquet")
    }

    pub fn index_dir(&self) -> PathBuf {
        self.dir.join("index")
    }

    /// A file this version stores for its `file` fields (an archive's), by id: where it is, its
    /// name and its media type. `None` for an unknown id or a version without files.
    pub fn stored_file(&self, id: &str) -> Option<StoredFile> {
        // Ids are 32 hex digits; anything else cannot name a file (nor a path).
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let dir = self.dir.join("files");
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(build::FILE_INDEX)).ok()?).ok()?;
        let entry = index.get(id)?;
        Some(StoredFile {
            path: dir.join(id),
            filename: entry["filename"].as_str()?.to_owned(),
            mimetype: entry["mimetype"].as_str()?.to_owned(),
        })
    }
}

/// One file of a version, as `files/{id}` serves it.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub path: PathBuf,
    pub filename: String,
    pub mimetype: String,
}

#[derive(Clone)]
pub struct Catalog {
    pub store: Arc<dyn MetadataStore>,
    data_dir: PathBuf,
    /// Versions kept per dataset, the serving one included.
    pub keep_versions: usize,
    /// Memory budget of the full-text indexer.
    pub index_memory: usize,
}

/// A dataset id in Opendatasoft's style: lowercase ASCII letters, digits, `-` and `_`.
pub fn validate_dataset_id(id: &str) -> Result<(), CatalogError> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && !id.starts_with(['-', '_']);
    if ok {
        Ok(())
    } else {
        Err(CatalogError::Invalid(format!(
            "`{id}` is not a dataset id: use 1 to 100 characters among a-z, 0-9, `-` and `_`, not starting with `-` or `_`"
        )))
    }
}

/// `Équipements sportifs 2024.csv` → `equipements-sportifs-2024`.
pub fn dataset_id_from_file(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mut id = String::new();
    for c in stem.chars().flat_map(portail_core::schema::fold_char) {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    let id = id.trim_matches('-').chars().take(100).collect::<String>();
    if id.is_empty() {
        "dataset".to_owned()
    } else {
        id
    }
}

fn new_uid() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rngs::OsRng;
    let tail: String = (0..8).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect();
    format!("da_{tail}")
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

impl Catalog {
    pub fn new(store: Arc<dyn MetadataStore>, data_dir: impl Into<PathBuf>) -> Catalog {
        Catalog { store, data_dir: data_dir.into(), keep_versions: 3, index_memory: 96_000_000 }
    }

    pub fn dataset_dir(&self, portal_id: i64, uid: &str) -> PathBuf {
        self.data_dir.join("portals").join(portal_id.to_string()).join("datasets").join(uid)
    }

    pub fn uploads_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }

    pub async fn dataset(&self, portal_id: i64, dataset_id: &str) -> Result<DatasetRecord, CatalogError> {
        self.store
            .dataset(portal_id, dataset_id)
            .await?
            .ok_or_else(|| CatalogError::NotFound(format!("no dataset `{dataset_id}` on this portal")))
    }

    /// The serving version of a dataset, if it has one.
    pub async fn current(&self, dataset: &DatasetRecord) -> Result<Option<CurrentVersion>, CatalogError> {
        let Some(v) = dataset.current_version else { return Ok(None) };
        let Some(mut version) = self.store.version(&dataset.uid, v).await? else { return Ok(None) };
        dataset.metas.annotate(&mut version.schema);
        let dir = self.dataset_dir(dataset.portal_id, &dataset.uid).join(format!("v{v}"));
        Ok(Some(CurrentVersion { dataset: dataset.clone(), version, dir }))
    }

    /// Imports a file as the next version of a dataset (created if absent), as a recorded job.
    pub async fn import(&self, req: ImportRequest, progress: Progress) -> Result<ImportOutcome, CatalogError> {
        self.import_with(req, progress, None).await
    }

    /// `import`, the record ids made from `id_fields` instead of the dataset's `id` annotations.
    async fn import_with(
        &self,
        req: ImportRequest,
        progress: Progress,
        id_fields: Option<Vec<String>>,
    ) -> Result<ImportOutcome, CatalogError> {
        let dataset_id = req.dataset_id.clone().unwrap_or_else(|| dataset_id_from_file(&req.file));
        validate_dataset_id(&dataset_id)?;
        let params = JobParams::from_request(&req, &dataset_id);
        let job = self.store.create_job(req.portal_id, &dataset_id, "import", &params.to_json(), now()).await?;
        self.store.start_job(job.id, now()).await?;
        let result = self.import_now(&req, &dataset_id, job.id, progress, id_fields).await;
        jobs::record_outcome(self.store.as_ref(), job.id, &result).await;
        result
    }

    pub(crate) async fn import_now(
        &self,
        req: &ImportRequest,
        dataset_id: &str,
        job_id: i64,
        progress: Progress,
        id_fields: Option<Vec<String>>,
    ) -> Result<ImportOutcome, CatalogError> {
        let started = Instant::now();
        let (dataset, created) = match self.store.dataset(req.portal_id, dataset_id).await? {
            Some(d) => (d, false),
            None => {
                let title = req.title.clone().unwrap_or_else(|| {
                    req.file.file_stem().map_or(dataset_id.to_owned(), |s| s.to_string_lossy().replace('_', " "))
                });
                (self.store.create_dataset(req.portal_id, &new_uid(), dataset_id, &title, now()).await?, true)
            }
        };
        let id_fields = id_fields.unwrap_or_else(|| dataset.metas.id_fields());
        let result = self.add_version(&dataset, &req.file, &req.source, job_id, progress, id_fields).await;
        match result {
            Ok((version, report)) => {
                if let Some(title) = req.title.as_deref().filter(|_| !created) {
                    self.store.set_dataset_texts(&dataset.uid, title, &dataset.description, now()).await?;
                }
                if req.publish {
                    self.store.set_published(&dataset.uid, true, now()).await?;
                }
                let dataset = self.dataset(req.portal_id, dataset_id).await?;
                Ok(ImportOutcome {
                    dataset,
                    version,
                    rows: report.rows,
                    schema: report.schema,
                    encoding: report.encoding,
                    warnings: report.warnings,
                    seconds: started.elapsed().as_secs_f64(),
                })
            }
            Err(e) => {
                // A dataset created for this import and never filled is not left behind.
                if created {
                    let _ = self.store.delete_dataset(&dataset.uid).await;
                    let _ = std::fs::remove_dir_all(self.dataset_dir(dataset.portal_id, &dataset.uid));
                }
                Err(e)
            }
        }
    }

    /// Builds the next version from `file` and switches to it.
    async fn add_version(
        &self,
        dataset: &DatasetRecord,
        file: &Path,
        source: &SourceOptions,
        job_id: i64,
        progress: Progress,
        id_fields: Vec<String>,
    ) -> Result<(i64, portail_ingest::ImportReport), CatalogError> {
        let dir = self.dataset_dir(dataset.portal_id, &dataset.uid);
        std::fs::create_dir_all(&dir).map_err(|e| CatalogError::Io(format!("cannot create {}: {e}", dir.display())))?;
        let lock = build::lock(&dir, &dataset.dataset_id)?;
        self.store.fail_stale_jobs(dataset.portal_id, &dataset.dataset_id, job_id, now()).await?;
        let kept: Vec<i64> = self.store.versions(&dataset.uid).await?.iter().map(|v| v.version).collect();
        let on_disk = build::clean_leftovers(&dir, &kept);
        let version = kept.iter().chain(on_disk.iter()).max().copied().unwrap_or(0) + 1;

        let job = build::BuildJob {
            dir: dir.clone(),
            version,
            file: file.to_owned(),
            source: source.clone(),
            overrides: dataset.overrides.clone(),
            id_fields,
            index_memory: self.index_memory,
            progress,
        };
        let built = tokio::task::spawn_blocking(move || job.run())
            .await
            .map_err(|e| CatalogError::Io(format!("import task failed: {e}")))??;
        let record = VersionRecord {
            version,
            created_at: now(),
            rows: built.report.rows as i64,
            schema: built.report.schema.clone(),
            checksum: built.checksum,
            source_name: built.source_name,
            source_size: built.source_size as i64,
            options: build::options_json(source),
            warnings: built.report.warnings.clone(),
        };
        // The switch: one transaction in the store. Before it, readers see the old version.
        let pruned = self.store.add_version(&dataset.uid, &record, self.keep_versions, now()).await?;
        for v in pruned {
            let _ = std::fs::remove_dir_all(dir.join(format!("v{v}")));
        }
        drop(lock);
        Ok((version, built.report))
    }

    /// A dataset and its serving version; an error if it has none yet.
    async fn with_data(
        &self,
        portal_id: i64,
        dataset_id: &str,
    ) -> Result<(DatasetRecord, CurrentVersion), CatalogError> {
        let dataset = self.dataset(portal_id, dataset_id).await?;
        let current = self
            .current(&dataset)
            .await?
            .ok_or_else(|| CatalogError::Invalid(format!("dataset `{dataset_id}` has no data yet")))?;
        Ok((dataset, current))
    }

    /// Re-imports the current version's source with the dataset's current field overrides.
    pub async fn reprocess(
        &self,
        portal_id: i64,
        dataset_id: &str,
        progress: Progress,
    ) -> Result<ImportOutcome, CatalogError> {
        self.reprocess_with(portal_id, dataset_id, progress, None).await
    }

    /// `reprocess`, with the record ids made from `id_fields` when given.
    pub(crate) async fn reprocess_with(
        &self,
        portal_id: i64,
        dataset_id: &str,
        progress: Progress,
        id_fields: Option<Vec<String>>,
    ) -> Result<ImportOutcome, CatalogError> {
        let (_, current) = self.with_data(portal_id, dataset_id).await?;
        let source_file = build::source_file(&current.dir).ok_or_else(|| {
            CatalogError::Io(format!("the source file of version {} is missing", current.version.version))
        })?;
        let req = ImportRequest {
            portal_id,
            dataset_id: Some(dataset_id.to_owned()),
            title: None,
            file: source_file,
            source: build::options_from_json(&current.version.options),
            publish: false,
        };
        self.import_with(req, progress, id_fields).await
    }

    /// Changes field types or labels, then reprocesses so that the data follows.
    pub async fn set_overrides(
        &self,
        portal_id: i64,
        dataset_id: &str,
        changes: BTreeMap<String, FieldOverride>,
        progress: Progress,
    ) -> Result<ImportOutcome, CatalogError> {
        let (dataset, current) = self.with_data(portal_id, dataset_id).await?;
        let mut overrides = dataset.overrides.clone();
        for (name, change) in changes {
            if current.version.schema.field(&name).is_none() {
                let names: Vec<&str> = current.version.schema.fields.iter().map(|f| f.name.as_str()).collect();
                return Err(CatalogError::Invalid(format!("no field `{name}` (fields: {})", names.join(", "))));
            }
            let entry = overrides.entry(name).or_default();
            if change.field_type.is_some() {
                entry.field_type = change.field_type;
            }
            if change.label.is_some() {
                entry.label = change.label;
            }
        }
        self.store.set_overrides(&dataset.uid, &overrides, now()).await?;
        match self.reprocess(portal_id, dataset_id, progress).await {
            Ok(outcome) => Ok(outcome),
            Err(e) => {
                // The overrides made the data unreadable: keep the previous ones with the previous data.
                self.store.set_overrides(&dataset.uid, &dataset.overrides, now()).await?;
                Err(e)
            }
        }
    }

    pub async fn rollback(&self, portal_id: i64, dataset_id: &str, version: i64) -> Result<(), CatalogError> {
        let dataset = self.dataset(portal_id, dataset_id).await?;
        let dir = self.dataset_dir(portal_id, &dataset.uid).join(format!("v{version}"));
        if !dir.join("data.parquet").exists() {
            return Err(CatalogError::Invalid(format!("version {version} of `{dataset_id}` is not kept")));
        }
        self.store.switch_version(&dataset.uid, version, now()).await?;
        Ok(())
    }

    pub async fn set_published(&self, portal_id: i64, dataset_id: &str, published: bool) -> Result<(), CatalogError> {
        let dataset = self.dataset(portal_id, dataset_id).await?;
        if published && dataset.current_version.is_none() {
            return Err(CatalogError::Invalid(format!("dataset `{dataset_id}` has no data to publish")));
        }
        self.store.set_published(&dataset.uid, published, now()).await?;
        Ok(())
    }

    pub async fn delete(&self, portal_id: i64, dataset_id: &str) -> Result<(), CatalogError> {
        let dataset = self.dataset(portal_id, dataset_id).await?;
        let dir = self.dataset_dir(portal_id, &dataset.uid);
        let lock = build::lock(&dir, dataset_id)?;
        self.store.delete_dataset(&dataset.uid).await?;
        drop(lock);
        std::fs::remove_dir_all(&dir).map_err(|e| CatalogError::Io(format!("cannot remove {}: {e}", dir.display())))?;
        Ok(())
    }
}
