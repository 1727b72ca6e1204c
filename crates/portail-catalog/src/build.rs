//! Building one version directory, off the async runtime.

use crate::{CatalogError, Progress};
use arrow::array::{Array, AsArray};
use arrow::datatypes::Int64Type;
use portail_core::{FieldOverride, FieldType, Schema};
use portail_ingest::{ImportOptions, ImportReport, SourceOptions};
use portail_search::IndexBuilder;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

/// An exclusive lock on a dataset directory, released when dropped (also when the process dies).
pub struct DatasetLock {
    _file: File,
}

pub fn lock(dir: &Path, dataset_id: &str) -> Result<DatasetLock, CatalogError> {
    std::fs::create_dir_all(dir).map_err(|e| CatalogError::Io(format!("cannot create {}: {e}", dir.display())))?;
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(".lock"))
        .map_err(|e| CatalogError::Io(format!("cannot open the lock of {}: {e}", dir.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(DatasetLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(CatalogError::Busy(dataset_id.to_owned())),
        Err(std::fs::TryLockError::Error(e)) => Err(CatalogError::Io(format!("cannot lock {}: {e}", dir.display()))),
    }
}

/// Removes what interrupted imports left (temporary directories, versions never switched to)
/// and returns the version numbers still on disk.
pub fn clean_leftovers(dir: &Path, kept: &[i64]) -> Vec<i64> {
    let mut on_disk = vec![];
    let Ok(entries) = std::fs::read_dir(dir) else { return on_disk };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if name.starts_with(".v") && name.contains(".tmp") {
            let _ = std::fs::remove_dir_all(&path);
        } else if let Some(n) = name.strip_prefix('v').and_then(|n| n.parse::<i64>().ok()) {
            if kept.contains(&n) {
                on_disk.push(n);
            } else {
                // Built but never switched to (or pruned): the number stays used, the files go.
                on_disk.push(n);
                let _ = std::fs::remove_dir_all(&path);
            }
        }
    }
    on_disk
}

/// The source file kept in a version: the only file of its `source/` directory, under the name
/// the publisher gave it (so that messages about it name the publisher's file).
pub fn source_file(version_dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(version_dir.join("source")).ok()?.flatten().map(|e| e.path()).find(|p| p.is_file())
}

pub fn options_json(o: &SourceOptions) -> serde_json::Value {
    serde_json::json!({
        "delimiter": o.delimiter.map(|d| (d as char).to_string()),
        "encoding": o.encoding,
        "sheet": o.sheet,
        "lenient": o.lenient,
    })
}

pub fn options_from_json(v: &serde_json::Value) -> SourceOptions {
    SourceOptions {
        delimiter: v["delimiter"].as_str().and_then(|s| s.bytes().next()),
        encoding: v["encoding"].as_str().map(str::to_owned),
        sheet: v["sheet"].as_str().map(str::to_owned),
        lenient: v["lenient"].as_bool().unwrap_or(false),
    }
}

pub struct BuildJob {
    pub dir: PathBuf,
    pub version: i64,
    pub file: PathBuf,
    pub source: SourceOptions,
    pub overrides: BTreeMap<String, FieldOverride>,
    /// Fields with the `id` annotation.
    pub id_fields: Vec<String>,
    pub index_memory: usize,
    pub progress: Progress,
}

pub struct Built {
    pub report: ImportReport,
    pub checksum: String,
    pub source_name: String,
    pub source_size: u64,
}

fn io(context: &str, path: &Path, e: std::io::Error) -> CatalogError {
    CatalogError::Io(format!("{context} {}: {e}", path.display()))
}

/// Copies the source into the version, hashing it on the way.
fn copy_source(from: &Path, to: &Path) -> Result<(String, u64), CatalogError> {
    let mut input =
        File::open(from).map_err(|e| CatalogError::Invalid(format!("cannot read {}: {e}", from.display())))?;
    let mut output = File::create(to).map_err(|e| io("cannot write", to, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = input.read(&mut buf).map_err(|e| io("cannot read", from, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        output.write_all(&buf[..n]).map_err(|e| io("cannot write", to, e))?;
        size += n as u64;
    }
    output.sync_all().map_err(|e| io("cannot sync", to, e))?;
    Ok((hex::encode(hasher.finalize()), size))
}

fn text_fields(schema: &Schema) -> Vec<String> {
    schema.fields.iter().filter(|f| f.field_type == FieldType::Text).map(|f| f.name.clone()).collect()
}

/// Runs the indexer on its own thread, fed with batches, so that parsing and indexing overlap.
fn spawn_indexer(
    index_dir: PathBuf,
    memory: usize,
    batches: mpsc::Receiver<(Vec<String>, arrow::record_batch::RecordBatch)>,
) -> std::thread::JoinHandle<Result<bool, String>> {
    std::thread::spawn(move || {
        let mut builder: Option<IndexBuilder> = None;
        for (fields, batch) in batches {
            let b = match &mut builder {
                Some(b) => b,
                None => builder.insert(IndexBuilder::create(&index_dir, &fields, memory).map_err(|e| e.to_string())?),
            };
            let rows = batch
                .column_by_name(portail_ingest::HIDDEN_ROW)
                .ok_or("no _row column")?
                .as_primitive::<Int64Type>()
                .clone();
            let columns: Vec<_> =
                fields.iter().filter_map(|f| batch.column_by_name(f)).map(|c| c.as_string::<i32>().clone()).collect();
            for i in 0..batch.num_rows() {
                let values: Vec<Option<&str>> = columns.iter().map(|c| c.is_valid(i).then(|| c.value(i))).collect();
                b.add(rows.value(i) as u64, &values).map_err(|e| e.to_string())?;
            }
        }
        match builder {
            Some(b) => b.finish().map_err(|e| e.to_string()).map(|_| true),
            None => Ok(false),
        }
    })
}

/// `files/index.json`: each stored file's name and media type, by id, for `files/{id}`.
fn write_file_index(
    dir: &Path,
    files: &BTreeMap<String, portail_ingest::archive::StoredFile>,
) -> Result<(), CatalogError> {
    let index: BTreeMap<&str, serde_json::Value> = files
        .values()
        .map(|f| (f.id.as_str(), serde_json::json!({"filename": f.filename, "mimetype": f.mimetype})))
        .collect();
    let path = dir.join(FILE_INDEX);
    std::fs::write(&path, serde_json::to_vec(&index).unwrap_or_default()).map_err(|e| io("cannot write", &path, e))?;
    sync_dir(dir)
}

/// The index of a version's stored files, in its `files/` directory.
pub const FILE_INDEX: &str = "index.json";

fn sync_dir(path: &Path) -> Result<(), CatalogError> {
    File::open(path).and_then(|d| d.sync_all()).map_err(|e| io("cannot sync", path, e))
}

impl BuildJob {
    /// Builds `v<N>` completely in a temporary directory, then renames it into place.
    pub fn run(self) -> Result<Built, CatalogError> {
        let tmp = self.dir.join(format!(".v{}.tmp-{}", self.version, std::process::id()));
        let result = self.build_in(&tmp);
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        let built = result?;
        let target = self.dir.join(format!("v{}", self.version));
        std::fs::rename(&tmp, &target).map_err(|e| io("cannot move into place", &target, e))?;
        sync_dir(&self.dir)?;
        Ok(built)
    }

    fn build_in(&self, tmp: &Path) -> Result<Built, CatalogError> {
        std::fs::create_dir_all(tmp).map_err(|e| io("cannot create", tmp, e))?;
        let source_name = self.file.file_name().map_or_else(|| "source".into(), |n| n.to_string_lossy().into_owned());
        let source_dir = tmp.join("source");
        std::fs::create_dir_all(&source_dir).map_err(|e| io("cannot create", &source_dir, e))?;
        let source = source_dir.join(&source_name);
        let (checksum, source_size) = copy_source(&self.file, &source)?;

        // An archive: its data file is read, its other files stored for the file fields.
        let (data_file, files) = match portail_ingest::archive::is_archive(&source) {
            true => {
                let unpacked = portail_ingest::archive::unpack(&source, &tmp.join("unpacked"), &tmp.join("files"))?;
                write_file_index(&tmp.join("files"), &unpacked.files)?;
                (unpacked.data_file, unpacked.files)
            }
            false => (source.clone(), BTreeMap::new()),
        };

        let (tx, rx) = mpsc::sync_channel(4);
        let indexer = spawn_indexer(tmp.join("index"), self.index_memory, rx);
        let options = ImportOptions {
            source: self.source.clone(),
            overrides: self.overrides.clone(),
            id_fields: self.id_fields.clone(),
            files: std::sync::Arc::new(files),
            ..ImportOptions::default()
        };
        let progress = self.progress.clone();
        let mut fields: Option<Vec<String>> = None;
        let imported = portail_ingest::import(
            &data_file,
            &options,
            &tmp.join("data.parquet"),
            &mut |schema, batch| {
                let names = fields.get_or_insert_with(|| text_fields(schema)).clone();
                tx.send((names, batch.clone())).map_err(|_| "the indexer stopped".to_owned())
            },
            &mut |n| progress(n),
        );
        drop(tx);
        let indexed = indexer.join().map_err(|_| CatalogError::Io("the indexer panicked".into()))?;
        let report = imported?;
        if data_file != source {
            let _ = std::fs::remove_dir_all(tmp.join("unpacked"));
        }
        let has_index = indexed.map_err(|e| CatalogError::Io(format!("full-text index: {e}")))?;
        if !has_index {
            // No rows: an empty index with the right fields keeps readers uniform.
            IndexBuilder::create(&tmp.join("index"), &text_fields(&report.schema), 15_000_000)
                .and_then(IndexBuilder::finish)
                .map_err(|e| CatalogError::Io(e.to_string()))?;
        }
        let meta = serde_json::json!({
            "version": self.version,
            "rows": report.rows,
            "schema": report.schema,
            "checksum_sha256": checksum,
            "source_name": source_name,
            "source_size": source_size,
            "encoding": report.encoding,
            "warnings": report.warnings,
            "options": options_json(&self.source),
            "created_at": crate::now(),
        });
        let meta_path = tmp.join("meta.json");
        let mut f = File::create(&meta_path).map_err(|e| io("cannot write", &meta_path, e))?;
        f.write_all(serde_json::to_string_pretty(&meta).unwrap_or_default().as_bytes())
            .map_err(|e| io("cannot write", &meta_path, e))?;
        f.sync_all().map_err(|e| io("cannot sync", &meta_path, e))?;
        sync_dir(&tmp.join("index"))?;
        sync_dir(&source_dir)?;
        sync_dir(tmp)?;
        Ok(Built { report, checksum, source_name, source_size })
    }
}
