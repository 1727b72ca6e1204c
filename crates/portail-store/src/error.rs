use portail_core::Code;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write; the message names the value.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("metadata store failure: {0}")]
    Backend(#[from] sqlx::Error),
    #[error("metadata store migration {version} failed: {source}")]
    Migration { version: i64, source: sqlx::Error },
}

impl StoreError {
    pub fn code(&self) -> Code {
        match self {
            StoreError::Conflict(_) | StoreError::Invalid(_) => Code::InvalidParameter,
            StoreError::Backend(_) | StoreError::Migration { .. } => Code::Internal,
        }
    }
}
