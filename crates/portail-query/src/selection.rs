//! A filter over a version held in memory, evaluated once: how many records match, and which
//! (a bitmap of `_row`). The count needs no second plan, and the page's plan filters on the
//! bitmap instead of evaluating the conditions again.

use crate::tables::Resident;
use crate::QueryError;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::prep_null_mask_filter;
use datafusion::arrow::datatypes::Int64Type;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::DFSchema;
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::Expr;
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::prelude::SessionContext;

pub(crate) struct Selection {
    pub count: u64,
    /// Bit `r` is set when the record with `_row = r` matches.
    pub bits: Vec<u64>,
}

/// Whether row `r` is set in a `_row` bitmap.
pub(crate) fn is_set(bits: &[u64], r: usize) -> bool {
    bits.get(r / 64).is_some_and(|w| w & (1 << (r % 64)) != 0)
}

/// Batches are split between two threads above this many.
const PARALLEL_FROM_BATCHES: usize = 8;

pub(crate) fn select(ctx: &SessionContext, resident: &Resident, filter: Expr) -> Result<Selection, QueryError> {
    let Some(first) = resident.batches.first() else { return Ok(Selection { count: 0, bits: vec![] }) };
    let predicate = physical(ctx, filter, &first.schema())?;
    let words = (resident.rows as usize + 1).div_ceil(64);
    let (batches, starts) = (&resident.batches, &resident.starts);
    if batches.len() < PARALLEL_FROM_BATCHES {
        return part(predicate.as_ref(), batches, starts, words);
    }
    let half = batches.len() / 2;
    let ((left, right), (left_starts, right_starts)) = (batches.split_at(half), starts.split_at(half));
    let (a, b) = std::thread::scope(|scope| {
        let other = scope.spawn(|| part(predicate.as_ref(), right, right_starts, words));
        let mine = part(predicate.as_ref(), left, left_starts, words);
        (mine, other.join().unwrap_or_else(|_| Err(QueryError::Internal("a filter thread panicked".into()))))
    });
    let (mut a, b) = (a?, b?);
    for (x, y) in a.bits.iter_mut().zip(&b.bits) {
        *x |= y;
    }
    a.count += b.count;
    Ok(a)
}

/// An expression ready to evaluate on batches of `schema`.
pub(crate) fn physical(
    ctx: &SessionContext,
    expr: Expr,
    schema: &datafusion::arrow::datatypes::SchemaRef,
) -> Result<std::sync::Arc<dyn PhysicalExpr>, QueryError> {
    let schema = DFSchema::try_from(schema.as_ref().clone())?;
    // The simplifier rewrites what has no physical form of its own (coalesce becomes a case).
    let simplifier =
        ExprSimplifier::new(SimplifyContext::builder().with_schema(std::sync::Arc::new(schema.clone())).build());
    let expr = simplifier.simplify(simplifier.coerce(expr, &schema)?)?;
    Ok(ctx.create_physical_expr(expr, &schema)?)
}

/// `starts`: each batch's first row when its rows are consecutive (`Resident::starts`).
fn part(
    predicate: &dyn PhysicalExpr,
    batches: &[RecordBatch],
    starts: &[Option<usize>],
    words: usize,
) -> Result<Selection, QueryError> {
    let mut out = Selection { count: 0, bits: vec![0; words] };
    for (batch, start) in batches.iter().zip(starts) {
        let mask = predicate.evaluate(batch)?.into_array(batch.num_rows())?;
        let Some(mask) = mask.as_boolean_opt() else {
            return Err(QueryError::invalid("ODSQL query is malformed: the where clause is not a condition"));
        };
        // Null (unknown) is not a match.
        let mask = if mask.null_count() > 0 { prep_null_mask_filter(mask) } else { mask.clone() };
        let rows = batch
            .column_by_name(crate::records::HIDDEN_ROW)
            .ok_or_else(|| QueryError::Internal("a version without _row".into()))?
            .as_primitive::<Int64Type>();
        let n = rows.len();
        let first = start.filter(|f| (f + n).div_ceil(64) <= out.bits.len());
        if let Some(base) = first {
            // Rows numbered base, base + 1, …: the mask is copied 64 bits at a time.
            let (word, shift) = (base / 64, base % 64);
            for (k, chunk) in mask.values().bit_chunks().iter_padded().enumerate() {
                out.bits[word + k] |= chunk << shift;
                if shift > 0 {
                    if let Some(next) = out.bits.get_mut(word + k + 1) {
                        *next |= chunk >> (64 - shift);
                    }
                }
            }
            out.count += mask.true_count() as u64;
            continue;
        }
        for i in mask.values().set_indices() {
            let r = rows.value(i) as usize;
            if let Some(word) = out.bits.get_mut(r / 64) {
                *word |= 1 << (r % 64);
                out.count += 1;
            }
        }
    }
    Ok(out)
}

/// Int columns whose values never decrease in file order (and have no nulls), such as an `id`
/// column: equality on them is a binary search instead of a scan.
pub(crate) fn sorted_int_columns(batches: &[RecordBatch]) -> Vec<String> {
    let Some(first) = batches.first() else { return vec![] };
    let schema = first.schema();
    let mut out = vec![];
    for (index, field) in schema.fields().iter().enumerate() {
        if field.data_type() != &datafusion::arrow::datatypes::DataType::Int64 || field.name().starts_with('_') {
            continue;
        }
        let mut previous = i64::MIN;
        let sorted = batches.iter().all(|b| {
            let column = b.column(index).as_primitive::<Int64Type>();
            let ok = column.null_count() == 0
                && column.values().first().is_none_or(|v| *v >= previous)
                && column.values().windows(2).fold(true, |ok, w| ok & (w[0] <= w[1]));
            previous = column.values().last().copied().unwrap_or(previous);
            ok
        });
        if sorted {
            out.push(field.name().clone());
        }
    }
    out
}

/// The records whose sorted int `column` equals `value`, found by binary search.
pub(crate) fn equal_in_sorted(resident: &Resident, column: &str, value: i64) -> Result<Selection, QueryError> {
    let mut out = Selection { count: 0, bits: vec![0; (resident.rows as usize + 1).div_ceil(64)] };
    for batch in &resident.batches {
        let values = batch
            .column_by_name(column)
            .ok_or_else(|| QueryError::Internal(format!("no column {column}")))?
            .as_primitive::<Int64Type>()
            .values();
        if values.last().is_none_or(|last| *last < value) {
            continue;
        }
        if values[0] > value {
            break;
        }
        let rows = batch
            .column_by_name(crate::records::HIDDEN_ROW)
            .ok_or_else(|| QueryError::Internal("a version without _row".into()))?
            .as_primitive::<Int64Type>();
        let start = values.partition_point(|v| *v < value);
        let end = values.partition_point(|v| *v <= value);
        for i in start..end {
            let r = rows.value(i) as usize;
            if let Some(word) = out.bits.get_mut(r / 64) {
                *word |= 1 << (r % 64);
                out.count += 1;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::Resident;
    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::prelude::{col, lit};
    use std::sync::Arc;

    /// `rows` records numbered from 1 in batches of `batch` rows; `x` is the row number.
    fn resident(rows: i64, batch: i64, shuffled: bool) -> Resident {
        let schema = Arc::new(Schema::new(vec![
            Field::new("x", DataType::Int64, false),
            Field::new(crate::records::HIDDEN_ROW, DataType::Int64, false),
        ]));
        let mut batches = vec![];
        let mut start = 1;
        while start <= rows {
            let end = (start + batch).min(rows + 1);
            let mut numbers: Vec<i64> = (start..end).collect();
            if shuffled {
                numbers.reverse();
            }
            let column = Arc::new(Int64Array::from(numbers));
            batches.push(RecordBatch::try_new(schema.clone(), vec![column.clone(), column]).unwrap());
            start = end;
        }
        Resident::new(schema, batches).unwrap()
    }

    #[test]
    fn counts_and_marks_exactly_the_matching_rows() {
        let ctx = SessionContext::new();
        // Batches not aligned on 64 rows, enough of them for two threads; and rows out of order.
        for (batch, shuffled) in [(100, false), (37, false), (100, true)] {
            let r = resident(2_000, batch, shuffled);
            let found = select(&ctx, &r, (col("x") % lit(3i64)).eq(lit(0i64))).unwrap();
            assert_eq!(found.count, 666, "batch {batch}, shuffled {shuffled}");
            for row in 0..2_100usize {
                let marked = found.bits.get(row / 64).is_some_and(|w| w & (1 << (row % 64)) != 0);
                let expected = (1..=2_000).contains(&row) && row % 3 == 0;
                assert_eq!(marked, expected, "row {row}, batch {batch}, shuffled {shuffled}");
            }
        }
    }

    #[test]
    fn sorted_columns_are_searched_across_batches() {
        // x = row number (sorted); `dup` repeats each value 3 times, across batch boundaries.
        let schema = Arc::new(Schema::new(vec![
            Field::new("x", DataType::Int64, false),
            Field::new("dup", DataType::Int64, false),
            Field::new("down", DataType::Int64, false),
            Field::new(crate::records::HIDDEN_ROW, DataType::Int64, false),
        ]));
        let batches: Vec<RecordBatch> = (0..4i64)
            .map(|b| {
                let rows: Vec<i64> = (b * 10 + 1..=b * 10 + 10).collect();
                let dup: Vec<i64> = rows.iter().map(|r| (r - 1) / 3).collect();
                let down: Vec<i64> = rows.iter().map(|r| -r).collect();
                let columns: Vec<Arc<dyn Array>> = vec![
                    Arc::new(Int64Array::from(rows.clone())),
                    Arc::new(Int64Array::from(dup)),
                    Arc::new(Int64Array::from(down)),
                    Arc::new(Int64Array::from(rows)),
                ];
                RecordBatch::try_new(schema.clone(), columns).unwrap()
            })
            .collect();
        assert_eq!(sorted_int_columns(&batches), ["x", "dup"], "descending and hidden columns are not sorted ones");
        let r = Resident::new(schema, batches).unwrap();
        let rows_of = |found: &Selection| -> Vec<usize> {
            (0..64 * found.bits.len()).filter(|i| found.bits[i / 64] & (1 << (i % 64)) != 0).collect()
        };
        let found = equal_in_sorted(&r, "dup", 3).unwrap();
        assert_eq!((found.count, rows_of(&found)), (3, vec![10, 11, 12]), "rows 10..12 straddle two batches");
        let found = equal_in_sorted(&r, "x", 40).unwrap();
        assert_eq!((found.count, rows_of(&found)), (1, vec![40]));
        assert_eq!(equal_in_sorted(&r, "x", 41).unwrap().count, 0);
        assert_eq!(equal_in_sorted(&r, "x", 0).unwrap().count, 0);
    }

    #[test]
    fn unknown_is_not_a_match() {
        let ctx = SessionContext::new();
        let r = resident(10, 4, false);
        let null_int = lit(datafusion::common::ScalarValue::Int64(None));
        let found = select(&ctx, &r, col("x").gt(null_int)).unwrap();
        assert_eq!(found.count, 0);
        assert!(found.bits.iter().all(|w| *w == 0));
    }
}
