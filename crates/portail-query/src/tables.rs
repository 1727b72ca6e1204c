//! Where a version's records are read from. A version whose decoded columns fit the memory
//! budget is loaded once into Arrow batches and queried from memory ("resident"); the others are
//! scanned from their Parquet file on each query. Full-text indexes are opened once per version.
//!
//! Versions are immutable (a new import writes a new directory), so a path is a safe cache key:
//! nothing is ever stale, old versions simply stop being asked for and are evicted first.

use crate::codes::{add_codes, Coded};
use crate::QueryError;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::MemTable;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use portail_search::DatasetIndex;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OnceCell;

/// The limits of the query engine; `portail serve` takes them from its configuration.
#[derive(Debug, Clone, Copy)]
pub struct QuerySettings {
    /// Decoded bytes of dataset versions kept in memory, all datasets together; 0 turns
    /// residency off.
    pub memory_budget_bytes: u64,
    /// A records, facets or aggregation query running longer than this is stopped (exports are
    /// streamed and not limited).
    pub timeout: Duration,
}

impl Default for QuerySettings {
    fn default() -> Self {
        QuerySettings { memory_budget_bytes: 1 << 30, timeout: Duration::from_secs(30) }
    }
}

/// Every `_row` of a version, sorted by one column.
type RowOrder = Arc<Vec<u32>>;

/// A version's records in memory, in file order, as two tables over the same batches: one
/// partition (keeps the natural order, for pages) and two (for parallel filters and aggregates).
pub(crate) struct Resident {
    pub batches: Vec<RecordBatch>,
    pub rows: u64,
    pub ordered: Arc<MemTable>,
    pub parallel: Arc<MemTable>,
    pub bytes: u64,
    /// Text fields with a code column, by field name.
    pub coded: HashMap<String, Coded>,
    /// Int fields in non-decreasing file order (see `selection::equal_in_sorted`).
    pub sorted: Vec<String>,
    /// Per batch, its first `_row` when its rows are numbered `first, first + 1, …` (found once
    /// here: pages and filters rely on it on every request).
    pub starts: Vec<Option<usize>>,
    /// Row orders by (numeric column, descending), built when a sorted page first needs one.
    orders: Mutex<HashMap<(String, bool), RowOrder>>,
}

impl Resident {
    pub(crate) fn new(schema: SchemaRef, batches: Vec<RecordBatch>) -> Result<Resident, QueryError> {
        let bytes = batches.iter().map(|b| b.get_array_memory_size() as u64).sum();
        let half = batches.len().div_ceil(2);
        let halves: Vec<Vec<RecordBatch>> = if batches.len() > 1 {
            vec![batches[..half].to_vec(), batches[half..].to_vec()]
        } else {
            vec![batches.clone()]
        };
        let starts = batches
            .iter()
            .map(|b| {
                let rows = b.column_by_name(crate::records::HIDDEN_ROW)?;
                let rows = datafusion::arrow::array::AsArray::as_primitive_opt::<
                    datafusion::arrow::datatypes::Int64Type,
                >(rows)?;
                crate::udf::consecutive_from(rows.values())
                    .filter(|_| datafusion::arrow::array::Array::null_count(rows) == 0)
            })
            .collect();
        Ok(Resident {
            starts,
            rows: batches.iter().map(|b| b.num_rows() as u64).sum(),
            ordered: Arc::new(MemTable::try_new(schema.clone(), vec![batches.clone()])?),
            batches,
            parallel: Arc::new(MemTable::try_new(schema, halves)?),
            bytes,
            coded: HashMap::new(),
            sorted: vec![],
            orders: Mutex::new(HashMap::new()),
        })
    }

    /// Every `_row` in the order of `column` (nulls last, ties by `_row`), kept once built; `None`
    /// when the column is not numeric (or has integers an f64 cannot tell apart), or the rows
    /// are not numbered consecutively in file order. 4 bytes a row, outside the memory budget.
    pub(crate) fn order_by(&self, column: &str, descending: bool) -> Option<RowOrder> {
        let key = (column.to_owned(), descending);
        if let Some(order) = self.orders.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Some(order.clone());
        }
        let order = Arc::new(self.build_order(column, descending)?);
        self.orders.lock().unwrap_or_else(|e| e.into_inner()).insert(key, order.clone());
        Some(order)
    }

    fn build_order(&self, column: &str, descending: bool) -> Option<Vec<u32>> {
        use datafusion::arrow::array::{Array, AsArray};
        use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
        let last_row = self.starts.last().copied().flatten()? + self.batches.last()?.num_rows();
        if last_row > u32::MAX as usize || !self.starts.windows(2).all(|w| w[0].is_some() && w[0] < w[1]) {
            return None;
        }
        let mut keyed: Vec<(f64, u32)> = Vec::with_capacity(self.rows as usize);
        let mut nulls: Vec<u32> = vec![];
        for (batch, start) in self.batches.iter().zip(&self.starts) {
            let first = (*start)?;
            let array = batch.column_by_name(column)?;
            let mut push = |i: usize, key: Option<f64>| match key {
                Some(k) => keyed.push((if descending { -k } else { k }, (first + i) as u32)),
                None => nulls.push((first + i) as u32),
            };
            match array.data_type() {
                DataType::Int64 => {
                    let ints = array.as_primitive::<Int64Type>();
                    if ints.values().iter().any(|v| v.unsigned_abs() > 1 << 53) {
                        return None;
                    }
                    (0..ints.len()).for_each(|i| push(i, ints.is_valid(i).then(|| ints.value(i) as f64)));
                }
                DataType::Float64 => {
                    let reals = array.as_primitive::<Float64Type>();
                    (0..reals.len()).for_each(|i| push(i, reals.is_valid(i).then(|| reals.value(i))));
                }
                _ => return None,
            }
        }
        // Descending is ascending of the negated key, so ties stay in row order both ways.
        keyed.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut order: Vec<u32> = keyed.into_iter().map(|(_, row)| row).collect();
        order.extend(nulls);
        Some(order)
    }
}

struct Entry {
    /// `None` once known not to fit the budget.
    cell: Arc<OnceCell<Option<Arc<Resident>>>>,
    last_used: u64,
}

#[derive(Default)]
struct State {
    entries: HashMap<PathBuf, Entry>,
    indexes: HashMap<PathBuf, (Arc<DatasetIndex>, u64)>,
}

/// The engine's shared state: settings, resident versions and open indexes. Cheap to clone.
#[derive(Clone)]
pub struct Tables {
    settings: QuerySettings,
    /// Sessions for one and for two partitions. Queries read tables without registering
    /// anything, so sessions are shared rather than rebuilt (with every function) per query.
    sessions: Arc<[SessionContext; 2]>,
    state: Arc<Mutex<State>>,
    clock: Arc<AtomicU64>,
}

/// Rows per Arrow batch, in memory and in scans.
const BATCH_ROWS: usize = 8192;

/// Rows per batch of a version held in memory.
const RESIDENT_BATCH_ROWS: usize = 64 * 1024;

/// Open indexes kept; each holds a reader and a few file handles.
const MAX_OPEN_INDEXES: usize = 64;

impl Default for Tables {
    fn default() -> Self {
        Tables::new(QuerySettings::default())
    }
}

impl Tables {
    pub fn new(settings: QuerySettings) -> Tables {
        let session = |partitions| {
            SessionContext::new_with_config(
                SessionConfig::new().with_target_partitions(partitions).with_batch_size(BATCH_ROWS),
            )
        };
        Tables { settings, sessions: Arc::new([session(1), session(2)]), state: Arc::default(), clock: Arc::default() }
    }

    /// A session running plans on one partition (keeps the file order) or on two.
    pub(crate) fn session(&self, partitions: usize) -> &SessionContext {
        &self.sessions[usize::from(partitions > 1)]
    }

    pub fn settings(&self) -> QuerySettings {
        self.settings
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    /// Decoded bytes held in memory now.
    pub fn resident_bytes(&self) -> u64 {
        self.lock().entries.values().filter_map(|e| e.cell.get().cloned().flatten()).map(|r| r.bytes).sum()
    }

    /// The version at `parquet` in memory, loading it on first use when it fits the budget.
    /// Concurrent first uses wait for one load.
    pub(crate) async fn resident(&self, parquet: &Path) -> Result<Option<Arc<Resident>>, QueryError> {
        if self.settings.memory_budget_bytes == 0 {
            return Ok(None);
        }
        let now = self.tick();
        let cell = {
            let mut state = self.lock();
            let entry = state
                .entries
                .entry(parquet.to_owned())
                .or_insert_with(|| Entry { cell: Arc::default(), last_used: now });
            entry.last_used = now;
            entry.cell.clone()
        };
        let budget = self.settings.memory_budget_bytes;
        let path = parquet.to_owned();
        let was_loaded = cell.initialized();
        let loaded = cell.get_or_try_init(|| async move { load(&path, budget).await }).await?.clone();
        // Only a new load can take the total past the budget.
        if !was_loaded && loaded.is_some() {
            self.evict(parquet);
        }
        Ok(loaded)
    }

    /// Drops the least recently used resident versions until the budget holds, never `keep`.
    fn evict(&self, keep: &Path) {
        let mut state = self.lock();
        loop {
            let total: u64 =
                state.entries.values().filter_map(|e| e.cell.get().cloned().flatten()).map(|r| r.bytes).sum();
            if total <= self.settings.memory_budget_bytes {
                return;
            }
            let oldest = state
                .entries
                .iter()
                .filter(|(p, e)| p.as_path() != keep && matches!(e.cell.get(), Some(Some(_))))
                .min_by_key(|(_, e)| e.last_used)
                .map(|(p, _)| p.clone());
            match oldest {
                Some(p) => {
                    state.entries.remove(&p);
                }
                None => return,
            }
        }
    }

    /// The full-text index in `dir`, opened once.
    pub(crate) fn index(&self, dir: &Path) -> Result<Arc<DatasetIndex>, QueryError> {
        let now = self.tick();
        if let Some((index, used)) = self.lock().indexes.get_mut(dir) {
            *used = now;
            return Ok(index.clone());
        }
        let index = Arc::new(DatasetIndex::open(dir)?);
        let mut state = self.lock();
        if state.indexes.len() >= MAX_OPEN_INDEXES {
            if let Some(oldest) = state.indexes.iter().min_by_key(|(_, (_, used))| *used).map(|(p, _)| p.clone()) {
                state.indexes.remove(&oldest);
            }
        }
        state.indexes.insert(dir.to_owned(), (index.clone(), now));
        Ok(index)
    }
}

/// Reads the whole file when its uncompressed size fits `budget`; `None` otherwise. DataFusion
/// reads it, so that the columns have exactly the types a Parquet scan gives (string views).
async fn load(path: &Path, budget: u64) -> Result<Option<Arc<Resident>>, QueryError> {
    let internal = |e: String| QueryError::Internal(format!("{}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| internal(e.to_string()))?;
    let metadata = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| internal(e.to_string()))?;
    let estimate: i64 = metadata.metadata().row_groups().iter().map(|g| g.total_byte_size()).sum();
    if estimate.max(0) as u64 > budget {
        return Ok(None);
    }
    // Large batches: the planner walks every batch of a table for its statistics on each query.
    let ctx = SessionContext::new_with_config(
        SessionConfig::new().with_target_partitions(1).with_batch_size(RESIDENT_BATCH_ROWS),
    );
    let path_text = path.to_str().ok_or_else(|| internal("non-UTF-8 path".into()))?;
    let df = ctx.read_parquet(path_text, ParquetReadOptions::default()).await?;
    let schema = Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await?;
    let fields: Vec<String> =
        schema.fields().iter().map(|f| f.name().clone()).filter(|n| !n.starts_with('_')).collect();
    let (schema, batches, coded) = add_codes(schema, batches, &fields)?;
    let mut resident = Resident::new(schema, batches)?;
    resident.coded = coded;
    resident.sorted = crate::selection::sorted_int_columns(&resident.batches);
    Ok((resident.bytes <= budget).then(|| Arc::new(resident)))
}
