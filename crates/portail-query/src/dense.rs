//! Grouping by one small-range integer key — `year(date)`, a coded text field, an int field with
//! few values — with `count`, `sum`, `avg`, `min` and `max`, straight into arrays indexed by the
//! key: no hash table. DataFusion still evaluates the key and the aggregates' arguments (one
//! projection), and still gives the output schema, so the result is the batch its own
//! aggregation would have produced, in another row order (groups are sorted afterwards anyway).
//!
//! Anything else (other aggregates, DISTINCT, several keys, a key spanning more than
//! [`MAX_SPAN`] values, arguments that are not integers or reals) returns `None`: the caller
//! aggregates the usual way.

use crate::error::QueryError;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::Expr as DfExpr;
use futures::StreamExt;
use std::sync::Arc;

/// Widest key range aggregated in arrays (values between the smallest and the largest key).
pub const MAX_SPAN: i64 = 1 << 18;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

/// The function of an aggregate this module computes, if it is one.
fn op_of(e: &DfExpr) -> Option<(Op, &DfExpr)> {
    let e = match e {
        DfExpr::Alias(a) => a.expr.as_ref(),
        e => e,
    };
    let DfExpr::AggregateFunction(af) = e else { return None };
    let p = &af.params;
    if p.distinct || p.filter.is_some() || !p.order_by.is_empty() || p.args.len() != 1 {
        return None;
    }
    let op = match af.func.name() {
        "count" => Op::Count,
        "sum" => Op::Sum,
        "avg" => Op::Avg,
        "min" => Op::Min,
        "max" => Op::Max,
        _ => return None,
    };
    Some((op, &p.args[0]))
}

/// One aggregate's state for every key slot.
enum Acc {
    Count(Vec<i64>),
    Int { op: Op, values: Vec<i64>, seen: Vec<bool> },
    Real { op: Op, values: Vec<f64>, seen: Vec<i64> },
}

impl Acc {
    fn new(op: Op, input: &DataType, slots: usize) -> Option<Acc> {
        Some(match (op, input) {
            (Op::Count, _) => Acc::Count(vec![0; slots]),
            (Op::Avg, DataType::Float64) => Acc::Real { op, values: vec![0.0; slots], seen: vec![0; slots] },
            (Op::Sum | Op::Min | Op::Max, DataType::Int64 | DataType::Int32 | DataType::Int16 | DataType::Int8) => {
                Acc::Int { op, values: vec![0; slots], seen: vec![false; slots] }
            }
            (Op::Sum | Op::Min | Op::Max, DataType::Float64) => {
                Acc::Real { op, values: vec![0.0; slots], seen: vec![0; slots] }
            }
            _ => return None,
        })
    }

    /// Makes room for `front` more key slots before the first key's (after slot 0, the null
    /// key's) and grows to `len` slots.
    fn rebase_after_null(&mut self, front: usize, len: usize) {
        fn grow<T: Clone>(v: &mut Vec<T>, front: usize, len: usize, empty: T) {
            v.splice(1..1, std::iter::repeat_n(empty.clone(), front));
            v.resize(len, empty);
        }
        match self {
            Acc::Count(n) => grow(n, front, len, 0),
            Acc::Int { values, seen, .. } => {
                grow(values, front, len, 0);
                grow(seen, front, len, false);
            }
            Acc::Real { values, seen, .. } => {
                grow(values, front, len, 0.0);
                grow(seen, front, len, 0);
            }
        }
    }

    /// Adds one batch: `slots[i]` is the slot of row `i`.
    fn add(&mut self, slots: &[usize], input: &ArrayRef) -> Result<(), QueryError> {
        match self {
            Acc::Count(n) => {
                for (i, s) in slots.iter().enumerate() {
                    n[*s] += i64::from(input.is_valid(i));
                }
            }
            Acc::Int { op, values, seen } => {
                let input = cast(input, &DataType::Int64).map_err(arrow)?;
                let input = input.as_primitive::<Int64Type>();
                for (i, &s) in slots.iter().enumerate() {
                    if input.is_null(i) {
                        continue;
                    }
                    let v = input.value(i);
                    let acc = &mut values[s];
                    *acc = match (*op, seen[s]) {
                        (_, false) => v,
                        (Op::Sum, true) => acc.wrapping_add(v),
                        (Op::Min, true) => (*acc).min(v),
                        (_, true) => (*acc).max(v),
                    };
                    seen[s] = true;
                }
            }
            Acc::Real { op, values, seen } => {
                let input = input.as_primitive::<Float64Type>();
                for (i, &s) in slots.iter().enumerate() {
                    if input.is_null(i) {
                        continue;
                    }
                    let v = input.value(i);
                    let acc = &mut values[s];
                    *acc = match (*op, seen[s] > 0) {
                        (_, false) => v,
                        (Op::Sum | Op::Avg, true) => *acc + v,
                        (Op::Min, true) => acc.min(v),
                        (_, true) => acc.max(v),
                    };
                    seen[s] += 1;
                }
            }
        }
        Ok(())
    }

    /// Counts rows per slot, whatever their values (a count's state only).
    fn add_rows(&mut self, slots: &[usize]) {
        if let Acc::Count(n) = self {
            for s in slots {
                n[*s] += 1;
            }
        }
    }

    /// The values of the kept slots, in order.
    fn finish(&self, kept: &[usize]) -> ArrayRef {
        match self {
            Acc::Count(n) => Arc::new(Int64Array::from_iter_values(kept.iter().map(|&s| n[s]))),
            Acc::Int { values, seen, .. } => {
                Arc::new(Int64Array::from_iter(kept.iter().map(|&s| seen[s].then_some(values[s]))))
            }
            Acc::Real { op, values, seen } => {
                Arc::new(Float64Array::from_iter(kept.iter().map(|&s| {
                    (seen[s] > 0).then(|| if *op == Op::Avg { values[s] / seen[s] as f64 } else { values[s] })
                })))
            }
        }
    }
}

/// `df` grouped by `key` with `aggregates`, computed in arrays, or `None` when this module does
/// not apply (see the module docs). `df` is the filtered scan; nothing runs unless it applies.
pub(crate) async fn aggregate(
    df: &DataFrame,
    key: &DfExpr,
    key_name: String,
    aggregates: &[DfExpr],
) -> Result<Option<RecordBatch>, QueryError> {
    let Some(ops) = aggregates.iter().map(op_of).collect::<Option<Vec<_>>>() else { return Ok(None) };
    // The schema DataFusion's own aggregation would give: names and types of the result.
    let grouped = df.clone().aggregate(vec![key.clone().alias(key_name)], aggregates.to_vec())?;
    let expected = grouped.schema().as_arrow().clone();
    let mut inputs = vec![key.clone().alias("\u{0}key")];
    inputs.extend(ops.iter().enumerate().map(|(i, (_, arg))| (*arg).clone().alias(format!("\u{0}a{i}"))));
    let projected = df.clone().select(inputs)?;
    let types: Vec<DataType> = projected.schema().fields().iter().map(|f| f.data_type().clone()).collect();
    if !matches!(
        types[0],
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 | DataType::UInt8 | DataType::UInt16
    ) {
        return Ok(None);
    }
    if ops.iter().zip(&types[1..]).any(|((op, _), t)| Acc::new(*op, t, 0).is_none()) {
        return Ok(None);
    }
    // Batches are added as they come: the key range grows when a batch falls outside it.
    // Slot 0 holds the records without a key (SQL groups nulls together); key v is slot v - lo + 1.
    let mut accs: Vec<Acc> =
        ops.iter().zip(&types[1..]).map(|((op, _), t)| Acc::new(*op, t, 1).expect("checked above")).collect();
    let mut rows_per_slot = Acc::Count(vec![0]);
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    let mut slots: Vec<usize> = vec![];
    let mut stream = projected.execute_stream().await?;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let k = cast(batch.column(0), &DataType::Int64).map_err(arrow)?;
        let k = k.as_primitive::<Int64Type>();
        let (Some(min), Some(max)) = (datafusion::arrow::compute::min(k), datafusion::arrow::compute::max(k)) else {
            slots.clear();
            slots.resize(k.len(), 0);
            add_batch(&mut accs, &mut rows_per_slot, &slots, &batch)?;
            continue;
        };
        if min < lo || max > hi {
            let (new_lo, new_hi) = (lo.min(min), hi.max(max));
            let Some(span) = new_hi.checked_sub(new_lo).filter(|s| *s < MAX_SPAN) else { return Ok(None) };
            let front = if lo <= hi { (lo - new_lo) as usize } else { 0 };
            for acc in accs.iter_mut().chain([&mut rows_per_slot]) {
                // Slot 0 (no key) stays first: the new slots go after it.
                acc.rebase_after_null(front, span as usize + 2);
            }
            (lo, hi) = (new_lo, new_hi);
        }
        slots.clear();
        slots.extend((0..k.len()).map(|i| if k.is_valid(i) { (k.value(i) - lo) as usize + 1 } else { 0 }));
        add_batch(&mut accs, &mut rows_per_slot, &slots, &batch)?;
    }
    let Acc::Count(rows_per_slot) = rows_per_slot else { unreachable!("built as a count") };
    let slots_len = rows_per_slot.len();
    let kept: Vec<usize> = (0..slots_len).filter(|&s| rows_per_slot[s] > 0).collect();
    let key_values: ArrayRef =
        Arc::new(Int64Array::from_iter(kept.iter().map(|&s| (s > 0).then(|| lo + s as i64 - 1))));
    let mut columns = vec![cast(&key_values, expected.field(0).data_type()).map_err(arrow)?];
    for (i, acc) in accs.iter().enumerate() {
        columns.push(cast(&acc.finish(&kept), expected.field(1 + i).data_type()).map_err(arrow)?);
    }
    Ok(Some(RecordBatch::try_new(Arc::new(expected), columns).map_err(arrow)?))
}

fn add_batch(accs: &mut [Acc], rows: &mut Acc, slots: &[usize], batch: &RecordBatch) -> Result<(), QueryError> {
    // Counting the key column's rows, nulls included, through a count over a non-null input.
    rows.add_rows(slots);
    for (i, acc) in accs.iter_mut().enumerate() {
        acc.add(slots, batch.column(1 + i))?;
    }
    Ok(())
}

fn arrow(e: datafusion::arrow::error::ArrowError) -> QueryError {
    QueryError::Internal(format!("dense aggregation: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int32Array;
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::functions_aggregate::expr_fn as agg;
    use datafusion::prelude::{col, lit, SessionContext};

    /// One batch's columns `k`, `v`, `f`.
    type Columns = (Vec<Option<i32>>, Vec<Option<i64>>, Vec<Option<f64>>);

    fn frame(batches: &[Columns]) -> DataFrame {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int32, true),
            Field::new("v", DataType::Int64, true),
            Field::new("f", DataType::Float64, true),
        ]));
        let batches: Vec<RecordBatch> = batches
            .iter()
            .map(|(k, v, f)| {
                let columns: Vec<ArrayRef> = vec![
                    Arc::new(Int32Array::from(k.clone())),
                    Arc::new(Int64Array::from(v.clone())),
                    Arc::new(Float64Array::from(f.clone())),
                ];
                RecordBatch::try_new(schema.clone(), columns).unwrap()
            })
            .collect();
        SessionContext::new().read_batches(batches).unwrap()
    }

    fn aggregates() -> Vec<DfExpr> {
        vec![
            agg::count(lit(1i64)).alias("n"),
            agg::count(col("v")),
            agg::sum(col("v")),
            agg::min(col("v")),
            agg::max(col("v")),
            agg::avg(col("f")),
            agg::sum(col("f")),
            agg::min(col("f")).alias("lowest"),
            agg::max(col("f")),
        ]
    }

    /// Rows as text, sorted: the same groups whatever their order.
    async fn rows(batches: Vec<RecordBatch>) -> Vec<String> {
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches).unwrap().to_string();
        let mut lines: Vec<String> = text.lines().filter(|l| l.starts_with('|')).skip(1).map(str::to_owned).collect();
        lines.sort();
        lines
    }

    #[tokio::test]
    async fn arrays_give_what_the_hash_aggregation_gives() {
        // Keys grow downwards and upwards across batches; nulls in keys and values; a group
        // whose values are all null.
        let df = frame(&[
            (vec![Some(5), Some(5), None], vec![Some(1), None, Some(7)], vec![Some(0.5), Some(1.5), None]),
            (vec![Some(2), Some(9), Some(5)], vec![Some(-3), Some(4), Some(10)], vec![None, Some(2.0), Some(-1.0)]),
            (vec![Some(-4), Some(9)], vec![None, None], vec![None, None]),
            (vec![], vec![], vec![]),
        ]);
        let key = col("k");
        let dense = aggregate(&df, &key, "k".into(), &aggregates()).await.unwrap().expect("applies");
        let hash = df.clone().aggregate(vec![key.alias("k")], aggregates()).unwrap();
        assert_eq!(dense.schema(), Arc::new(hash.schema().as_arrow().clone()));
        let expected = rows(hash.collect().await.unwrap()).await;
        assert_eq!(rows(vec![dense]).await, expected);
        assert_eq!(expected.len(), 5, "{expected:?}");
    }

    #[tokio::test]
    async fn wide_keys_and_other_aggregates_are_left_to_datafusion() {
        let wide = frame(&[(vec![Some(0), Some(MAX_SPAN as i32 + 1)], vec![Some(1), Some(2)], vec![None, None])]);
        assert!(aggregate(&wide, &col("k"), "k".into(), &aggregates()).await.unwrap().is_none());
        let df = frame(&[(vec![Some(1)], vec![Some(1)], vec![Some(1.0)])]);
        for other in [agg::count_distinct(col("v")), agg::median(col("f")), agg::min(col("k").is_null())] {
            assert!(aggregate(&df, &col("k"), "k".into(), &[other]).await.unwrap().is_none());
        }
        // A text key is not an integer key.
        assert!(aggregate(&df, &datafusion::functions::expr_fn::to_hex(col("k")), "h".into(), &aggregates())
            .await
            .unwrap()
            .is_none());
    }
}
