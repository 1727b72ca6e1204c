//! ODSQL over datasets. A query's clauses are parsed (`portail-odsql`), bound to the dataset's
//! schema (unknown fields and unsupported functions are user errors), translated into DataFusion
//! expressions — never into SQL text — and run over the version's Parquet file. Full-text
//! predicates go through the version's tantivy index and become a filter on `_row`.
//!
//! Implemented so far: `records` with `select` (fields, aliases, arithmetic, scalar date and
//! string functions, `count`/`sum`/`avg`/`min`/`max`/`median`), `where` (comparisons, `IN`
//! lists and ranges, `IS NULL`, booleans, full text, `search`/`suggest`/`startswith`, `LIKE`,
//! `within_distance`, `in_bbox`), `group_by` (fields and date parts), `order_by`, `limit`,
//! `offset`. Facets, exports, `range()`, `date_format()` and geo shapes come next.

mod bind;
mod buckets;
mod codes;
mod error;
mod export;
mod format;
mod records;
mod selection;
mod tables;
mod time;
mod udf;

pub use bind::has_aggregate;
pub use error::QueryError;
pub use export::{export, ByteStream, ExportFormat};
pub use records::{bounding_box, records, Dataset, RecordsRequest, RecordsResponse};
pub use tables::{QuerySettings, Tables};
