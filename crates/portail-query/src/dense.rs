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
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{ArrowPrimitiveType, DataType, Float64Type, Int32Type, Int64Type};
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
    let mut e = e;
    while let DfExpr::Alias(a) = e {
        e = a.expr.as_ref();
    }
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

/// One aggregate's state for every key slot: the folded value (starting from the operation's
/// identity) and how many non-null inputs it saw (null when none, as SQL wants).
enum Acc {
    Count(Vec<i64>),
    Int { op: Op, values: Vec<i64>, seen: Vec<i64> },
    Real { op: Op, values: Vec<f64>, seen: Vec<i64> },
}

/// `acc[slot] = f(acc[slot], value)` over a batch, skipping nulls; the loop the module exists for.
/// `input` and `slots` are one chunk, starting at row `offset` of the batch `nulls` describes.
fn fold<T: Copy>(
    slots: &[u32],
    input: &[T],
    (nulls, offset): (Option<&NullBuffer>, usize),
    acc: &mut [T],
    seen: &mut [i64],
    f: impl Fn(T, T) -> T,
) {
    match nulls {
        None => {
            for (&s, &v) in slots.iter().zip(input) {
                let s = s as usize;
                acc[s] = f(acc[s], v);
                seen[s] += 1;
            }
        }
        Some(nulls) => {
            for (i, (&s, &v)) in slots.iter().zip(input).enumerate() {
                if nulls.is_valid(offset + i) {
                    let s = s as usize;
                    acc[s] = f(acc[s], v);
                    seen[s] += 1;
                }
            }
        }
    }
}

/// Where folding starts for an integer aggregate: the identity of its operation.
fn int_start(op: Op) -> i64 {
    match op {
        Op::Min => i64::MAX,
        Op::Max => i64::MIN,
        _ => 0,
    }
}

fn real_start(op: Op) -> f64 {
    match op {
        Op::Min => f64::INFINITY,
        Op::Max => f64::NEG_INFINITY,
        _ => 0.0,
    }
}

impl Acc {
    fn new(op: Op, input: &DataType, slots: usize) -> Option<Acc> {
        let integer = matches!(input, DataType::Int64 | DataType::Int32 | DataType::Int16 | DataType::Int8);
        Some(match (op, integer, input == &DataType::Float64) {
            (Op::Count, _, _) => Acc::Count(vec![0; slots]),
            (Op::Sum | Op::Min | Op::Max, true, _) => {
                Acc::Int { op, values: vec![int_start(op); slots], seen: vec![0; slots] }
            }
            (Op::Sum | Op::Avg | Op::Min | Op::Max, _, true) => {
                Acc::Real { op, values: vec![real_start(op); slots], seen: vec![0; slots] }
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
            Acc::Int { op, values, seen } => {
                grow(values, front, len, int_start(*op));
                grow(seen, front, len, 0);
            }
            Acc::Real { op, values, seen } => {
                grow(values, front, len, real_start(*op));
                grow(seen, front, len, 0);
            }
        }
    }

    /// A batch's input column in the type `add` reads.
    fn prepare(&self, input: &ArrayRef) -> Result<ArrayRef, QueryError> {
        match self {
            Acc::Int { .. } => cast(input, &DataType::Int64).map_err(arrow),
            _ => Ok(input.clone()),
        }
    }

    /// Adds one chunk of a batch: rows `offset..offset + slots.len()` of `input` (prepared),
    /// `slots[i]` being the slot of row `offset + i`. Without input, counts rows.
    fn add(&mut self, slots: &[u32], input: Option<&ArrayRef>, offset: usize) {
        let range = offset..offset + slots.len();
        match self {
            Acc::Count(n) => match input.and_then(|i| i.logical_nulls()) {
                None => slots.iter().for_each(|&s| n[s as usize] += 1),
                Some(nulls) => {
                    for (i, &s) in slots.iter().enumerate() {
                        n[s as usize] += i64::from(nulls.is_valid(offset + i));
                    }
                }
            },
            Acc::Int { op, values, seen } => {
                let Some(input) = input else { return };
                let input = input.as_primitive::<Int64Type>();
                let (v, nulls) = (&input.values()[range], (input.nulls(), offset));
                match op {
                    Op::Sum => fold(slots, v, nulls, values, seen, i64::wrapping_add),
                    Op::Min => fold(slots, v, nulls, values, seen, i64::min),
                    _ => fold(slots, v, nulls, values, seen, i64::max),
                }
            }
            Acc::Real { op, values, seen } => {
                let Some(input) = input else { return };
                let input = input.as_primitive::<Float64Type>();
                let (v, nulls) = (&input.values()[range], (input.nulls(), offset));
                match op {
                    Op::Sum | Op::Avg => fold(slots, v, nulls, values, seen, |a, b| a + b),
                    Op::Min => fold(slots, v, nulls, values, seen, f64::min),
                    _ => fold(slots, v, nulls, values, seen, f64::max),
                }
            }
        }
    }

    /// The values of the kept slots, in order.
    fn finish(&self, kept: &[usize]) -> ArrayRef {
        match self {
            Acc::Count(n) => Arc::new(Int64Array::from_iter_values(kept.iter().map(|&s| n[s]))),
            Acc::Int { values, seen, .. } => {
                Arc::new(Int64Array::from_iter(kept.iter().map(|&s| (seen[s] > 0).then_some(values[s]))))
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
    let mut slots: Vec<u32> = vec![];
    let mut stream = projected.execute_stream().await?;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        // Keys are read as Int32 (codes, years) or Int64, without widening the former.
        let key = match batch.column(0).data_type() {
            DataType::Int64 => batch.column(0).clone(),
            _ => cast(batch.column(0), &DataType::Int32).map_err(arrow)?,
        };
        let wide = key.data_type() == &DataType::Int64;
        let fill = |offset, len, lo, hi, slots: &mut Vec<u32>| {
            slots.clear();
            if wide {
                fill_slots::<Int64Type>(&key, offset, len, (lo, hi), slots)
            } else {
                fill_slots::<Int32Type>(&key, offset, len, (lo, hi), slots)
            }
        };
        let inputs: Vec<ArrayRef> =
            accs.iter().zip(&batch.columns()[1..]).map(|(acc, c)| acc.prepare(c)).collect::<Result<_, _>>()?;
        // Chunks small enough for their slots to stay in the first-level cache across aggregates.
        for offset in (0..key.len()).step_by(CHUNK) {
            let len = CHUNK.min(key.len() - offset);
            if !fill(offset, len, lo, hi, &mut slots) {
                // A key beyond the range seen so far (the first keys, or a new extreme): the
                // range grows to the batch's, rarely, and the chunk is read again.
                let range = if wide { min_max::<Int64Type>(&key) } else { min_max::<Int32Type>(&key) };
                let Some((min, max)) = range else { unreachable!("a key out of range is not null") };
                let (new_lo, new_hi) = (lo.min(min), hi.max(max));
                let Some(span) = new_hi.checked_sub(new_lo).filter(|s| *s < MAX_SPAN) else { return Ok(None) };
                let front = if lo <= hi { (lo - new_lo) as usize } else { 0 };
                for acc in accs.iter_mut().chain([&mut rows_per_slot]) {
                    // Slot 0 (no key) stays first: the new slots go after it.
                    acc.rebase_after_null(front, span as usize + 2);
                }
                (lo, hi) = (new_lo, new_hi);
                let fits = fill(offset, len, lo, hi, &mut slots);
                debug_assert!(fits, "the batch's range covers its chunks");
            }
            rows_per_slot.add(&slots, None, offset);
            for (acc, input) in accs.iter_mut().zip(&inputs) {
                acc.add(&slots, Some(input), offset);
            }
        }
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

/// Rows per chunk of a batch.
const CHUNK: usize = 4096;

/// The smallest and largest non-null key of a batch.
fn min_max<T: ArrowPrimitiveType>(key: &ArrayRef) -> Option<(i64, i64)>
where
    T::Native: Into<i64>,
{
    let k = key.as_primitive::<T>();
    Some((datafusion::arrow::compute::min(k)?.into(), datafusion::arrow::compute::max(k)?.into()))
}

/// Slots of rows `offset..offset + len`: 0 for a null key, `key - lo + 1` otherwise. Returns
/// false, with `out` unusable, when a key falls outside `lo..=hi` (an empty range when lo > hi).
fn fill_slots<T: ArrowPrimitiveType>(
    key: &ArrayRef,
    offset: usize,
    len: usize,
    (lo, hi): (i64, i64),
    out: &mut Vec<u32>,
) -> bool
where
    T::Native: Into<i64>,
{
    let k = key.as_primitive::<T>();
    let values = &k.values()[offset..offset + len];
    // Out of range shows as a distance above the span once wrapped to u64; an empty range has
    // no span at all.
    let span = if lo <= hi { (hi - lo) as u64 } else { 0 };
    let empty = lo > hi;
    let mut outside = false;
    match k.nulls() {
        None => out.extend(values.iter().map(|v| {
            let d = (*v).into().wrapping_sub(lo) as u64;
            outside |= empty | (d > span);
            (d as u32).wrapping_add(1)
        })),
        Some(nulls) => out.extend(values.iter().enumerate().map(|(i, v)| {
            if nulls.is_valid(offset + i) {
                let d = (*v).into().wrapping_sub(lo) as u64;
                outside |= empty | (d > span);
                (d as u32).wrapping_add(1)
            } else {
                0
            }
        })),
    }
    !outside
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
            // As the binder writes count(*): an alias under the select list's.
            agg::count(lit(1i64)).alias("count(*)").alias("n"),
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
    async fn batches_longer_than_a_chunk_keep_their_nulls_in_place() {
        let n = 3 * CHUNK + 17;
        let k: Vec<Option<i32>> = (0..n).map(|i| (i % 11 != 0).then_some((i % 7) as i32 - 3)).collect();
        let v: Vec<Option<i64>> = (0..n).map(|i| (i % 5 != 0).then_some(i as i64)).collect();
        let f: Vec<Option<f64>> = (0..n).map(|i| (i % 3 != 0).then_some(i as f64 / 8.0)).collect();
        let df = frame(&[(k.clone(), v.clone(), f.clone()), (k, v, f)]);
        let dense = aggregate(&df, &col("k"), "k".into(), &aggregates()).await.unwrap().expect("applies");
        let hash = df.clone().aggregate(vec![col("k").alias("k")], aggregates()).unwrap();
        assert_eq!(rows(vec![dense]).await, rows(hash.collect().await.unwrap()).await);
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
