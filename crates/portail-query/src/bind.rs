//! Binding: ODSQL AST + dataset schema → DataFusion expressions.

use crate::codes::Coded;
use crate::geometry::Relation;
use crate::tables::{Resident, Tables};
use crate::time::{parse_instant, parse_instant_in};
use crate::udf::{self, EARTH_RADIUS_M};
use crate::QueryError;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::functions::expr_fn as f;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::{cast, Expr as DfExpr};
use datafusion::prelude::{ident, lit};
use portail_core::{FieldType, Schema};
use portail_odsql::{Arg, ArithOp, CmpOp, Cond, Expr, Literal, SelectItem};
use portail_search::{DatasetIndex, Match};
use std::ops::Not;
use std::path::Path;
use std::sync::Arc;

pub struct Binder<'a> {
    pub schema: &'a Schema,
    index_dir: &'a Path,
    tables: &'a Tables,
    index: Option<Arc<DatasetIndex>>,
    /// The version in memory, if it is: no condition is added only to prune Parquet row
    /// groups, and coded text fields compare by code.
    memory: Option<&'a Resident>,
    /// The request's time zone: date parts, `date_format` and datetime literals use it.
    zone: crate::Zone,
    /// The request's `lang`: day and month names of `date_format`.
    lang: portail_core::Lang,
}

/// What a bound value expression is, as far as formatting and comparisons care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Field(FieldType),
    Number,
    Text,
    Bool,
    Aggregate,
    /// Text holding JSON (`json_format`): the API shows it parsed, exports other than JSON raw.
    Json,
    /// A multivalued text field shown as it is read: its values split on the separator.
    List(char),
    Other,
}

impl Kind {
    /// How a field of the schema is shown when selected as it is.
    pub fn of_field(f: &portail_core::Field) -> Kind {
        f.multivalued().map_or(Kind::Field(f.field_type), Kind::List)
    }

    pub fn field_type(self) -> Option<FieldType> {
        match self {
            Kind::Field(t) => Some(t),
            _ => None,
        }
    }
}

fn invalid<T>(message: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError::invalid(message))
}

const AGGREGATES: &[&str] = &["count", "sum", "avg", "min", "max", "median", "percentile", "bbox", "envelope"];

/// Every ODSQL function the engine knows, in conditions, values, aggregates and groups.
pub const FUNCTIONS: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "median",
    "percentile",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "date_format",
    "range",
    "lower",
    "upper",
    "length",
    "ifnull",
    "now",
    "random",
    "distance",
    "search",
    "suggest",
    "startswith",
    "within_distance",
    "in_bbox",
    "intersects",
    "disjoint",
    "within",
    "geometry",
    "polygon",
    "bbox",
    "envelope",
    "geo_cluster",
    "json_format",
    "include",
    "exclude",
];
const DATE_PARTS: &[&str] = &["year", "month", "day", "hour", "minute", "second"];

/// Whether a select list holds an aggregate, which makes the query an aggregation.
pub fn selects_aggregate(items: &[SelectItem]) -> bool {
    items.iter().any(|i| matches!(i, SelectItem::Expr { expr, .. } if has_aggregate(expr)))
}

/// Whether a `select` parameter holds an aggregate (false when it does not parse: the query
/// itself reports that).
pub fn select_text_aggregates(select: &str) -> bool {
    portail_odsql::parse_select(select).is_ok_and(|items| selects_aggregate(&items))
}

/// Whether an expression contains an aggregate call.
pub fn has_aggregate(e: &Expr) -> bool {
    match e {
        Expr::Call { name, args, .. } => {
            AGGREGATES.contains(&name.as_str())
                || args.iter().any(|a| match a {
                    Arg::Expr(x) | Arg::Distinct(x) => has_aggregate(x),
                    _ => false,
                })
        }
        Expr::Neg { expr, .. } => has_aggregate(expr),
        Expr::Arith { left, right, .. } => has_aggregate(left) || has_aggregate(right),
        _ => false,
    }
}

impl<'a> Binder<'a> {
    pub fn new(
        schema: &'a Schema,
        index_dir: &'a Path,
        tables: &'a Tables,
        memory: Option<&'a Resident>,
    ) -> Binder<'a> {
        Binder { schema, index_dir, tables, index: None, memory, zone: crate::Zone::UTC, lang: portail_core::Lang::Fr }
    }

    pub fn in_lang(mut self, lang: portail_core::Lang) -> Self {
        self.lang = lang;
        self
    }

    pub fn in_zone(mut self, zone: crate::Zone) -> Self {
        self.zone = zone;
        self
    }

    /// The codes of `e` when it is a coded text field of a version in memory.
    pub fn coded(&self, e: &Expr) -> Option<&'a Coded> {
        let Expr::Field { path, .. } = e else { return None };
        let (_, field_type) = self.field(path).ok()?;
        if field_type != FieldType::Text {
            return None;
        }
        let name = self.schema.field(&path.join("."))?.name.as_str();
        self.memory?.coded.get(name)
    }

    fn index(&mut self) -> Result<&DatasetIndex, QueryError> {
        if self.index.is_none() {
            self.index = Some(self.tables.index(self.index_dir)?);
        }
        Ok(self.index.as_ref().expect("set above"))
    }

    pub fn field(&self, path: &[String]) -> Result<(DfExpr, FieldType), QueryError> {
        let name = path.join(".");
        match name.as_str() {
            "_id" | "recordid" => return Ok((ident("_record_id"), FieldType::Text)),
            _ => {}
        }
        match self.schema.field(&name) {
            Some(f) => Ok((ident(&f.name), f.field_type)),
            None => invalid(self.schema.unknown_field(&name)),
        }
    }

    fn text_fields(&self, args: &[Arg]) -> Result<Vec<String>, QueryError> {
        let mut fields = vec![];
        for a in args {
            match a {
                Arg::Star(_) => return Ok(vec![]),
                Arg::Expr(Expr::Field { path, .. }) => {
                    let (_, t) = self.field(path)?;
                    if t != FieldType::Text {
                        return invalid(format!("{} is not a text field", path.join(".")));
                    }
                    fields.push(path.join("."));
                }
                _ => return invalid("full-text functions take field names, then a quoted text"),
            }
        }
        Ok(fields)
    }

    /// A value expression (select, group_by, order_by, either side of a comparison).
    pub fn value(&mut self, e: &Expr) -> Result<(DfExpr, Kind), QueryError> {
        match e {
            Expr::Field { path, .. } => {
                let (expr, t) = self.field(path)?;
                Ok((expr, Kind::Field(t)))
            }
            Expr::Literal { value, .. } => Ok(match value {
                Literal::Str(s) => (lit(s.clone()), Kind::Text),
                Literal::Num(text, v) if !text.contains('.') && v.abs() < 9.0e15 => (lit(*v as i64), Kind::Number),
                Literal::Num(_, v) => (lit(*v), Kind::Number),
                Literal::Bool(b) => (lit(*b), Kind::Bool),
                Literal::Null => (lit(ScalarValue::Null), Kind::Other),
                Literal::Date(d) => {
                    let us = parse_instant_in(d, self.zone)
                        .ok_or_else(|| QueryError::invalid(format!("Invalid date literal: date'{d}'")))?;
                    (
                        lit(ScalarValue::TimestampMicrosecond(Some(us), Some("UTC".into()))),
                        Kind::Field(FieldType::Datetime),
                    )
                }
                Literal::Geom(_) => return invalid("a geometry can only be used in a geo function"),
            }),
            Expr::Neg { expr, .. } => {
                let (x, _) = self.value(expr)?;
                Ok((DfExpr::Negative(Box::new(x)), Kind::Number))
            }
            Expr::Arith { op, left, right, .. } => {
                let (l, _) = self.value(left)?;
                let (r, _) = self.value(right)?;
                let as_f64 = |x| cast(x, DataType::Float64);
                Ok((
                    match op {
                        ArithOp::Add => l + r,
                        ArithOp::Sub => l - r,
                        ArithOp::Mul => l * r,
                        // Division by zero yields null, and `/` is always a real division.
                        ArithOp::Div => as_f64(l) / f::nullif(as_f64(r), lit(0.0)),
                    },
                    Kind::Number,
                ))
            }
            Expr::Call { name, args, .. } => self.call(name, args),
        }
    }

    fn single_arg(&mut self, name: &str, args: &[Arg]) -> Result<(DfExpr, Kind), QueryError> {
        match args {
            [Arg::Expr(x)] => self.value(x),
            _ => invalid(format!("ODSQL query is malformed: {name}() takes one argument")),
        }
    }

    fn call(&mut self, name: &str, args: &[Arg]) -> Result<(DfExpr, Kind), QueryError> {
        if DATE_PARTS.contains(&name) {
            let (x, k) = self.single_arg(name, args)?;
            if !matches!(k, Kind::Field(FieldType::Date | FieldType::Datetime)) {
                return invalid(format!("{name}() takes a date or datetime field"));
            }
            let part = udf::date_part(name, x, self.zone)
                .ok_or_else(|| QueryError::invalid(format!("{name}() is not a date part")))?;
            return Ok((part, Kind::Number));
        }
        match name {
            "range" => {
                let Some(Arg::Expr(field)) = args.first() else {
                    return invalid("range() takes a field first");
                };
                let (x, kind) = self.value(field)?;
                Ok((crate::buckets::range(x, kind, &args[1..], self.zone)?, Kind::Text))
            }
            "date_format" => match args {
                [Arg::Expr(x), Arg::Expr(Expr::Literal { value: Literal::Str(pattern), .. })] => {
                    let (x, k) = self.value(x)?;
                    if !matches!(k, Kind::Field(FieldType::Date | FieldType::Datetime)) {
                        return invalid("date_format() takes a date or datetime field");
                    }
                    // A date is a day, not shifted; a datetime is shown on the request's clock.
                    let zone = if k == Kind::Field(FieldType::Date) { "UTC" } else { self.zone.name() };
                    let ts = cast(
                        x,
                        DataType::Timestamp(datafusion::arrow::datatypes::TimeUnit::Microsecond, Some(zone.into())),
                    );
                    let chrono_pattern = crate::buckets::date_format_pattern(pattern)?;
                    let names = chrono_pattern.contains(crate::buckets::NAME_START);
                    let text = f::to_char(ts, lit(chrono_pattern));
                    Ok((if names { udf::localize_names(text, self.lang) } else { text }, Kind::Text))
                }
                _ => invalid("date_format() takes a date field and a quoted pattern such as 'yyyy-MM'"),
            },
            "json_format" => {
                let (x, k) = match args.first() {
                    Some(Arg::Expr(x)) => self.value(x)?,
                    _ => return invalid("json_format() takes a text field and an optional fallback"),
                };
                if !matches!(k, Kind::Field(FieldType::Text) | Kind::Text) {
                    return invalid("json_format() takes a text field");
                }
                let fallback = match args.get(1) {
                    None => None,
                    Some(Arg::Expr(Expr::Literal { value: Literal::Str(s), .. })) => Some(Some(s.clone())),
                    Some(Arg::Expr(Expr::Literal { value: Literal::Null, .. })) => Some(None),
                    _ => return invalid("json_format()'s fallback is a quoted text or null"),
                };
                if args.len() > 2 {
                    return invalid("json_format() takes a text field and an optional fallback");
                }
                Ok((udf::json_format(x, fallback), Kind::Json))
            }
            "lower" => Ok((f::lower(self.single_arg(name, args)?.0), Kind::Text)),
            "upper" => Ok((f::upper(self.single_arg(name, args)?.0), Kind::Text)),
            "length" => Ok((cast(f::character_length(self.single_arg(name, args)?.0), DataType::Int64), Kind::Number)),
            "ifnull" => match args {
                [Arg::Expr(x), Arg::Expr(alt)] => {
                    let (x, k) = self.value(x)?;
                    let (alt, _) = self.value(alt)?;
                    Ok((f::coalesce(vec![x, alt]), k))
                }
                _ => invalid("ODSQL query is malformed: ifnull() takes two arguments"),
            },
            "count" => match args {
                [Arg::Star(_)] | [] => {
                    Ok((agg::count(lit(1i64)).alias_if_changed("count(*)".into())?, Kind::Aggregate))
                }
                [Arg::Expr(x)] => Ok((agg::count(self.value(x)?.0), Kind::Aggregate)),
                [Arg::Distinct(x)] => Ok((agg::count_distinct(self.value(x)?.0), Kind::Aggregate)),
                _ => invalid("ODSQL query is malformed: count() takes *, a field or DISTINCT field"),
            },
            "sum" | "avg" | "median" => {
                let (x, k) = self.single_arg(name, args)?;
                if !matches!(k, Kind::Field(FieldType::Int | FieldType::Double) | Kind::Number) {
                    return invalid(format!("{name}() takes a numeric field"));
                }
                // Sums of integers stay integers; averages and medians are real numbers.
                let x = if name == "sum" && k == Kind::Field(FieldType::Int) { x } else { cast(x, DataType::Float64) };
                Ok((
                    match name {
                        "sum" => agg::sum(x),
                        "avg" => agg::avg(x),
                        _ => agg::median(x),
                    },
                    Kind::Aggregate,
                ))
            }
            "min" | "max" => {
                let (x, k) = self.single_arg(name, args)?;
                let e = if name == "min" { agg::min(x) } else { agg::max(x) };
                Ok((
                    e,
                    match k {
                        Kind::Field(t) => Kind::Field(t),
                        _ => Kind::Aggregate,
                    },
                ))
            }
            "bbox" | "envelope" => {
                let (x, k) = self.single_arg(name, args)?;
                if !matches!(k, Kind::Field(FieldType::GeoPoint2d | FieldType::GeoShape)) {
                    return invalid(format!("{name}() takes a geo field"));
                }
                Ok((crate::geometry::surround(x, name == "envelope"), Kind::Field(FieldType::GeoShape)))
            }
            "percentile" => match args {
                [Arg::Expr(x), Arg::Expr(Expr::Literal { value: Literal::Num(_, p), .. })]
                    if (0.0..=100.0).contains(p) =>
                {
                    let (x, k) = self.value(x)?;
                    if !matches!(k, Kind::Field(FieldType::Int | FieldType::Double) | Kind::Number) {
                        return invalid("percentile() takes a numeric field");
                    }
                    // Exact, interpolating between the two nearest values.
                    let sorted = cast(x, DataType::Float64).sort(true, false);
                    Ok((agg::percentile_cont(sorted, lit(p / 100.0)), Kind::Aggregate))
                }
                _ => invalid("percentile() takes a numeric field and a percentage between 0 and 100"),
            },
            "now" => {
                let mut named = vec![];
                for a in args {
                    match a {
                        Arg::Named { name, value, .. } => named.push((name.as_str(), *value)),
                        _ => return invalid("now() takes only named arguments, as in now(years=-1, month=1)"),
                    }
                }
                // Parts are set and shifted on the request zone's clock (`now(hour=0)` is its
                // midnight), then read back as an instant.
                let now = crate::time::now_micros();
                let at = if named.is_empty() {
                    now
                } else {
                    let local = crate::time::now_with(self.zone.local(now), &named).map_err(QueryError::invalid)?;
                    self.zone.instant(local)
                };
                Ok((
                    lit(ScalarValue::TimestampMicrosecond(Some(at), Some("UTC".into()))),
                    Kind::Field(FieldType::Datetime),
                ))
            }
            "random" => match args {
                [Arg::Expr(Expr::Literal { value: Literal::Num(_, seed), .. })] if seed.fract() == 0.0 => {
                    // A fixed shuffle of the row numbers: the same seed gives the same order.
                    let seed = (*seed as i64).rem_euclid(1 << 31);
                    let key = (ident(crate::records::HIDDEN_ROW) + lit(seed * 40_503)) * lit(2_654_435_761i64);
                    Ok((key % lit(1i64 << 32), Kind::Number))
                }
                _ => invalid("random() takes a whole number as seed, as in order_by=random(42)"),
            },
            "distance" => match args {
                [field, Arg::Expr(Expr::Literal { value: Literal::Geom(g), .. })] => {
                    let (_, lat, lon) = self.geo_field(Some(field))?;
                    let (lon0, lat0) = parse_point(g)?;
                    Ok((haversine_meters(lat, lon, lat0, lon0), Kind::Number))
                }
                _ => invalid("distance() takes a geo field and a point, as in distance(geo, geom'POINT(2.35 48.85)')"),
            },
            other => invalid(format!("ODSQL query is malformed: {other}() is not a known function")),
        }
    }

    /// A literal read as a value of the field type on the other side of a comparison.
    fn literal_for(&self, t: FieldType, e: &Expr) -> Result<Option<DfExpr>, QueryError> {
        let Expr::Literal { value, .. } = e else { return Ok(None) };
        let bad =
            || QueryError::invalid(format!("The value {} cannot be compared with a {} field", describe(value), t));
        Ok(Some(match (t, value) {
            (_, Literal::Null) => lit(ScalarValue::Null),
            // A whole number compared with an int field stays an integer, so that the column is
            // compared as stored instead of being converted row by row.
            (FieldType::Int, Literal::Num(_, v)) if v.fract() == 0.0 && v.abs() < 9.0e15 => lit(*v as i64),
            (FieldType::Int | FieldType::Double, Literal::Num(_, v)) => lit(*v),
            (FieldType::Int | FieldType::Double, Literal::Str(s)) => lit(s.trim().parse::<f64>().map_err(|_| bad())?),
            (FieldType::Date, Literal::Date(s) | Literal::Str(s)) => {
                let us = parse_instant(s).ok_or_else(bad)?;
                lit(ScalarValue::Date32(Some(us.div_euclid(86_400_000_000) as i32)))
            }
            (FieldType::Date, Literal::Num(text, _)) => {
                let us = parse_instant(text).ok_or_else(bad)?;
                lit(ScalarValue::Date32(Some(us.div_euclid(86_400_000_000) as i32)))
            }
            (FieldType::Datetime, Literal::Date(s) | Literal::Str(s)) => lit(ScalarValue::TimestampMicrosecond(
                Some(parse_instant_in(s, self.zone).ok_or_else(bad)?),
                Some("UTC".into()),
            )),
            (FieldType::Datetime, Literal::Num(text, _)) => lit(ScalarValue::TimestampMicrosecond(
                Some(parse_instant_in(text, self.zone).ok_or_else(bad)?),
                Some("UTC".into()),
            )),
            (FieldType::Boolean, Literal::Bool(b)) => lit(*b),
            (FieldType::Boolean, Literal::Str(s)) if s == "true" || s == "false" => lit(s == "true"),
            (FieldType::Text, Literal::Str(s)) => lit(s.clone()),
            (FieldType::Text, Literal::Num(text, _)) => lit(text.clone()),
            (FieldType::Text, Literal::Bool(b)) => lit(b.to_string()),
            _ => return Err(bad()),
        }))
    }

    /// The separators of a multivalued or hierarchical text field named by `e`.
    fn split_field(&self, e: &Expr) -> Option<(Option<char>, Option<char>)> {
        let f = self.schema.field(e.as_field()?)?;
        let seps = (f.multivalued(), f.hierarchical());
        (seps != (None, None)).then_some(seps)
    }

    fn side(&mut self, e: &Expr, other: Kind) -> Result<DfExpr, QueryError> {
        if let Some(t) = other.field_type() {
            if let Some(x) = self.literal_for(t, e)? {
                return Ok(x);
            }
        }
        Ok(self.value(e)?.0)
    }

    fn full_text(&mut self, fields: &[String], text: &str, mode: Match) -> Result<DfExpr, QueryError> {
        let (text, mode) = match text.trim_end().strip_suffix('*') {
            Some(t) if mode == Match::Words => (t.to_owned(), Match::Prefix),
            _ => (text.to_owned(), mode),
        };
        let rows = self.index()?.matching_rows(fields, &text, mode)?;
        if rows.is_empty() {
            return Ok(lit(false));
        }
        Ok(udf::row_in(ident("_row"), &rows))
    }

    /// A geo point field argument: the point, its latitude and its longitude.
    fn geo_field(&self, arg: Option<&Arg>) -> Result<(DfExpr, DfExpr, DfExpr), QueryError> {
        let Some(Arg::Expr(Expr::Field { path, .. })) = arg else {
            return invalid("geo functions take a geo_point_2d field first");
        };
        let (x, t) = self.field(path)?;
        if t != FieldType::GeoPoint2d {
            return invalid(format!("{} is not a geo_point_2d field", path.join(".")));
        }
        Ok((x.clone(), f::get_field(x.clone(), "lat"), f::get_field(x, "lon")))
    }

    /// `intersects|disjoint|within(field, geom'…')`, and the legacy `geometry(field, geom'…'[,
    /// INTERSECTS|DISJOINT|WITHIN])` (intersects when the relation is left out, as ods-widgets
    /// send it) and `polygon(point_field, geom'POLYGON(…)')`.
    fn geo_relation(&self, name: &str, args: &[Arg]) -> Result<DfExpr, QueryError> {
        let usage = || {
            QueryError::invalid(format!(
                "{name}() takes a geo field and a geometry: {name}(field, geom'POLYGON((lon lat, …))')"
            ))
        };
        let (
            Some(Arg::Expr(Expr::Field { path, .. })),
            Some(Arg::Expr(Expr::Literal { value: Literal::Geom(wkt), .. })),
        ) = (args.first(), args.get(1))
        else {
            return Err(usage());
        };
        let relation = match (name, args.get(2)) {
            ("geometry", Some(Arg::Expr(Expr::Field { path: mode, .. }))) if mode.len() == 1 => {
                Relation::of_name(&mode[0]).ok_or_else(|| {
                    QueryError::invalid(format!("geometry() takes INTERSECTS, DISJOINT or WITHIN, not {}", mode[0]))
                })?
            }
            ("geometry" | "polygon", None) => Relation::Intersects,
            (_, None) => Relation::of_name(name).ok_or_else(usage)?,
            _ => return Err(usage()),
        };
        let (column, field_type) = self.field(path)?;
        let test = crate::geometry::relation(column.clone(), relation, wkt)?;
        match field_type {
            FieldType::GeoPoint2d => {
                // The literal's box lets the Parquet scan skip row groups by their statistics.
                let prune = relation != Relation::Disjoint && self.memory.is_none();
                match crate::geometry::bounds_of(wkt).filter(|_| prune) {
                    Some((w, s, e, n)) => {
                        let (lat, lon) = (f::get_field(column.clone(), "lat"), f::get_field(column, "lon"));
                        Ok(lat.between(lit(s), lit(n)).and(lon.between(lit(w), lit(e))).and(test))
                    }
                    None => Ok(test),
                }
            }
            FieldType::GeoShape if name != "polygon" => Ok(test),
            _ => invalid(format!("{name}() takes a geo field; {} is not one", path.join("."))),
        }
    }

    pub fn cond(&mut self, c: &Cond) -> Result<DfExpr, QueryError> {
        Ok(match c {
            Cond::And(items) => {
                let mut out = lit(true);
                for (i, item) in items.iter().enumerate() {
                    let x = self.cond(item)?;
                    out = if i == 0 { x } else { out.and(x) };
                }
                out
            }
            Cond::Or(items) => {
                let mut out = lit(false);
                for (i, item) in items.iter().enumerate() {
                    let x = self.cond(item)?;
                    out = if i == 0 { x } else { out.or(x) };
                }
                out
            }
            // Comparisons with null are false; NOT of them must stay false, hence coalesce.
            Cond::Not(inner) => f::coalesce(vec![self.cond(inner)?, lit(false)]).not(),
            Cond::FullText { text, .. } => self.full_text(&[], text, Match::Words)?,
            Cond::Like { expr: Expr::Field { path, .. }, pattern, .. } => {
                let fields =
                    self.text_fields(&[Arg::Expr(Expr::Field { path: path.clone(), span: Default::default() })])?;
                self.full_text(&fields, pattern, Match::Words)?
            }
            Cond::Like { .. } => return invalid("LIKE applies to a text field"),
            // A multivalued field equals a value when one of its values does (as the API shows
            // such a field: a list).
            Cond::Compare {
                left,
                op: op @ (CmpOp::Eq | CmpOp::Ne),
                right: Expr::Literal { value: Literal::Str(text), .. },
                ..
            } if self.split_field(left).is_some_and(|(multivalued, _)| multivalued.is_some()) => {
                let (multivalued, _) = self.split_field(left).expect("checked by the guard");
                let holds = udf::holds_value(self.value(left)?.0, text, multivalued, None);
                if *op == CmpOp::Eq {
                    holds
                } else {
                    holds.not()
                }
            }
            Cond::Compare { left, op: CmpOp::Eq, right: Expr::Literal { value: Literal::Str(text), .. }, .. }
                if self.coded(left).is_some() =>
            {
                let coded = self.coded(left).expect("checked by the guard");
                match coded.code_of(text) {
                    Some(code) => ident(&coded.column).eq(lit(code)),
                    None => lit(false), // no record has this value
                }
            }
            Cond::Compare { left, op, right, .. } => {
                let (l, lk) = self.value(left)?;
                let r = self.side(right, lk)?;
                let l = match (lk, right) {
                    // `field = value` where the field is on the right: bind the left literal to it.
                    (Kind::Text | Kind::Number | Kind::Bool, Expr::Field { .. }) => {
                        let rk = self.value(right)?.1;
                        self.side(left, rk)?
                    }
                    _ => l,
                };
                match op {
                    CmpOp::Eq => l.eq(r),
                    CmpOp::Ne => l.not_eq(r),
                    CmpOp::Lt => l.lt(r),
                    CmpOp::Le => l.lt_eq(r),
                    CmpOp::Gt => l.gt(r),
                    CmpOp::Ge => l.gt_eq(r),
                }
            }
            Cond::InList { expr, values, .. } => {
                let (x, k) = self.value(expr)?;
                let mut list = vec![];
                for v in values {
                    list.push(self.side(v, k)?);
                }
                x.in_list(list, false)
            }
            Cond::InRange { expr, low, high, .. } => {
                let (x, k) = self.value(expr)?;
                let lo = self.side(&low.value, k)?;
                let hi = self.side(&high.value, k)?;
                let lower = if low.inclusive { x.clone().gt_eq(lo) } else { x.clone().gt(lo) };
                let upper = if high.inclusive { x.lt_eq(hi) } else { x.lt(hi) };
                lower.and(upper)
            }
            Cond::Member { value: Expr::Literal { value: Literal::Str(text), .. }, field, .. }
                if self.split_field(field).is_some() =>
            {
                // One of the values, or (for a path) the value or a level above it.
                let (multivalued, hierarchical) = self.split_field(field).expect("checked by the guard");
                udf::holds_value(self.value(field)?.0, text, multivalued, hierarchical)
            }
            Cond::Member { value, field, .. } => {
                // A field with one value: membership is equality.
                let (x, k) = self.value(field)?;
                x.eq(self.side(value, k)?)
            }
            Cond::IsNull { expr, negated, .. } => {
                let (x, _) = self.value(expr)?;
                if *negated {
                    x.is_not_null()
                } else {
                    x.is_null()
                }
            }
            Cond::IsBool { expr, value, negated, .. } => {
                let (x, _) = self.value(expr)?;
                let test = x.eq(lit(*value));
                if *negated {
                    f::coalesce(vec![test, lit(false)]).not()
                } else {
                    test
                }
            }
            Cond::Truthy { expr, .. } => {
                let (x, k) = self.value(expr)?;
                if k != Kind::Field(FieldType::Boolean) && k != Kind::Bool {
                    return invalid("a condition on its own must be a boolean field");
                }
                x.eq(lit(true))
            }
            Cond::Function { name, args, .. } => self.function(name, args)?,
        })
    }

    fn function(&mut self, name: &str, args: &[Arg]) -> Result<DfExpr, QueryError> {
        match name {
            "search" | "suggest" | "startswith" => {
                let Some(Arg::Expr(Expr::Literal { value: Literal::Str(text), .. })) = args.last() else {
                    return invalid(format!("{name}() takes a quoted text as its last argument"));
                };
                let fields = self.text_fields(&args[..args.len() - 1])?;
                match name {
                    "search" => self.full_text(&fields, text, Match::Fuzzy),
                    "suggest" => self.full_text(&fields, text, Match::AllPrefixes),
                    _ => {
                        let names = if fields.is_empty() {
                            self.schema
                                .fields
                                .iter()
                                .filter(|f| f.field_type == FieldType::Text)
                                .map(|f| f.name.clone())
                                .collect()
                        } else {
                            fields
                        };
                        let mut out = lit(false);
                        for n in names {
                            out = out.or(f::coalesce(vec![f::starts_with(ident(&n), lit(text.clone())), lit(false)]));
                        }
                        Ok(out)
                    }
                }
            }
            "within_distance" | "distance" => {
                let (point, lat, lon) = self.geo_field(args.first())?;
                let (lon0, lat0) = match args.get(1) {
                    Some(Arg::Expr(Expr::Literal { value: Literal::Geom(g), .. })) => parse_point(g)?,
                    _ => return invalid("within_distance() takes a point: geom'POINT(lon lat)'"),
                };
                let meters = match args.get(2) {
                    Some(Arg::Quantity { value, unit, .. }) => value * unit_meters(unit)?,
                    Some(Arg::Expr(Expr::Literal { value: Literal::Num(_, v), .. })) => *v,
                    _ => return invalid("within_distance() takes a distance such as 500m or 10km"),
                };
                let within = udf::within_distance(point, lat0, lon0, meters);
                if self.memory.is_some() {
                    return Ok(within);
                }
                // A bounding box first: it lets the Parquet scan skip row groups by statistics.
                let dlat = (meters / EARTH_RADIUS_M).to_degrees();
                let dlon = udf::lon_half_width(lat0, meters);
                let mut bbox = lat.between(lit(lat0 - dlat), lit(lat0 + dlat));
                // A box crossing the antimeridian (or a pole) has no simple longitude range.
                if lon0 - dlon >= -180.0 && lon0 + dlon <= 180.0 {
                    bbox = bbox.and(lon.between(lit(lon0 - dlon), lit(lon0 + dlon)));
                }
                Ok(bbox.and(within))
            }
            "intersects" | "disjoint" | "within" | "geometry" | "polygon" => self.geo_relation(name, args),
            "in_bbox" => {
                let (_, lat, lon) = self.geo_field(args.first())?;
                let mut n = vec![];
                for a in &args[1..] {
                    match a {
                        Arg::Expr(Expr::Literal { value: Literal::Num(_, v), .. }) => n.push(*v),
                        _ => return invalid("in_bbox() takes a field and four numbers: lat1, lon1, lat2, lon2"),
                    }
                }
                let [lat1, lon1, lat2, lon2] = n[..] else {
                    return invalid("in_bbox() takes a field and four numbers: lat1, lon1, lat2, lon2");
                };
                Ok(lat
                    .between(lit(lat1.min(lat2)), lit(lat1.max(lat2)))
                    .and(lon.between(lit(lon1.min(lon2)), lit(lon1.max(lon2)))))
            }
            other => invalid(format!(
                "ODSQL query is malformed: {other}() cannot be used as a condition (or is not supported yet)"
            )),
        }
    }
}

/// Great-circle distance in metres from a point, as a column expression.
fn haversine_meters(lat: DfExpr, lon: DfExpr, lat0: f64, lon0: f64) -> DfExpr {
    let half_sin_sq = |x: DfExpr| {
        let s = f::sin(x / lit(2.0));
        s.clone() * s
    };
    let dlat = f::radians(lat.clone()) - lit(lat0.to_radians());
    let dlon = f::radians(lon) - lit(lon0.to_radians());
    let a = half_sin_sq(dlat) + lit(lat0.to_radians().cos()) * f::cos(f::radians(lat)) * half_sin_sq(dlon);
    // Rounding can push `a` a hair above 1 for nearly antipodal points; asin would give NaN.
    lit(2.0 * EARTH_RADIUS_M) * f::asin(f::sqrt(f::least(vec![a, lit(1.0)])))
}

fn describe(v: &Literal) -> String {
    match v {
        Literal::Str(s) => format!("\"{s}\""),
        Literal::Num(t, _) => t.clone(),
        Literal::Bool(b) => b.to_string(),
        Literal::Null => "null".into(),
        Literal::Date(d) => format!("date'{d}'"),
        Literal::Geom(g) => format!("geom'{g}'"),
    }
}

fn unit_meters(unit: &str) -> Result<f64, QueryError> {
    Ok(match unit {
        "m" => 1.0,
        "km" => 1000.0,
        "cm" => 0.01,
        "mm" => 0.001,
        "mi" => 1609.344,
        "yd" => 0.9144,
        "ft" => 0.3048,
        other => return invalid(format!("unknown distance unit `{other}` (use m, km, mi, yd, ft, cm or mm)")),
    })
}

/// `POINT(lon lat)` in WKT → (lon, lat).
fn parse_point(wkt: &str) -> Result<(f64, f64), QueryError> {
    let t = wkt.trim();
    let inner = t
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("point"))
        .and_then(|_| t[5..].trim().strip_prefix('('))
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| QueryError::invalid(format!("not a WKT point: {wkt}")))?;
    let nums: Vec<f64> = inner.split_whitespace().filter_map(|n| n.parse().ok()).collect();
    match nums[..] {
        [lon, lat] if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) => Ok((lon, lat)),
        _ => invalid(format!("not a WKT point: {wkt}")),
    }
}
