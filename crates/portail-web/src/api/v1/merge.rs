//! The merge step of `geocluster`. Cells are squares of `clusterdistance` pixels, so the points
//! either side of a cell border make two clusters drawn a few pixels apart. As map clustering
//! does (Opendatasoft's maps, supercluster), clusters closer than `clusterdistance` pixels are
//! then merged: the biggest first absorbs the smaller ones around it.

use super::series::Parts;
use serde_json::{json, Value};
use std::collections::HashMap;

/// One cluster: its records, their centroid, the points of their hull and the series' parts.
#[derive(Debug, Clone)]
pub(super) struct Cluster {
    pub count: i64,
    pub lat: f64,
    pub lon: f64,
    /// `[lon, lat]` of the hull's corners; `None` when hulls are not asked for.
    pub hull: Option<Vec<[f64; 2]>>,
    /// The engine's hull, kept as it is while the cluster absorbs nothing.
    pub geometry: Value,
    pub parts: Vec<Parts>,
    merged: bool,
}

impl Cluster {
    pub fn new(count: i64, lat: f64, lon: f64, geometry: Value, parts: Vec<Parts>) -> Cluster {
        let hull = (!geometry.is_null()).then(|| corners(&geometry));
        Cluster { count, lat, lon, hull, geometry, parts, merged: false }
    }

    fn absorb(&mut self, other: &Cluster) {
        let total = (self.count + other.count) as f64;
        let (a, b) = (self.count as f64 / total, other.count as f64 / total);
        self.lat = self.lat * a + other.lat * b;
        self.lon = self.lon * a + other.lon * b;
        self.count += other.count;
        if let (Some(mine), Some(theirs)) = (self.hull.as_mut(), other.hull.as_ref()) {
            mine.extend_from_slice(theirs);
        }
        for (mine, theirs) in self.parts.iter_mut().zip(&other.parts) {
            mine.merge(theirs);
        }
        self.merged = true;
    }

    /// The hull as GeoJSON: the engine's own, or the convex hull of the merged clusters' hulls.
    pub fn hull_geometry(&self) -> Value {
        match (&self.hull, self.merged) {
            (Some(points), true) => geometry_of(convex_hull(points.clone())),
            _ => self.geometry.clone(),
        }
    }
}

/// Pixel coordinates on the Web Mercator map at `zoom` (256-pixel tiles, y downwards): the
/// projection's metres scaled to the map's width.
fn pixel(lat: f64, lon: f64, zoom: u8) -> (f64, f64) {
    let world = 256.0 * f64::from(1u32 << zoom);
    let mercator = |lon, lat| portail_query::Crs::WebMercator.project(geo::Coord { x: lon, y: lat });
    let (m, half) = (mercator(lon, lat), mercator(180.0, 0.0).x);
    ((m.x + half) / (2.0 * half) * world, (half - m.y) / (2.0 * half) * world)
}

/// Merges clusters whose centres are less than `distance` pixels apart at `zoom`: in order of
/// size, each cluster not yet absorbed takes every smaller one within `distance` of its own
/// centre. The answer is biggest first again.
pub(super) fn merge(clusters: Vec<Cluster>, zoom: u8, distance: f64) -> Vec<Cluster> {
    let at: Vec<(f64, f64)> = clusters.iter().map(|c| pixel(c.lat, c.lon, zoom)).collect();
    let bucket = |(x, y): (f64, f64)| ((x / distance).floor() as i64, (y / distance).floor() as i64);
    let mut grid: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    for (i, p) in at.iter().enumerate() {
        grid.entry(bucket(*p)).or_default().push(i);
    }
    let mut absorbed = vec![false; clusters.len()];
    let mut out = vec![];
    for i in 0..clusters.len() {
        if absorbed[i] {
            continue;
        }
        let mut cluster = clusters[i].clone();
        let (bx, by) = bucket(at[i]);
        let mut near: Vec<usize> = (-1..=1)
            .flat_map(|dx| (-1..=1).map(move |dy| (bx + dx, by + dy)))
            .filter_map(|b| grid.get(&b))
            .flatten()
            .copied()
            .filter(|&j| j > i && !absorbed[j])
            .filter(|&j| (at[j].0 - at[i].0).hypot(at[j].1 - at[i].1) < distance)
            .collect();
        near.sort_unstable();
        for j in near {
            absorbed[j] = true;
            cluster.absorb(&clusters[j]);
        }
        out.push(cluster);
    }
    // Stable: equal counts keep the order they came in.
    out.sort_by_key(|c| std::cmp::Reverse(c.count));
    out
}

/// Every `[lon, lat]` position of a GeoJSON geometry.
fn corners(geometry: &Value) -> Vec<[f64; 2]> {
    fn walk(v: &Value, out: &mut Vec<[f64; 2]>) {
        match v.as_array() {
            Some(a) if a.len() >= 2 && a.iter().all(Value::is_number) => {
                if let (Some(x), Some(y)) = (a[0].as_f64(), a[1].as_f64()) {
                    out.push([x, y]);
                }
            }
            Some(a) => a.iter().for_each(|c| walk(c, out)),
            None => {}
        }
    }
    let mut out = vec![];
    walk(&geometry["coordinates"], &mut out);
    out
}

/// The convex hull of `points` (Andrew's monotone chain), counter-clockwise, not closed.
fn convex_hull(mut points: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
    points.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    points.dedup();
    if points.len() < 3 {
        return points;
    }
    let cross = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
    let mut hull: Vec<[f64; 2]> = vec![];
    for pass in [points.clone(), points.into_iter().rev().collect()] {
        let start = hull.len();
        for p in pass {
            while hull.len() >= start + 2 && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0 {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
    }
    hull
}

/// A hull as GeoJSON: a point, or a closed ring.
fn geometry_of(hull: Vec<[f64; 2]>) -> Value {
    match hull.as_slice() {
        [] => Value::Null,
        [p] => json!({"type": "Point", "coordinates": p}),
        ring => {
            let mut closed = ring.to_vec();
            closed.push(ring[0]);
            json!({"type": "Polygon", "coordinates": [closed]})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_are_those_of_the_tile_grid() {
        let (x, y) = pixel(0.0, 0.0, 1);
        assert!((x - 256.0).abs() < 1e-9 && (y - 256.0).abs() < 1e-9, "the centre of a 512-pixel world");
        let (x, y) = pixel(85.051_128_779_806_6, -180.0, 0);
        assert!(x.abs() < 1e-9 && y.abs() < 1e-6, "the top-left corner: {x} {y}");
    }

    fn at(count: i64, lat: f64, lon: f64) -> Cluster {
        Cluster::new(count, lat, lon, json!({"type": "Point", "coordinates": [lon, lat]}), vec![])
    }

    #[test]
    fn near_clusters_merge_into_the_biggest_at_their_weighted_centre() {
        // At zoom 12 a degree of longitude is about 2,913 pixels: 0.01° ≈ 29 px.
        let clusters = vec![at(3, 48.85, 2.35), at(2, 48.85, 2.36), at(1, 48.85, 2.40)];
        let merged = merge(clusters.clone(), 12, 80.0);
        assert_eq!(merged.iter().map(|c| c.count).collect::<Vec<_>>(), [5, 1]);
        assert!((merged[0].lon - 2.354).abs() < 1e-9, "{}", merged[0].lon);
        assert_eq!(merged[0].hull_geometry()["type"], "Polygon");
        assert_eq!(merged[1].hull_geometry(), json!({"type": "Point", "coordinates": [2.40, 48.85]}));
        // Closer than the distance only: at 20 pixels nothing merges.
        assert_eq!(merge(clusters, 12, 20.0).len(), 3);
    }

    #[test]
    fn the_hull_keeps_the_outer_points_only() {
        let hull = convex_hull(vec![[0.0, 0.0], [2.0, 0.0], [1.0, 1.0], [2.0, 2.0], [0.0, 2.0], [0.0, 0.0]]);
        assert_eq!(hull, [[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]]);
        assert_eq!(convex_hull(vec![[1.0, 1.0], [1.0, 1.0]]), [[1.0, 1.0]]);
        let square = json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]});
        assert_eq!(corners(&square).len(), 4);
    }
}
