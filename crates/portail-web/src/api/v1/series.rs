//! The `y.<serie>.func` / `y.<serie>.expr` series of v1 `analyze`, `geocluster` and `geopolygon`: each serie
//! becomes ODSQL aggregates in `select`, and its value is read back from the grouped row.

use super::V1Params;
use crate::api::ApiError;
use axum::response::Response;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Count,
    Avg,
    Sum,
    Min,
    Max,
    /// Population standard deviation, as Elasticsearch's `extended_stats` (v1's engine) gives it.
    Stddev,
    Sumsquares,
}

impl Func {
    fn parse(name: &str) -> Option<Func> {
        Some(match name.to_ascii_uppercase().as_str() {
            "COUNT" => Func::Count,
            "AVG" => Func::Avg,
            "SUM" => Func::Sum,
            "MIN" => Func::Min,
            "MAX" => Func::Max,
            "STDDEV" => Func::Stddev,
            "SUMSQUARES" => Func::Sumsquares,
            _ => return None,
        })
    }
}

/// One serie: its name in the answer and its aggregate.
#[derive(Debug)]
pub struct Serie {
    pub name: String,
    func: Func,
    expr: Option<String>,
    /// `y.<serie>.cumulative=true`: `analyze` shows running totals in its output order.
    pub cumulative: bool,
}

/// The series of a request in the order given; empty when it names none.
pub fn series(params: &V1Params) -> Result<Vec<Serie>, ApiError> {
    let mut names: Vec<String> = vec![];
    for (key, _) in params.prefixed("y.") {
        if let Some((name, _)) = key.rsplit_once('.') {
            if !names.iter().any(|s| s == name) {
                names.push(name.to_owned());
            }
        }
    }
    let mut out = vec![];
    for name in names {
        let func_text = params.one(&format!("y.{name}.func")).unwrap_or("COUNT");
        let func = Func::parse(func_text).ok_or_else(|| {
            ApiError::parameter(format!(
                "Unsupported function y.{name}.func={func_text} (COUNT, AVG, SUM, MIN, MAX, STDDEV, SUMSQUARES)"
            ))
        })?;
        let expr = params.one(&format!("y.{name}.expr")).filter(|e| !e.is_empty()).map(str::to_owned);
        if func != Func::Count && expr.is_none() {
            return Err(ApiError::parameter(format!("y.{name}.expr is needed with {}", func_text.to_uppercase())));
        }
        let cumulative = params.flag(&format!("y.{name}.cumulative"));
        out.push(Serie { name, func, expr, cumulative });
    }
    Ok(out)
}

/// The default serie of `analyze`: a count named `count`.
pub fn count_serie() -> Serie {
    Serie { name: "count".into(), func: Func::Count, expr: None, cumulative: false }
}

impl Serie {
    /// The `select` item computing serie number `i`, aliased `s{i}` (so `sort` can use it).
    pub fn select(&self, i: usize) -> String {
        let e = self.expr.as_deref().unwrap_or("");
        match self.func {
            Func::Count => format!("count(*) as s{i}"),
            Func::Avg => format!("avg({e}) as s{i}"),
            Func::Sum => format!("sum({e}) as s{i}"),
            Func::Min => format!("min({e}) as s{i}"),
            Func::Max => format!("max({e}) as s{i}"),
            Func::Sumsquares => format!("sum(({e}) * ({e})) as s{i}"),
            // The variance, E[x²] − E[x]²: it sorts as the deviation does; the root is taken
            // when the row is read.
            Func::Stddev => format!("avg(({e}) * ({e})) - avg({e}) * avg({e}) as s{i}"),
        }
    }

    /// The serie's value in a grouped row (null when the group has no value to aggregate).
    pub fn value(&self, i: usize, row: &Map<String, Value>) -> Value {
        let own = row.get(&format!("s{i}")).cloned().unwrap_or(Value::Null);
        if self.func != Func::Stddev {
            return own;
        }
        // Rounding can leave the variance of a constant group a hair below zero.
        match own.as_f64() {
            Some(variance) => serde_json::Number::from_f64(variance.max(0.0).sqrt()).map_or(Value::Null, Value::Number),
            None => Value::Null,
        }
    }
}

impl Serie {
    /// The per-record `select` item feeding serie `i` when records are grouped outside the
    /// engine (`geopolygon` groups by shape); `None` for a count.
    pub fn input(&self, i: usize) -> Option<String> {
        match self.func {
            Func::Count => None,
            _ => self.expr.as_ref().map(|e| format!("{e} as e{i}")),
        }
    }

    /// The serie over one group: `values` are its records' non-null inputs, `count` its records.
    pub fn fold(&self, values: &[f64], count: usize) -> Value {
        let n = values.len() as f64;
        let sum: f64 = values.iter().sum();
        let number = |x: f64| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
        if self.func != Func::Count && values.is_empty() {
            return Value::Null;
        }
        match self.func {
            Func::Count => Value::from(count as u64),
            Func::Sum => number(sum),
            Func::Avg => number(sum / n),
            Func::Min => number(values.iter().copied().fold(f64::INFINITY, f64::min)),
            Func::Max => number(values.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
            Func::Sumsquares => number(values.iter().map(|v| v * v).sum()),
            Func::Stddev => {
                let mean = sum / n;
                number((values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt())
            }
        }
    }
}

/// Replaces each point's `name` by the running total of the points so far (nulls add nothing
/// and stay null).
pub fn accumulate(points: &mut [Map<String, Value>], name: &str) {
    let mut total = 0.0;
    for point in points {
        if let Some(v) = point.get(name).and_then(Value::as_f64) {
            total += v;
            let running = serde_json::Number::from_f64(total).map_or(Value::Null, Value::Number);
            // Integer series keep integer totals.
            let running = match running.as_f64() {
                Some(t) if t.fract() == 0.0 && t.abs() < 9e15 => Value::from(t as i64),
                _ => running,
            };
            point.insert(name.to_owned(), running);
        }
    }
}

/// `analyze` as CSV: the x columns (`x`, or the date parts `year`, `month`…), then one column per
/// serie; an empty cell for a null.
pub fn csv(points: &[Map<String, Value>], x_columns: &[&str], series: &[&str], separator: char) -> Response {
    let separator = separator.to_string();
    let cell = |v: Option<&Value>| {
        let s = match v {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        if s.contains(separator.as_str()) || s.contains('"') || s.contains('\n') || s.contains('\r') {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    };
    let header: Vec<String> = x_columns.iter().chain(series).map(|c| cell(Some(&Value::from(*c)))).collect();
    let mut out = header.join(&separator) + "\r\n";
    for point in points {
        let x = &point["x"];
        let mut row: Vec<String> =
            if x.is_object() { x_columns.iter().map(|c| cell(x.get(*c))).collect() } else { vec![cell(Some(x))] };
        row.extend(series.iter().map(|s| cell(point.get(*s))));
        out.push_str(&row.join(&separator));
        out.push_str("\r\n");
    }
    crate::api::api_text(out, "text/csv; charset=utf-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;
    use axum::http::{HeaderMap, Method};
    use serde_json::json;

    fn params(q: &str) -> V1Params {
        V1Params::new(&format!("/x?{q}").parse().unwrap(), &Method::GET, &HeaderMap::new(), &Bytes::new())
    }

    #[test]
    fn series_keep_their_order_and_need_an_expression_beyond_count() {
        let s = series(&params("y.b.func=SUM&y.b.expr=n&y.a.func=count")).unwrap();
        assert_eq!(s.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(s[0].select(0), "sum(n) as s0");
        assert_eq!(s[1].select(1), "count(*) as s1");
        assert!(series(&params("y.a.func=AVG")).unwrap_err().message.contains("y.a.expr"));
        assert!(series(&params("y.a.func=MEDIAN&y.a.expr=n")).unwrap_err().message.contains("MEDIAN"));
        assert!(series(&params("x=f")).unwrap().is_empty());
    }

    #[test]
    fn cumulative_series_are_running_totals() {
        let s = series(&params("y.n.func=COUNT&y.n.cumulative=true&y.m.func=COUNT")).unwrap();
        assert!(s[0].cumulative && !s[1].cumulative);
        let mut points: Vec<Map<String, Value>> =
            [json!({"n": 2}), json!({"n": null}), json!({"n": 1.5}), json!({"n": 0.5})]
                .into_iter()
                .map(|v| v.as_object().unwrap().clone())
                .collect();
        accumulate(&mut points, "n");
        let values: Vec<&Value> = points.iter().map(|p| &p["n"]).collect();
        assert_eq!(values, [&json!(2), &Value::Null, &json!(3.5), &json!(4)]);
    }

    #[test]
    fn series_fold_a_group_of_values_as_the_engine_would() {
        let all = series(&params(
            "y.c.func=COUNT&y.s.func=SUM&y.s.expr=n&y.a.func=AVG&y.a.expr=n&y.lo.func=MIN&y.lo.expr=n&y.hi.func=MAX&y.hi.expr=n&y.d.func=STDDEV&y.d.expr=n&y.q.func=SUMSQUARES&y.q.expr=n",
        ))
        .unwrap();
        let values = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let got: Vec<Value> = all.iter().map(|s| s.fold(&values, 9)).collect();
        assert_eq!(got, [json!(9), json!(40.0), json!(5.0), json!(2.0), json!(9.0), json!(2.0), json!(232.0)]);
        assert_eq!(all[1].input(1).as_deref(), Some("n as e1"));
        assert_eq!(all[0].input(0), None);
        assert_eq!(all[2].fold(&[], 3), Value::Null, "no value to average");
    }

    #[test]
    fn stddev_is_the_root_of_the_population_variance() {
        let s = &series(&params("y.d.func=stddev&y.d.expr=n")).unwrap()[0];
        assert_eq!(s.select(3), "avg((n) * (n)) - avg(n) * avg(n) as s3");
        let row = json!({"s3": 4.0});
        assert_eq!(s.value(3, row.as_object().unwrap()), json!(2.0));
        let constant = json!({"s3": -1e-17});
        assert_eq!(s.value(3, constant.as_object().unwrap()), json!(0.0), "never the root of a negative");
        let empty = json!({"s3": null});
        assert_eq!(s.value(3, empty.as_object().unwrap()), Value::Null);
        let sq = &series(&params("y.q.func=SUMSQUARES&y.q.expr=n")).unwrap()[0];
        assert_eq!(sq.select(0), "sum((n) * (n)) as s0");
    }
}
