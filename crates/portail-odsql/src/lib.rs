//! ODSQL, the query language of the Opendatasoft Explore API: a lexer and a recursive-descent
//! parser producing an AST with byte spans. No evaluation here: binding to a dataset schema and
//! execution belong to the query engine. Errors carry the character position Opendatasoft
//! reports and a hint of what was expected.
//!
//! Input is capped ([`MAX_QUERY_BYTES`]) and so is nesting ([`MAX_DEPTH`]), so no clause can
//! exhaust memory or the stack.
//!
//! Grammar (keywords are case-insensitive; `name` is an identifier or a back-quoted name):
//!
//! ```text
//! where      = or ;
//! or         = and { "OR" and } ;
//! and        = not { "AND" not } ;
//! not        = "NOT" not | atom ;
//! atom       = "(" or ")" | predicate ;
//! predicate  = string                                   -- full text
//!            | string "IN" expr                         -- multivalued membership
//!            | expr cmp expr | expr (":" | "IN") range
//!            | expr "LIKE" string
//!            | expr "IN" "(" expr { "," expr } ")"
//!            | expr "IS" ["NOT"] ("NULL" | "TRUE" | "FALSE")
//!            | call                                     -- search(), within_distance(), …
//!            | expr ;                                   -- boolean field
//! cmp        = "=" | ":" | "!=" | "<>" | "<" | "<=" | ">" | ">=" ;
//! range      = ("[" | "]") expr (".." | "TO") expr ("[" | "]") ;
//! expr       = term { ("+" | "-") term } ;
//! term       = factor { ("*" | "/") factor } ;
//! factor     = "-" factor | primary ;
//! primary    = literal | call | field | "(" expr ")" ;
//! field      = name { "." name } ;
//! call       = ident "(" [ arg { "," arg } ] ")" ;
//! arg        = "*" | ident "=" ["+"|"-"] number | "DISTINCT" expr | number unit | expr ;
//! literal    = string | number | "TRUE" | "FALSE" | "NULL" | "date'…'" | "geom'…'" ;
//! select     = item { "," item } ;  item = "*" | ("include"|"exclude") "(" pattern {"," pattern} ")" | expr ["AS" name] ;
//! group_by   = expr ["AS" name] { "," expr ["AS" name] } ;
//! order_by   = ["-"] expr ["ASC"|"DESC"] { "," … } ;
//! ```

pub mod ast;
mod error;
pub mod lexer;
mod parser;
mod v1;

pub use ast::*;
pub use error::ParseError;
pub use parser::{parse_group_by, parse_order_by, parse_select, parse_where};
pub use v1::{lat_lon_polygon, translate_q, V1Error, V1Field};

/// Longest clause accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;
/// Deepest nesting of parentheses, calls and boolean operators.
pub const MAX_DEPTH: usize = 64;

/// A byte range in the clause text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// Words that must be back-quoted to be used as field names.
pub const RESERVED: &[&str] = &[
    "and",
    "as",
    "asc",
    "avg",
    "by",
    "count",
    "date_format",
    "day",
    "dayofweek",
    "desc",
    "distinct",
    "equi",
    "false",
    "group",
    "hour",
    "ifnull",
    "or",
    "limit",
    "lower",
    "max",
    "millisecond",
    "min",
    "minute",
    "month",
    "not",
    "null",
    "quarter",
    "range",
    "search",
    "second",
    "select",
    "sum",
    "top",
    "true",
    "upper",
    "where",
    "year",
];

#[cfg(test)]
mod tests;
