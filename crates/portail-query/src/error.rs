use portail_core::Code;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// A clause that does not parse.
    #[error("{error}. Clause(s) containing the error(s): {clause}.")]
    Syntax { clause: &'static str, error: portail_odsql::ParseError },
    /// A clause that parses but cannot apply to this dataset.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Internal(String),
}

impl QueryError {
    pub fn code(&self) -> Code {
        match self {
            QueryError::Syntax { .. } => Code::OdsqlSyntax,
            QueryError::Invalid(_) => Code::Odsql,
            QueryError::Internal(_) => Code::Internal,
        }
    }

    pub fn invalid(message: impl Into<String>) -> QueryError {
        QueryError::Invalid(message.into())
    }
}

impl From<datafusion::error::DataFusionError> for QueryError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        QueryError::Internal(e.to_string())
    }
}

impl From<portail_search::SearchError> for QueryError {
    fn from(e: portail_search::SearchError) -> Self {
        QueryError::Internal(e.to_string())
    }
}
