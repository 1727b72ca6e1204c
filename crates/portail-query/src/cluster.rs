//! `geo_cluster(point, zoom, radius)` in a `group_by`. Points are first bucketed in squares of
//! `2 × radius` pixels of the Web Mercator map at `zoom` (256-pixel tiles); the points either
//! side of a square's border would then make two clusters drawn a few pixels apart, so, as map
//! clustering does (Opendatasoft's maps, supercluster), squares whose centroids are closer than
//! `radius` pixels are merged, the biggest first absorbing the smaller ones around it. The
//! merge needs the squares' counts and centroids: a first, cheap aggregation gives them, and the
//! query's own aggregation then groups by merged cluster, so that every aggregate (a median, a
//! distinct count, a hull) is that of the cluster's records, not a combination of the squares'.

use crate::QueryError;
use datafusion::arrow::array::{Array, AsArray, Int64Array};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::common::{exec_err, Result};
use datafusion::dataframe::DataFrame;
use datafusion::functions::core::expr_fn as f;
use datafusion::functions_aggregate::expr_fn::{avg, count};
use datafusion::logical_expr::{
    lit, ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Pixel coordinates of a point on the Web Mercator map at `zoom` (256-pixel tiles, y
/// downwards), latitudes clamped to the map's edges.
pub(crate) fn pixel(lon: f64, lat: f64, zoom: u8) -> (f64, f64) {
    let world = 256.0 * f64::from(1u32 << zoom);
    let lat = lat.clamp(-85.051_128_779_806_6, 85.051_128_779_806_6).to_radians();
    let x = (lon + 180.0) / 360.0 * world;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * world;
    (x, y)
}

/// The square of `2 × radius` pixels at `zoom` that holds a point, as one integer.
#[derive(Debug, PartialEq, Eq, Hash)]
struct GeoCell {
    zoom: u8,
    /// Pixels, as f64 bits (hashable).
    radius: u64,
    signature: Signature,
}

impl GeoCell {
    fn new(zoom: u8, radius: f64) -> GeoCell {
        GeoCell { zoom, radius: radius.to_bits(), signature: Signature::any(1, Volatility::Immutable) }
    }

    fn cell(&self, lon: f64, lat: f64) -> i64 {
        let world = 256.0 * f64::from(1u32 << self.zoom);
        let size = 2.0 * f64::from_bits(self.radius);
        let (x, y) = pixel(lon, lat, self.zoom);
        // At most 2^32 cells a side (zoom 25, radius 1): both fit in 32 bits once clamped to the map.
        let last = ((world / size).ceil() as u64).saturating_sub(1);
        let (cx, cy) = (((x / size).floor().max(0.0) as u64).min(last), ((y / size).floor().max(0.0) as u64).min(last));
        ((cx << 32) | cy) as i64
    }
}

impl ScalarUDFImpl for GeoCell {
    fn name(&self) -> &str {
        "geo_cluster"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let values = match &args.args[..] {
            [ColumnarValue::Array(a)] => a.clone(),
            [ColumnarValue::Scalar(s)] => s.to_array_of_size(args.number_rows)?,
            _ => return exec_err!("geo_cluster() takes one geo point field"),
        };
        let Some(s) = values.as_struct_opt() else { return exec_err!("geo_cluster() takes a geo point field") };
        let (Some(lat), Some(lon)) = (s.column_by_name("lat"), s.column_by_name("lon")) else {
            return exec_err!("geo_cluster() takes a geo point field");
        };
        let (lat, lon) = (lat.as_primitive::<Float64Type>(), lon.as_primitive::<Float64Type>());
        let cells: Int64Array =
            (0..s.len()).map(|i| s.is_valid(i).then(|| self.cell(lon.value(i), lat.value(i)))).collect();
        Ok(ColumnarValue::Array(Arc::new(cells)))
    }
}

/// One square of the first pass: its key, how many points it holds and their centroid.
#[derive(Debug, Clone, Copy)]
struct Square {
    key: i64,
    count: i64,
    lon: f64,
    lat: f64,
}

/// Which square absorbs which: squares whose centroids are less than `distance` pixels apart at
/// `zoom` merge. In order of size (then of key, so that the same data gives the same clusters),
/// each square not yet absorbed takes every smaller one within `distance` of its centroid. The
/// answer maps each absorbed square to the one that took it; the others are absent.
fn merge(mut squares: Vec<Square>, zoom: u8, distance: f64) -> HashMap<i64, i64> {
    squares.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
    let at: Vec<(f64, f64)> = squares.iter().map(|s| pixel(s.lon, s.lat, zoom)).collect();
    // Neighbours are looked up in a grid of `distance` pixels: only the 9 buckets around a point.
    let bucket = |(x, y): (f64, f64)| ((x / distance).floor() as i64, (y / distance).floor() as i64);
    let mut grid: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    for (i, p) in at.iter().enumerate() {
        grid.entry(bucket(*p)).or_default().push(i);
    }
    let mut absorbed = vec![false; squares.len()];
    let mut into = HashMap::new();
    for i in 0..squares.len() {
        if absorbed[i] {
            continue;
        }
        let (bx, by) = bucket(at[i]);
        for dx in -1..=1 {
            for dy in -1..=1 {
                for &j in grid.get(&(bx + dx, by + dy)).into_iter().flatten() {
                    if j > i && !absorbed[j] && (at[j].0 - at[i].0).hypot(at[j].1 - at[i].1) < distance {
                        absorbed[j] = true;
                        into.insert(squares[j].key, squares[i].key);
                    }
                }
            }
        }
    }
    into
}

/// A square's cluster: the square that absorbed it, or itself.
#[derive(Debug)]
struct ClusterOf {
    /// Distinguishes maps for the planner's equality, which never needs to compare contents.
    id: u64,
    into: HashMap<i64, i64>,
    signature: Signature,
}

static NEXT_MAP: AtomicU64 = AtomicU64::new(0);

impl PartialEq for ClusterOf {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for ClusterOf {}
impl std::hash::Hash for ClusterOf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl ScalarUDFImpl for ClusterOf {
    fn name(&self) -> &str {
        "portail_cluster_of"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [cells] = &args.args[..] else { return exec_err!("portail_cluster_of takes one cell") };
        let cells = cells.clone().into_array(args.number_rows)?;
        let cells = cells.as_primitive::<Int64Type>();
        let clusters: Int64Array = cells.iter().map(|c| c.map(|c| *self.into.get(&c).unwrap_or(&c))).collect();
        Ok(ColumnarValue::Array(Arc::new(clusters)))
    }
}

/// The cluster of each point of `df` for `geo_cluster(point, zoom, radius)`, as an expression to
/// group by: the squares are counted and merged first (one aggregation of `df`).
pub(crate) async fn clusters(df: &DataFrame, point: Expr, zoom: u8, radius: f64) -> Result<Expr, QueryError> {
    let cell = ScalarUDF::from(GeoCell::new(zoom, radius)).call(vec![point.clone()]);
    let squares = df
        .clone()
        .aggregate(
            vec![cell.clone().alias("cell")],
            vec![
                count(lit(1)).alias("n"),
                avg(f::get_field(point.clone(), "lon")).alias("lon"),
                avg(f::get_field(point, "lat")).alias("lat"),
            ],
        )?
        .collect()
        .await?;
    let mut found = vec![];
    for batch in &squares {
        let column = |i: usize| batch.column(i).clone();
        let (keys, counts) = (column(0), column(1));
        let (keys, counts) = (keys.as_primitive::<Int64Type>(), counts.as_primitive::<Int64Type>());
        let (lons, lats) = (column(2), column(3));
        let (lons, lats) = (lons.as_primitive::<Float64Type>(), lats.as_primitive::<Float64Type>());
        for i in 0..batch.num_rows() {
            if keys.is_valid(i) {
                found.push(Square {
                    key: keys.value(i),
                    count: counts.value(i),
                    lon: lons.value(i),
                    lat: lats.value(i),
                });
            }
        }
    }
    let into = merge(found, zoom, radius);
    if into.is_empty() {
        return Ok(cell);
    }
    let of = ClusterOf {
        id: NEXT_MAP.fetch_add(1, Ordering::Relaxed),
        into,
        signature: Signature::exact(vec![DataType::Int64], Volatility::Immutable),
    };
    Ok(ScalarUDF::from(of).call(vec![cell]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_points_share_a_cell_at_low_zoom_only() {
        let at = |zoom| GeoCell::new(zoom, 40.0);
        // Two trees 100 m apart in Paris, and Lyon.
        let (a, b, lyon) = ((2.3522, 48.8566), (2.3535, 48.8570), (4.8357, 45.764));
        assert_eq!(at(10).cell(a.0, a.1), at(10).cell(b.0, b.1));
        assert_ne!(at(10).cell(a.0, a.1), at(10).cell(lyon.0, lyon.1));
        assert_ne!(at(20).cell(a.0, a.1), at(20).cell(b.0, b.1), "at street level they part");
        assert_eq!(at(0).cell(a.0, a.1), at(0).cell(lyon.0, lyon.1), "the whole world is a few cells at zoom 0");
        // The map's far corners at the deepest zoom and smallest radius stay distinct, without overflow.
        let deepest = GeoCell::new(25, 1.0);
        assert_ne!(deepest.cell(180.0, -90.0), deepest.cell(-180.0, 90.0));
    }

    #[test]
    fn pixels_are_those_of_the_tile_grid() {
        let (x, y) = pixel(0.0, 0.0, 1);
        assert!((x - 256.0).abs() < 1e-9 && (y - 256.0).abs() < 1e-9, "the centre of a 512-pixel world");
        let (x, y) = pixel(-180.0, 85.051_128_779_806_6, 0);
        assert!(x.abs() < 1e-9 && y.abs() < 1e-6, "the top-left corner: {x} {y}");
    }

    #[test]
    fn near_squares_merge_into_the_biggest() {
        // At zoom 12 a degree of longitude is about 2,913 pixels: 0.01° ≈ 29 px.
        let square = |key, count, lon| Square { key, count, lon, lat: 48.85 };
        let squares = vec![square(1, 2, 2.36), square(2, 3, 2.35), square(3, 1, 2.40), square(4, 3, 2.50)];
        let into = merge(squares.clone(), 12, 40.0);
        // 2 (3 points) takes 1 (29 px away); 3 is 146 px from 2 and 291 from 4; 4 is alone.
        assert_eq!(into, HashMap::from([(1, 2)]));
        // Closer than the distance only: at 20 pixels nothing merges.
        assert!(merge(squares.clone(), 12, 20.0).is_empty());
        // Equal counts: the smaller key absorbs, whatever order the squares come in.
        let mut reversed = squares;
        reversed.reverse();
        assert_eq!(merge(reversed, 12, 500.0), HashMap::from([(1, 2), (3, 2), (4, 2)]));
    }
}
