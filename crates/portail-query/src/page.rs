//! A page of plain records in their natural order, taken straight from a version in memory:
//! the matching rows are known (a `_row` bitmap, or every row), so the page is `offset` rows
//! skipped and `limit` rows taken, then the select list evaluated on those rows only. No plan is
//! built: for a first page or a lookup by id, planning cost more than the work.

use crate::selection::physical;
use crate::tables::Resident;
use crate::udf::consecutive_from;
use crate::QueryError;
use datafusion::arrow::array::{AsArray, UInt32Array};
use datafusion::arrow::compute::{concat_batches, take_record_batch};
use datafusion::arrow::datatypes::{Field, Int64Type, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::logical_expr::Expr;
use datafusion::prelude::SessionContext;
use std::sync::Arc;

/// The rows `offset..offset + limit` of those set in `selected` (all when `None`), with
/// `outputs` (name, expression) evaluated; `None` when the batches are not in file order.
pub(crate) fn natural_page(
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
    for batch in &resident.batches {
        if want == 0 {
            break;
        }
        let rows = batch
            .column_by_name(crate::records::HIDDEN_ROW)
            .ok_or_else(|| QueryError::Internal("a version without _row".into()))?
            .as_primitive::<Int64Type>();
        let Some(first) = consecutive_from(rows.values()) else { return Ok(None) };
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
            Some(bits) => {
                let mut i = 0;
                while i < n {
                    let r = first + i;
                    let word = bits.get(r / 64).copied().unwrap_or(0) >> (r % 64);
                    if word == 0 {
                        // Nothing set up to the end of this word.
                        i += 64 - r % 64;
                        continue;
                    }
                    if word & 1 == 0 {
                        i += word.trailing_zeros() as usize;
                        continue;
                    }
                    let at = i;
                    i += 1;
                    if skip > 0 {
                        skip -= 1;
                        continue;
                    }
                    positions.push(at as u32);
                    if positions.len() == want {
                        break;
                    }
                }
            }
        }
        want -= positions.len();
        if !positions.is_empty() {
            pieces.push(take_record_batch(batch, &UInt32Array::from(positions)).map_err(arrow)?);
        }
    }
    let page = concat_batches(&schema, &pieces).map_err(arrow)?;
    let mut fields = vec![];
    let mut columns = vec![];
    for (name, expr) in outputs {
        let value = physical(ctx, expr.clone(), &schema)?.evaluate(&page)?.into_array(page.num_rows())?;
        fields.push(Field::new(name, value.data_type().clone(), true));
        columns.push(value);
    }
    let out_schema = Arc::new(Schema::new(fields));
    let options = datafusion::arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(page.num_rows()));
    Ok(Some(RecordBatch::try_new_with_options(out_schema, columns, &options).map_err(arrow)?))
}

fn arrow(e: datafusion::arrow::error::ArrowError) -> QueryError {
    QueryError::Internal(format!("taking a page: {e}"))
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
