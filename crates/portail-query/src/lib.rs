//! ODSQL over datasets. A query's clauses are parsed (`portail-odsql`), bound to the dataset's
//! schema (unknown fields and unsupported functions are user errors) and translated into
//! DataFusion expressions — never into SQL text. Full-text predicates go through the version's
//! tantivy index and become a filter on `_row`.
//!
//! Where rows come from (`tables`): a version that fits the memory budget is decoded once and
//! queried from memory, with integer codes for its low-cardinality text fields (`codes`) and its
//! `where` evaluated once into a row bitmap for both the count and the page (`selection`); other
//! versions are scanned from their Parquet file. `records` answers pages and aggregations (with
//! `range()` and `date_format()` buckets), `export` streams every format.

mod bind;
mod buckets;
mod cluster;
mod codes;
mod crs;
mod dense;
mod encode;
mod error;
mod export;
mod fgb;
mod format;
mod geo_formats;
mod geometry;
mod ical;
mod page;
mod rdf;
mod records;
mod selection;
mod shapefile;
mod tables;
mod time;
mod udf;
mod xlsx;
mod zone;
mod zoned_range;

pub use bind::{has_aggregate, select_text_aggregates, FUNCTIONS};
pub use crs::Crs;
pub use error::QueryError;
pub use export::{export, ByteStream, ExportFormat};
pub use geo_formats::GpxOptions;
pub use rdf::{RdfOptions, RdfSyntax};
pub use records::{bounding_box, records, Dataset, RecordsRequest, RecordsResponse};
pub use shapefile::MAX_RECORDS as SHAPEFILE_MAX_RECORDS;
pub use tables::{QuerySettings, Tables};
pub use zone::Zone;
