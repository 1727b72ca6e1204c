use portail_core::Code;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// A clause that does not parse.
    #[error("{error}. Clause(s) containing the error(s): {clause}.")]
    Syntax { clause: &'static str, error: portail_odsql::ParseError },
    /// A clause that parses but cannot apply to this dataset.
    #[error("{0}")]
    Invalid(String),
    /// The query ran past the engine's time limit.
    #[error("The query was stopped after {} s; narrow it with where, or export the data instead.", .0.as_secs())]
    Timeout(std::time::Duration),
    #[error("{0}")]
    Internal(String),
}

impl QueryError {
    pub fn code(&self) -> Code {
        match self {
            QueryError::Syntax { .. } => Code::OdsqlSyntax,
            QueryError::Invalid(_) => Code::Odsql,
            QueryError::Timeout(_) => Code::QueryTimeout,
            QueryError::Internal(_) => Code::Internal,
        }
    }

    pub fn invalid(message: impl Into<String>) -> QueryError {
        QueryError::Invalid(message.into())
    }
}

impl From<datafusion::error::DataFusionError> for QueryError {
    /// Planning and type errors come from the query (a text field in arithmetic, a cast that
    /// cannot hold): they are the client's, a 400. Only I/O and resource failures are ours.
    fn from(e: datafusion::error::DataFusionError) -> Self {
        use datafusion::error::DataFusionError as E;
        match e.find_root() {
            E::IoError(_) | E::ObjectStore(_) | E::ResourcesExhausted(_) | E::ParquetError(_) | E::Internal(_) => {
                QueryError::Internal(e.to_string())
            }
            root => {
                let first = root.to_string();
                let first = first.lines().next().unwrap_or("").trim().to_owned();
                QueryError::Invalid(format!("ODSQL query is malformed: {first}"))
            }
        }
    }
}

impl From<portail_search::SearchError> for QueryError {
    fn from(e: portail_search::SearchError) -> Self {
        QueryError::Internal(e.to_string())
    }
}
