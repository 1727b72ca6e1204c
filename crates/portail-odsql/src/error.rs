use crate::Span;

/// A syntax error: what was found where, and what would have been accepted there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ODSQL syntax exception: unexpected {found} at position {position} in {query}: expected {expected}")]
pub struct ParseError {
    pub found: String,
    /// Character (not byte) offset of the problem, 0-based, as Opendatasoft reports it.
    pub position: usize,
    pub span: Span,
    pub expected: String,
    pub query: String,
}

impl ParseError {
    pub fn new(src: &str, span: Span, found: &str, expected: &str) -> ParseError {
        let start = span.start.min(src.len());
        let position = src.get(..start).map_or(start, |p| p.chars().count());
        ParseError { found: found.to_owned(), position, span, expected: expected.to_owned(), query: src.to_owned() }
    }
}
