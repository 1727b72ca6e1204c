//! A page of plain records in their natural order, taken straight from a version in memory:
//! the matching rows are known (a `_row` bitmap, or every row), so the page is `offset` rows
//! skipped and `limit` rows taken, then the select list evaluated on those rows only. No plan is
//! built: for a first page or a lookup by id, planning cost more than the work.

use crate::selection::physical;
use crate::tables::Resident;
use crate::QueryError;
use datafusion::arrow::array::{Array, AsArray, UInt32Array};
use datafusion::arrow::compute::{concat_batches, take_record_batch};
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::logical_expr::Expr;
use datafusion::prelude::SessionContext;
use std::sync::Arc;

/// The rows `offset..offset + limit` of those set in `selected` (all when `None`), with
/// `outputs` (name, expression) evaluated; `None` when the batches are not in file order.
fn natural_page(
    ctx: &SessionContext,
    resident: &Resident,
    selected: Option<&[u64]>,
    offset: usize,
    limit: usize,
    outputs: &[(String, Expr)],
) -> Result<Option<RecordBatch>, QueryError> {
    let Some(first_batch) = resident.batches.first() else { return Ok(None) };
    let schema = first_batch.schema();
    let (mut skip, mut want) = (offset, limit);
    let mut pieces = vec![];
    for (batch, start) in resident.batches.iter().zip(&resident.starts) {
        if want == 0 {
            break;
        }
        let Some(first) = *start else { return Ok(None) };
        let n = batch.num_rows();
        let mut positions: Vec<u32> = vec![];
        match selected {
            None if skip >= n => {
                skip -= n;
                continue;
            }
            None => {
                let take = (n - skip).min(want);
                positions.extend(skip as u32..(skip + take) as u32);
                skip = 0;
            }
            Some(bits) => for_each_set(bits, first, n, |i| {
                if skip > 0 {
                    skip -= 1;
                } else {
                    positions.push(i as u32);
                }
                positions.len() < want
            }),
        }
        want -= positions.len();
        if !positions.is_empty() {
            pieces.push(take_record_batch(batch, &UInt32Array::from(positions)).map_err(arrow)?);
        }
    }
    let page = concat_batches(&schema, &pieces).map_err(arrow)?;
    evaluate(ctx, &schema, &page, outputs).map(Some)
}

fn arrow(e: datafusion::arrow::error::ArrowError) -> QueryError {
    QueryError::Internal(format!("taking a page: {e}"))
}

/// Calls `f(i)` for each `i < n` whose row `first + i` is set in `bits`, skipping empty words,
/// until `f` returns false.
fn for_each_set(bits: &[u64], first: usize, n: usize, mut f: impl FnMut(usize) -> bool) {
    let mut i = 0;
    while i < n {
        let r = first + i;
        let word = bits.get(r / 64).copied().unwrap_or(0) >> (r % 64);
        if word == 0 {
            i += 64 - r % 64;
        } else if word & 1 == 0 {
            i += word.trailing_zeros() as usize;
        } else {
            if !f(i) {
                return;
            }
            i += 1;
        }
    }
}

/// How a page orders its rows: the natural order, or one numeric column (nulls last, ties in
/// natural order).
pub(crate) enum PageOrder<'a> {
    Natural,
    ByColumn { column: &'a str, descending: bool },
}

/// The rows of `offset..offset + limit` of those set in `selected` (all when `None`) in `order`,
/// with `outputs` evaluated; `None` when the page cannot be taken this way (batches out of
/// file order, or a sort column that is not numeric).
pub(crate) fn page(
    ctx: &SessionContext,
    resident: &Resident,
    selected: Option<&[u64]>,
    order: PageOrder,
    offset: usize,
    limit: usize,
    outputs: &[(String, Expr)],
) -> Result<Option<RecordBatch>, QueryError> {
    let PageOrder::ByColumn { column, descending } = order else {
        return natural_page(ctx, resident, selected, offset, limit, outputs);
    };
    let Some(first_batch) = resident.batches.first() else { return Ok(None) };
    let schema = first_batch.schema();
    let want = offset + limit;
    // Counting the bitmap's bits costs microseconds; the callers' own count is not passed along.
    let matches = selected.map_or(resident.rows as usize, |bits| bits.iter().map(|w| w.count_ones() as usize).sum());
    if walk_pays(resident.rows as usize, matches, want) {
        if let Some(order) = resident.order_by(column, descending) {
            return walk_order(ctx, resident, &order, selected, offset, limit, outputs).map(Some);
        }
    }
    // The best `want` rows so far; the heap's top is the worst of them.
    let mut best: std::collections::BinaryHeap<Candidate> = std::collections::BinaryHeap::with_capacity(want + 1);
    for (b, batch) in resident.batches.iter().enumerate() {
        let Some(keys) = batch.column_by_name(column) else { return Ok(None) };
        let keys = match keys.data_type() {
            DataType::Int64 => {
                let ints = keys.as_primitive::<Int64Type>();
                // Beyond 2^53 an f64 key would merge neighbours: leave those to the planner.
                if ints.values().iter().any(|v| v.unsigned_abs() > 1 << 53) {
                    return Ok(None);
                }
                SortKeys::Int(ints)
            }
            DataType::Float64 => SortKeys::Real(keys.as_primitive::<Float64Type>()),
            _ => return Ok(None),
        };
        // Rows are consecutive: row `first + i`, without reading the `_row` column.
        let Some(first) = resident.starts[b] else { return Ok(None) };
        let mut consider = |i: usize| -> bool {
            // Descending order is ascending order of the negated key; nulls stay last.
            let key = keys.at(i).map(|k| if descending { -k } else { k });
            let candidate = Candidate { key, row: (first + i) as i64, at: (b, i) };
            if best.len() < want {
                best.push(candidate);
            } else if best.peek().is_some_and(|worst| candidate < *worst) {
                best.pop();
                best.push(candidate);
            }
            true
        };
        match selected {
            None => (0..batch.num_rows()).for_each(|i| {
                consider(i);
            }),
            Some(bits) => for_each_set(bits, first, batch.num_rows(), consider),
        }
    }
    let chosen: Vec<(usize, usize)> = best.into_sorted_vec().into_iter().skip(offset).map(|c| c.at).collect();
    let batches: Vec<&RecordBatch> = resident.batches.iter().collect();
    let taken = datafusion::arrow::compute::interleave_record_batch(&batches, &chosen).map_err(arrow)?;
    evaluate(ctx, &schema, &taken, outputs).map(Some)
}

/// Whether walking the column's order until `want` matching rows are met beats ranking every
/// match: the walk reads about `want * rows / matches` entries, the ranking `matches` (with a
/// heap). Small selections are ranked; so is everything when the order would be built for
/// fewer than a few thousand matches.
fn walk_pays(rows: usize, matches: usize, want: usize) -> bool {
    matches >= 4096 && want.saturating_mul(rows) / matches.max(1) < matches / 4
}

/// The page taken by walking `order` (every `_row`, sorted) and keeping the selected rows.
fn walk_order(
    ctx: &SessionContext,
    resident: &Resident,
    order: &[u32],
    selected: Option<&[u64]>,
    offset: usize,
    limit: usize,
    outputs: &[(String, Expr)],
) -> Result<RecordBatch, QueryError> {
    let schema = resident.batches[0].schema();
    let is_selected = |r: usize| selected.is_none_or(|bits| bits.get(r / 64).is_some_and(|w| w >> (r % 64) & 1 == 1));
    let rows = order.iter().map(|r| *r as usize).filter(|r| is_selected(*r)).skip(offset).take(limit);
    // `order_by` exists only when every batch has a start, in increasing order.
    let starts = &resident.starts;
    let chosen: Vec<(usize, usize)> = rows
        .map(|r| {
            let b = starts.partition_point(|s| s.is_some_and(|s| s <= r)) - 1;
            (b, r - starts[b].unwrap_or(0))
        })
        .collect();
    let batches: Vec<&RecordBatch> = resident.batches.iter().collect();
    let taken = datafusion::arrow::compute::interleave_record_batch(&batches, &chosen).map_err(arrow)?;
    evaluate(ctx, &schema, &taken, outputs)
}

/// A batch's sort column, read as f64 (a match per row beats a boxed closure per row).
enum SortKeys<'a> {
    Int(&'a datafusion::arrow::array::Int64Array),
    Real(&'a datafusion::arrow::array::Float64Array),
}

impl SortKeys<'_> {
    #[inline]
    fn at(&self, i: usize) -> Option<f64> {
        match self {
            SortKeys::Int(a) => a.is_valid(i).then(|| a.value(i) as f64),
            SortKeys::Real(a) => a.is_valid(i).then(|| a.value(i)),
        }
    }
}

/// A row competing for a sorted page: by key (nulls last), then by natural order.
struct Candidate {
    key: Option<f64>,
    row: i64,
    at: (usize, usize),
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let by_key = match (self.key, other.key) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        by_key.then(self.row.cmp(&other.row))
    }
}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for Candidate {}

/// `outputs` evaluated on the rows of `page` (whose schema is the version's).
fn evaluate(
    ctx: &SessionContext,
    schema: &datafusion::arrow::datatypes::SchemaRef,
    page: &RecordBatch,
    outputs: &[(String, Expr)],
) -> Result<RecordBatch, QueryError> {
    let mut fields = vec![];
    let mut columns = vec![];
    for (name, expr) in outputs {
        let value = physical(ctx, expr.clone(), schema)?.evaluate(page)?.into_array(page.num_rows())?;
        fields.push(Field::new(name, value.data_type().clone(), true));
        columns.push(value);
    }
    let out_schema = Arc::new(Schema::new(fields));
    let options = datafusion::arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(page.num_rows()));
    RecordBatch::try_new_with_options(out_schema, columns, &options).map_err(arrow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::DataType;
    use datafusion::prelude::{col, lit};

    /// Rows 1..=total in batches of `size`; `x` is the row number.
    fn resident(total: i64, size: i64) -> Resident {
        let schema = Arc::new(Schema::new(vec![
            Field::new("x", DataType::Int64, false),
            Field::new(crate::records::HIDDEN_ROW, DataType::Int64, false),
        ]));
        let batches = (0..(total + size - 1) / size)
            .map(|b| {
                let column = Arc::new(Int64Array::from_iter_values(b * size + 1..=((b + 1) * size).min(total)));
                RecordBatch::try_new(schema.clone(), vec![column.clone(), column]).unwrap()
            })
            .collect();
        Resident::new(schema, batches).unwrap()
    }

    #[test]
    fn sorted_pages_put_nulls_last_and_keep_natural_order_on_ties() {
        use datafusion::arrow::array::Float64Array;
        let schema = Arc::new(Schema::new(vec![
            Field::new("x", DataType::Int64, false),
            Field::new("k", DataType::Float64, true),
            Field::new(crate::records::HIDDEN_ROW, DataType::Int64, false),
        ]));
        // k by row 1..=8: 5, null, 2, 5, 9, null, 2, 5 — in batches of 3 rows.
        let ks = [Some(5.0), None, Some(2.0), Some(5.0), Some(9.0), None, Some(2.0), Some(5.0)];
        let batches = (0..3)
            .map(|b| {
                let rows: Vec<i64> = (b * 3 + 1..=(b * 3 + 3).min(8)).collect();
                let k: Float64Array = rows.iter().map(|r| ks[*r as usize - 1]).collect();
                let x = Arc::new(Int64Array::from(rows.clone()));
                RecordBatch::try_new(schema.clone(), vec![x.clone(), Arc::new(k), x]).unwrap()
            })
            .collect();
        let r = Resident::new(schema, batches).unwrap();
        let ctx = SessionContext::new();
        let rows = [("x".to_string(), col("x"))];
        let sorted = |descending, offset, limit| {
            let order = PageOrder::ByColumn { column: "k", descending };
            xs(&page(&ctx, &r, None, order, offset, limit, &rows).unwrap().unwrap())
        };
        assert_eq!(sorted(false, 0, 8), [3, 7, 1, 4, 8, 5, 2, 6]);
        assert_eq!(sorted(true, 0, 8), [5, 1, 4, 8, 3, 7, 2, 6], "nulls last both ways, ties by row");
        assert_eq!(sorted(true, 2, 3), [4, 8, 3]);
        let mut only_even = vec![0u64; 1];
        for row in [2, 4, 6, 8] {
            only_even[0] |= 1 << row;
        }
        let order = PageOrder::ByColumn { column: "k", descending: false };
        assert_eq!(xs(&page(&ctx, &r, Some(&only_even), order, 0, 10, &rows).unwrap().unwrap()), [4, 8, 2, 6]);
        // The same pages by walking the column's order.
        let walked = |descending, selected: Option<&[u64]>, offset, limit| {
            let order = r.order_by("k", descending).unwrap();
            xs(&walk_order(&ctx, &r, &order, selected, offset, limit, &rows).unwrap())
        };
        assert_eq!(walked(false, None, 0, 8), [3, 7, 1, 4, 8, 5, 2, 6]);
        assert_eq!(walked(true, None, 0, 8), [5, 1, 4, 8, 3, 7, 2, 6]);
        assert_eq!(walked(true, None, 2, 3), [4, 8, 3]);
        assert_eq!(walked(false, Some(&only_even), 0, 10), [4, 8, 2, 6]);
    }

    fn xs(batch: &RecordBatch) -> Vec<i64> {
        batch.column(0).as_primitive::<Int64Type>().values().to_vec()
    }

    #[test]
    fn pages_cross_batches_in_natural_order() {
        let ctx = SessionContext::new();
        let r = resident(250, 64);
        let doubled = [("double".to_string(), col("x") * lit(2i64))];
        let page = |selected: Option<&[u64]>, offset, limit| {
            xs(&natural_page(&ctx, &r, selected, offset, limit, &doubled).unwrap().unwrap())
        };
        assert_eq!(page(None, 0, 3), [2, 4, 6]);
        assert_eq!(page(None, 62, 4), [126, 128, 130, 132], "across the first batch boundary");
        assert_eq!(page(None, 248, 10), [498, 500]);
        assert!(page(None, 300, 10).is_empty());
        assert!(page(None, 0, 0).is_empty());
        // Every multiple of 7 selected.
        let mut bits = vec![0u64; 251usize.div_ceil(64)];
        for row in (7..=250).step_by(7) {
            bits[row / 64] |= 1 << (row % 64);
        }
        assert_eq!(page(Some(&bits), 0, 3), [14, 28, 42]);
        assert_eq!(page(Some(&bits), 8, 3), [126, 140, 154], "skips count matches, not rows");
        assert_eq!(page(Some(&bits), 34, 5), [490], "35 multiples of 7 up to 250");
    }
}
