use portail_core::Code;

/// Why a file could not be imported. User errors name the file and, where it applies, the line
/// (or record) and column; they never expose internals.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{file}: {reason}")]
    Unreadable { file: String, reason: String },
    #[error("{file}: {place}: {reason}")]
    At { file: String, place: String, reason: String },
    #[error("{file}: {count} row(s) have a number of fields different from the header's {expected}: {}{more} (use --lenient to pad or cut them)",
        lines.iter().map(|(l, n)| format!("line {l} has {n}")).collect::<Vec<_>>().join(", "),
        more = if *count as usize > lines.len() { ", …" } else { "" })]
    Ragged { file: String, expected: usize, count: u64, lines: Vec<(u64, usize)> },
    /// Internal: invalid UTF-8 met while reading as UTF-8; the importer retries as Windows-1252
    /// unless the encoding was given explicitly.
    #[error("{file}: line {line}: the file is not valid UTF-8 (try --encoding windows-1252)")]
    NotUtf8 { file: String, line: u64 },
    #[error("cannot write {path}: {reason}")]
    Output { path: String, reason: String },
}

impl IngestError {
    pub fn at(file: &str, place: impl Into<String>, reason: impl Into<String>) -> Self {
        IngestError::At { file: file.to_owned(), place: place.into(), reason: reason.into() }
    }

    pub fn unreadable(file: &str, reason: impl Into<String>) -> Self {
        IngestError::Unreadable { file: file.to_owned(), reason: reason.into() }
    }

    /// Whether the input is at fault (exit code 2, HTTP 400) rather than the machine.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, IngestError::Output { .. })
    }

    pub fn code(&self) -> Code {
        if self.is_user_error() {
            Code::InvalidParameter
        } else {
            Code::Internal
        }
    }
}
