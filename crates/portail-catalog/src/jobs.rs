//! Imports as jobs recorded in the store (queued → running → done | failed with its reason), and
//! the worker that runs queued jobs inside the server, one at a time per dataset.

use crate::{Catalog, CatalogError, ImportOutcome, ImportRequest};
use portail_ingest::SourceOptions;
use portail_store::{JobRecord, JobStatus, MetadataStore};
use std::path::PathBuf;
use std::time::Duration;

/// What a queued import needs, kept as JSON in the job row.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct JobParams {
    pub file: PathBuf,
    pub title: Option<String>,
    pub publish: bool,
    pub delimiter: Option<String>,
    pub encoding: Option<String>,
    pub sheet: Option<String>,
    pub lenient: bool,
    /// Remove `file` once the job ends (uploads).
    #[serde(default)]
    pub remove_file: bool,
}

impl JobParams {
    pub fn from_request(req: &ImportRequest, _dataset_id: &str) -> JobParams {
        JobParams {
            file: req.file.clone(),
            title: req.title.clone(),
            publish: req.publish,
            delimiter: req.source.delimiter.map(|d| (d as char).to_string()),
            encoding: req.source.encoding.clone(),
            sheet: req.source.sheet.clone(),
            lenient: req.source.lenient,
            remove_file: false,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    fn request(&self, job: &JobRecord) -> ImportRequest {
        ImportRequest {
            portal_id: job.portal_id,
            dataset_id: Some(job.dataset_id.clone()),
            title: self.title.clone(),
            file: self.file.clone(),
            source: SourceOptions {
                delimiter: self.delimiter.as_deref().and_then(|d| d.bytes().next()),
                encoding: self.encoding.clone(),
                sheet: self.sheet.clone(),
                lenient: self.lenient,
            },
            publish: self.publish,
        }
    }
}

pub(crate) async fn record_outcome(
    store: &dyn MetadataStore,
    job_id: i64,
    result: &Result<ImportOutcome, CatalogError>,
) {
    let (status, message) = match result {
        Ok(o) => (JobStatus::Done, format!("version {}: {} rows", o.version, o.rows)),
        Err(e) => (JobStatus::Failed, e.to_string()),
    };
    if let Err(e) = store.finish_job(job_id, status, &message, crate::now()).await {
        tracing::error!(job = job_id, error = %e, "cannot record the job's outcome");
    }
}

impl Catalog {
    /// Queues an import for the worker; returns the job.
    pub async fn enqueue(
        &self,
        portal_id: i64,
        dataset_id: &str,
        params: &JobParams,
    ) -> Result<JobRecord, CatalogError> {
        crate::validate_dataset_id(dataset_id)?;
        Ok(self.store.create_job(portal_id, dataset_id, "import", &params.to_json(), crate::now()).await?)
    }

    /// Runs one claimed job to its end.
    pub async fn run_job(&self, job: JobRecord) {
        let result = match serde_json::from_value::<JobParams>(job.params.clone()) {
            Ok(params) => {
                let result =
                    self.import_now(&params.request(&job), &job.dataset_id, job.id, crate::no_progress(), None).await;
                if params.remove_file {
                    let _ = std::fs::remove_file(&params.file);
                    // Uploads sit in a directory of their own; it goes once empty.
                    if let Some(parent) = params.file.parent() {
                        let _ = std::fs::remove_dir(parent);
                    }
                }
                result
            }
            Err(e) => Err(CatalogError::Invalid(format!("unreadable job parameters: {e}"))),
        };
        match &result {
            Ok(o) => {
                tracing::info!(job = job.id, dataset = %job.dataset_id, version = o.version, rows = o.rows, "import done")
            }
            Err(e) => tracing::warn!(job = job.id, dataset = %job.dataset_id, error = %e, "import failed"),
        }
        record_outcome(self.store.as_ref(), job.id, &result).await;
    }
}

/// Polls for queued jobs and runs them, one after the other, until `shutdown` resolves.
pub async fn run_worker(catalog: Catalog, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        match catalog.store.claim_job(crate::now()).await {
            Ok(Some(job)) => {
                catalog.run_job(job).await;
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the job queue"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = shutdown.changed() => return,
        }
    }
}
