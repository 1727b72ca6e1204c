//! The ODSQL syntax tree. Every node that can be named in an error keeps its byte span.

use crate::Span;

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    /// The number as written, and its value.
    Num(String, f64),
    Bool(bool),
    Null,
    Date(String),
    Geom(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A field name (several parts for dotted catalog names such as `default.title`).
    Field {
        path: Vec<String>,
        span: Span,
    },
    Literal {
        value: Literal,
        span: Span,
    },
    Neg {
        expr: Box<Expr>,
        span: Span,
    },
    Arith {
        op: ArithOp,
        left: Box<Expr>,
        right: Box<Expr>,
        span: Span,
    },
    /// A function call; the name is lowercased.
    Call {
        name: String,
        args: Vec<Arg>,
        span: Span,
    },
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Field { span, .. }
            | Expr::Literal { span, .. }
            | Expr::Neg { span, .. }
            | Expr::Arith { span, .. }
            | Expr::Call { span, .. } => *span,
        }
    }

    /// The field name when the expression is a plain (undotted) field.
    pub fn as_field(&self) -> Option<&str> {
        match self {
            Expr::Field { path, .. } if path.len() == 1 => Some(&path[0]),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Expr(Expr),
    /// `*` as in `count(*)` or `search(*, "x")`.
    Star(Span),
    /// `name=value` as in `now(years=-1)`.
    Named {
        name: String,
        value: f64,
        span: Span,
    },
    /// `distinct expr` as in `count(distinct city)`.
    Distinct(Expr),
    /// A number with a unit: `500m`, `1 day`, `10km`.
    Quantity {
        value: f64,
        unit: String,
        span: Span,
    },
    /// A half-open or closed bound list element of v2.0 `RANGE(f, ]10, 50[)`: kept raw.
    Bracket {
        open: bool,
        span: Span,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// One end of an `IN [a..b]` range.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub value: Expr,
    pub inclusive: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    /// A bare string: full-text search over all text fields.
    FullText {
        text: String,
        span: Span,
    },
    Compare {
        left: Expr,
        op: CmpOp,
        right: Expr,
        span: Span,
    },
    /// `field LIKE "words"`: word match, case-insensitive.
    Like {
        expr: Expr,
        pattern: String,
        span: Span,
    },
    InList {
        expr: Expr,
        values: Vec<Expr>,
        span: Span,
    },
    InRange {
        expr: Expr,
        low: Bound,
        high: Bound,
        span: Span,
    },
    /// `"value" IN multivalued_field`.
    Member {
        value: Expr,
        field: Expr,
        span: Span,
    },
    IsNull {
        expr: Expr,
        negated: bool,
        span: Span,
    },
    IsBool {
        expr: Expr,
        value: bool,
        negated: bool,
        span: Span,
    },
    /// A function used as a predicate: `search(…)`, `within_distance(…)`, `in_bbox(…)`…
    Function {
        name: String,
        args: Vec<Arg>,
        span: Span,
    },
    /// A boolean field or expression on its own (`is_open`).
    Truthy {
        expr: Expr,
        span: Span,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    All(Span),
    Include {
        patterns: Vec<String>,
        span: Span,
    },
    Exclude {
        patterns: Vec<String>,
        span: Span,
    },
    /// An expression; `text` is the client's text of it (the output key when not aliased).
    Expr {
        expr: Expr,
        alias: Option<String>,
        text: String,
        span: Span,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupItem {
    pub expr: Expr,
    pub alias: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    pub expr: Expr,
    pub descending: bool,
    pub text: String,
}
