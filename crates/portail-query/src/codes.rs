//! Codes for text fields with few distinct values, in versions held in memory. Each such field
//! gets a hidden column `_code_<field>` of integers (the value's position in the field's
//! dictionary, null for null), built once when the version is loaded. Grouping and equality
//! then work on integers: hashing a million strings per facet request was most of its time.

use crate::QueryError;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int32Array, StringViewArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use std::collections::HashMap;
use std::sync::Arc;

/// More distinct values than this (or than a quarter of the rows) and a field is not coded.
const MAX_CODES: usize = 65_536;

/// One coded field: its code column and its values by code.
#[derive(Debug)]
pub(crate) struct Coded {
    pub column: String,
    pub values: Arc<StringViewArray>,
    by_value: HashMap<String, i32>,
}

impl Coded {
    /// The code of `value`, `None` when no record has it.
    pub fn code_of(&self, value: &str) -> Option<i32> {
        self.by_value.get(value).copied()
    }

    /// The expression turning a code column back into the field's text.
    pub fn decode(&self, code: Expr) -> Expr {
        ScalarUDF::from(Decode { values: self.values.clone(), signature: Signature::any(1, Volatility::Immutable) })
            .call(vec![code])
    }
}

/// The code column name for a field.
fn code_column(field: &str) -> String {
    format!("_code_{field}")
}

/// Adds a code column to `batches` for every text column of `fields` that has few distinct
/// values; returns the widened schema and batches, and the coded fields by name.
/// A version's schema and batches with their code columns, and the coded fields by name.
pub(crate) type WithCodes = (SchemaRef, Vec<RecordBatch>, HashMap<String, Coded>);

pub(crate) fn add_codes(
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    fields: &[String],
) -> Result<WithCodes, QueryError> {
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let cap = MAX_CODES.min(rows / 4 + 1);
    let mut coded = HashMap::new();
    let mut extra_fields = vec![];
    let mut extra_columns: Vec<Vec<ArrayRef>> = vec![vec![]; batches.len()];
    for name in fields {
        let Ok(index) = schema.index_of(name) else { continue };
        if schema.field(index).data_type() != &DataType::Utf8View {
            continue;
        }
        let Some((codes, values, by_value)) = encode(&batches, index, cap) else { continue };
        let column = code_column(name);
        extra_fields.push(Field::new(&column, DataType::Int32, true));
        for (slot, c) in extra_columns.iter_mut().zip(codes) {
            slot.push(Arc::new(c) as ArrayRef);
        }
        coded.insert(name.clone(), Coded { column, values: Arc::new(values), by_value });
    }
    if coded.is_empty() {
        return Ok((schema, batches, coded));
    }
    let mut all_fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    all_fields.extend(extra_fields);
    let wide = Arc::new(Schema::new_with_metadata(all_fields, schema.metadata().clone()));
    let widened = batches
        .into_iter()
        .zip(extra_columns)
        .map(|(b, extra)| {
            let mut columns = b.columns().to_vec();
            columns.extend(extra);
            RecordBatch::try_new(wide.clone(), columns)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| QueryError::Internal(format!("coding a field: {e}")))?;
    Ok((wide, widened, coded))
}

type Encoded = (Vec<Int32Array>, StringViewArray, HashMap<String, i32>);

/// The codes of column `index` in every batch, or `None` past `cap` distinct values.
fn encode(batches: &[RecordBatch], index: usize, cap: usize) -> Option<Encoded> {
    let mut by_value: HashMap<String, i32> = HashMap::new();
    let mut values: Vec<String> = vec![];
    let mut codes = Vec::with_capacity(batches.len());
    for batch in batches {
        let column = batch.column(index).as_string_view();
        let mut out = Vec::with_capacity(column.len());
        for v in column.iter() {
            out.push(match v {
                None => None,
                Some(text) => Some(match by_value.get(text) {
                    Some(&c) => c,
                    None => {
                        if values.len() >= cap {
                            return None;
                        }
                        let c = values.len() as i32;
                        by_value.insert(text.to_owned(), c);
                        values.push(text.to_owned());
                        c
                    }
                }),
            });
        }
        codes.push(Int32Array::from(out));
    }
    Some((codes, StringViewArray::from_iter_values(values), by_value))
}

/// Code → text, by position in the field's dictionary.
#[derive(Debug)]
struct Decode {
    values: Arc<StringViewArray>,
    signature: Signature,
}

impl PartialEq for Decode {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.values, &other.values)
    }
}
impl Eq for Decode {}
impl std::hash::Hash for Decode {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.values) as usize).hash(state);
    }
}

impl ScalarUDFImpl for Decode {
    fn name(&self) -> &str {
        "portail_decode"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8View)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let codes = match args.args.first() {
            Some(ColumnarValue::Array(a)) => a.clone(),
            Some(ColumnarValue::Scalar(s)) => s.to_array_of_size(args.number_rows)?,
            None => return exec_err!("portail_decode takes a code"),
        };
        let Some(codes) = codes.as_primitive_opt::<datafusion::arrow::datatypes::Int32Type>() else {
            return exec_err!("portail_decode takes an Int32 code");
        };
        let text = datafusion::arrow::compute::take(self.values.as_ref(), codes, None)?;
        Ok(ColumnarValue::Array(text))
    }
}

/// `SELECT key, count(*) … GROUP BY key` for a coded field, straight from the codes: one pass
/// over the rows (those set in `selected`, a `_row` bitmap, when given). The batch has the code
/// column named `key` and one Int64 column per name in `counts`.
pub(crate) fn count_by_code(
    batches: &[RecordBatch],
    coded: &Coded,
    selected: Option<&[u64]>,
    key: &str,
    counts: &[String],
) -> Result<RecordBatch, QueryError> {
    let internal = |what: &str| QueryError::Internal(format!("counting by code: {what}"));
    let mut per_code = vec![0i64; coded.values.len()];
    let mut nulls = 0i64;
    for batch in batches {
        let codes = batch.column_by_name(&coded.column).ok_or_else(|| internal("no code column"))?;
        let codes = codes.as_primitive::<datafusion::arrow::datatypes::Int32Type>();
        if selected.is_none() && codes.null_count() == 0 {
            // Every row, no null: the loop the facets of every dataset page run.
            for &code in codes.values().iter() {
                per_code[code as usize] += 1;
            }
            continue;
        }
        let rows = batch.column_by_name(crate::records::HIDDEN_ROW).ok_or_else(|| internal("no _row"))?;
        let rows = rows.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        for i in 0..batch.num_rows() {
            if selected.is_some_and(|bits| !crate::selection::is_set(bits, rows.value(i) as usize)) {
                continue;
            }
            if codes.is_valid(i) {
                per_code[codes.value(i) as usize] += 1;
            } else {
                nulls += 1;
            }
        }
    }
    let mut keys: Vec<Option<i32>> = vec![];
    let mut totals = vec![];
    for (code, n) in per_code.iter().enumerate().filter(|(_, n)| **n > 0) {
        keys.push(Some(code as i32));
        totals.push(*n);
    }
    if nulls > 0 {
        keys.push(None);
        totals.push(nulls);
    }
    let mut fields = vec![Field::new(key, DataType::Int32, true)];
    let mut columns: Vec<ArrayRef> = vec![Arc::new(Int32Array::from(keys))];
    let totals: ArrayRef = Arc::new(datafusion::arrow::array::Int64Array::from(totals));
    for name in counts {
        fields.push(Field::new(name, DataType::Int64, false));
        columns.push(totals.clone());
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| internal(&e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(schema: &SchemaRef, values: &[Option<&str>]) -> RecordBatch {
        let column: StringViewArray = values.iter().copied().collect();
        RecordBatch::try_new(schema.clone(), vec![Arc::new(column)]).unwrap()
    }

    #[test]
    fn codes_are_shared_across_batches_and_decode_back() {
        let schema = Arc::new(Schema::new(vec![Field::new("c", DataType::Utf8View, true)]));
        let batches = vec![
            batch(&schema, &[Some("Sport"), Some("Culture"), None, Some("Sport")]),
            batch(&schema, &[Some("Culture"), Some("Sport"), Some("Sport"), Some("Sport")]),
        ];
        let (wide, out, coded) = add_codes(schema, batches, &["c".into()]).unwrap();
        assert_eq!(wide.field(1).name(), "_code_c");
        let c = &coded["c"];
        let code = |b: &RecordBatch, i: usize| {
            let a = b.column(1).as_primitive::<datafusion::arrow::datatypes::Int32Type>();
            a.is_valid(i).then(|| a.value(i))
        };
        assert_eq!(code(&out[0], 0), c.code_of("Sport"));
        assert_eq!(code(&out[1], 0), c.code_of("Culture"), "one dictionary for every batch");
        assert_eq!(code(&out[0], 2), None, "null stays null");
        assert_eq!(c.code_of("Tourisme"), None);
        let decoded = datafusion::arrow::compute::take(
            c.values.as_ref(),
            out[1].column(1).as_primitive::<datafusion::arrow::datatypes::Int32Type>(),
            None,
        )
        .unwrap();
        assert_eq!(decoded.as_string_view().value(0), "Culture");
    }

    #[test]
    fn fields_with_many_values_are_left_alone() {
        let schema = Arc::new(Schema::new(vec![Field::new("c", DataType::Utf8View, true)]));
        let names: Vec<String> = (0..100).map(|i| format!("v{i}")).collect();
        let values: Vec<Option<&str>> = names.iter().map(|s| Some(s.as_str())).collect();
        let (wide, _, coded) = add_codes(
            schema,
            vec![batch(&Arc::new(Schema::new(vec![Field::new("c", DataType::Utf8View, true)])), &values)],
            &["c".into()],
        )
        .unwrap();
        assert!(coded.is_empty(), "100 distinct values in 100 rows are not worth codes");
        assert_eq!(wide.fields().len(), 1);
    }
}
