//! Geometries of ODSQL: WKT literals (`geom'POLYGON((…))'`) and the GeoJSON of geo_shape
//! fields, read into `geo` types, and the relations `intersects`, `disjoint` and `within`
//! between a record's geometry and a literal (planar, in degrees, as Opendatasoft computes them
//! for the small areas portals deal with).

use crate::QueryError;
use datafusion::arrow::array::{Array, AsArray, BooleanArray};
use datafusion::arrow::buffer::BooleanBuffer;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use geo::{
    BoundingRect, Coord, Geometry, Intersects, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon,
    Rect, Within,
};
use serde_json::Value;
use std::sync::Arc;

/// Nested coordinate lists, the common shape of WKT and GeoJSON coordinates.
#[derive(Debug, Clone)]
enum Node {
    Coord(f64, f64),
    List(Vec<Node>),
}

fn coord(n: &Node) -> Option<Coord> {
    match n {
        Node::Coord(x, y) => Some(Coord { x: *x, y: *y }),
        // WKT's `MULTIPOINT((1 2), (3 4))` wraps each point in parentheses.
        Node::List(items) if items.len() == 1 => coord(&items[0]),
        Node::List(_) => None,
    }
}

fn list(n: &Node) -> Option<&[Node]> {
    match n {
        Node::List(items) => Some(items),
        Node::Coord(..) => None,
    }
}

fn line(n: &Node) -> Option<LineString> {
    list(n)?.iter().map(coord).collect::<Option<Vec<_>>>().map(LineString::new)
}

fn polygon(n: &Node) -> Option<Polygon> {
    let mut rings = list(n)?.iter().map(line);
    let exterior = rings.next()??;
    let interiors = rings.collect::<Option<Vec<_>>>()?;
    Some(Polygon::new(exterior, interiors))
}

/// A geometry of a type name (`Point`, `MULTIPOLYGON`…) and its coordinates.
fn build(kind: &str, coordinates: &Node) -> Option<Geometry> {
    Some(match kind.to_ascii_lowercase().as_str() {
        "point" => Geometry::Point(Point(coord(coordinates)?)),
        "linestring" => Geometry::LineString(line(coordinates)?),
        "polygon" => Geometry::Polygon(polygon(coordinates)?),
        "multipoint" => Geometry::MultiPoint(MultiPoint::new(
            list(coordinates)?.iter().map(|c| coord(c).map(Point)).collect::<Option<Vec<_>>>()?,
        )),
        "multilinestring" => {
            Geometry::MultiLineString(MultiLineString::new(list(coordinates)?.iter().map(line).collect::<Option<_>>()?))
        }
        "multipolygon" => {
            Geometry::MultiPolygon(MultiPolygon::new(list(coordinates)?.iter().map(polygon).collect::<Option<_>>()?))
        }
        _ => return None,
    })
}

/// Reads `(…)` lists of `x y` pairs from WKT, from `at`; returns the node and where it ends.
fn wkt_node(text: &[u8], mut at: usize) -> Option<(Node, usize)> {
    let skip = |at: &mut usize| {
        while *at < text.len() && text[*at].is_ascii_whitespace() {
            *at += 1;
        }
    };
    skip(&mut at);
    if text.get(at) == Some(&b'(') {
        at += 1;
        let mut items = vec![];
        loop {
            let (item, next) = wkt_node(text, at)?;
            items.push(item);
            at = next;
            skip(&mut at);
            match text.get(at)? {
                b',' => at += 1,
                b')' => return Some((Node::List(items), at + 1)),
                _ => return None,
            }
        }
    }
    let start = at;
    while at < text.len() && !matches!(text[at], b',' | b')' | b'(') {
        at += 1;
    }
    let numbers: Vec<f64> = std::str::from_utf8(&text[start..at])
        .ok()?
        .split_whitespace()
        .map(|n| n.parse().ok())
        .collect::<Option<_>>()?;
    match numbers[..] {
        // Extra ordinates (Z, M) are ignored.
        [x, y, ..] => Some((Node::Coord(x, y), at)),
        _ => None,
    }
}

/// A WKT literal (longitude first, as WKT is), or a 400 naming what is wrong.
pub fn parse_wkt(wkt: &str) -> Result<Geometry, QueryError> {
    let bad = || {
        QueryError::invalid(format!(
            "Invalid geometry: geom'{wkt}' (expected WKT such as POINT(2.35 48.85) or POLYGON((lon lat, …)))"
        ))
    };
    let text = wkt.trim();
    let open = text.find('(').ok_or_else(bad)?;
    let (node, end) = wkt_node(text.as_bytes(), open).ok_or_else(bad)?;
    if !text[end..].trim().is_empty() {
        return Err(bad());
    }
    let geometry = build(text[..open].trim(), &node).ok_or_else(bad)?;
    let valid = |c: &Coord| (-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y);
    use geo::CoordsIter;
    if !geometry.coords_iter().all(|c| valid(&c)) {
        return Err(QueryError::invalid(format!(
            "Invalid geometry: geom'{wkt}' has coordinates outside lon ±180, lat ±90"
        )));
    }
    Ok(geometry)
}

fn json_node(v: &Value) -> Option<Node> {
    let items = v.as_array()?;
    if items.first().is_some_and(Value::is_number) {
        return Some(Node::Coord(items.first()?.as_f64()?, items.get(1)?.as_f64()?));
    }
    items.iter().map(json_node).collect::<Option<Vec<_>>>().map(Node::List)
}

/// A GeoJSON geometry (or Feature) as stored in geo_shape fields; `None` if it is not one.
pub fn parse_geojson(text: &str) -> Option<Geometry> {
    geojson_geometry(&serde_json::from_str(text).ok()?)
}

/// A parsed GeoJSON geometry (or Feature); `None` if it is not one.
pub(crate) fn geojson_geometry(v: &Value) -> Option<Geometry> {
    let g = if v["type"] == "Feature" { &v["geometry"] } else { v };
    let kind = g["type"].as_str()?;
    if kind == "GeometryCollection" {
        let parts: Vec<Geometry> = g["geometries"].as_array()?.iter().filter_map(geojson_geometry).collect();
        return Some(Geometry::GeometryCollection(geo::GeometryCollection::new_from(parts)));
    }
    build(kind, &json_node(&g["coordinates"])?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    Intersects,
    Disjoint,
    /// The record's geometry lies inside the literal.
    Within,
}

impl Relation {
    pub fn of_name(name: &str) -> Option<Relation> {
        match name.to_ascii_lowercase().as_str() {
            "intersects" => Some(Relation::Intersects),
            "disjoint" => Some(Relation::Disjoint),
            "within" => Some(Relation::Within),
            _ => None,
        }
    }

    fn holds(self, record: &Geometry, literal: &Geometry) -> bool {
        match self {
            Relation::Intersects => record.intersects(literal),
            Relation::Disjoint => !record.intersects(literal),
            Relation::Within => record.is_within(literal),
        }
    }
}

/// `relation(field, geom'…')` over a geo point (`{lon, lat}`) or geo shape (GeoJSON text) column.
#[derive(Debug)]
struct GeoRelation {
    relation: Relation,
    wkt: String,
    literal: Arc<Geometry>,
    bounds: Option<Rect>,
    signature: Signature,
}

impl PartialEq for GeoRelation {
    fn eq(&self, other: &Self) -> bool {
        (self.relation, &self.wkt) == (other.relation, &other.wkt)
    }
}

impl Eq for GeoRelation {}

impl std::hash::Hash for GeoRelation {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.relation, &self.wkt).hash(state);
    }
}

impl GeoRelation {
    fn point_holds(&self, lon: f64, lat: f64) -> bool {
        // Outside the literal's box a point neither intersects nor lies within it.
        let outside =
            self.bounds.is_some_and(|b| lon < b.min().x || lon > b.max().x || lat < b.min().y || lat > b.max().y);
        if outside {
            return self.relation == Relation::Disjoint;
        }
        self.relation.holds(&Geometry::Point(Point::new(lon, lat)), &self.literal)
    }

    fn shape_holds(&self, text: &str) -> bool {
        parse_geojson(text).is_some_and(|g| self.relation.holds(&g, &self.literal))
    }
}

impl ScalarUDFImpl for GeoRelation {
    fn name(&self) -> &str {
        match self.relation {
            Relation::Intersects => "intersects",
            Relation::Disjoint => "disjoint",
            Relation::Within => "within",
        }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let values = match &args.args[..] {
            [ColumnarValue::Array(a)] => a.clone(),
            [ColumnarValue::Scalar(s)] => s.to_array_of_size(args.number_rows)?,
            _ => return exec_err!("{}() takes one geo field", self.name()),
        };
        let n = values.len();
        // Null geometries match no relation (not even disjoint), like nulls in comparisons.
        let bits = match values.data_type() {
            DataType::Struct(_) => {
                let s = values.as_struct();
                let (Some(lat), Some(lon)) = (s.column_by_name("lat"), s.column_by_name("lon")) else {
                    return exec_err!("{}() takes a geo point", self.name());
                };
                let (lat, lon) =
                    (lat.as_primitive::<Float64Type>().values(), lon.as_primitive::<Float64Type>().values());
                BooleanBuffer::collect_bool(n, |i| s.is_valid(i) && self.point_holds(lon[i], lat[i]))
            }
            DataType::Utf8 => {
                let t = values.as_string::<i32>();
                BooleanBuffer::collect_bool(n, |i| t.is_valid(i) && self.shape_holds(t.value(i)))
            }
            DataType::Utf8View => {
                let t = values.as_string_view();
                BooleanBuffer::collect_bool(n, |i| t.is_valid(i) && self.shape_holds(t.value(i)))
            }
            other => return exec_err!("{}() takes a geo field, not {other}", self.name()),
        };
        Ok(ColumnarValue::Array(Arc::new(BooleanArray::new(bits, None))))
    }
}

/// `relation` between the geometry in `column` and the WKT literal `wkt`.
pub(crate) fn relation(column: Expr, relation: Relation, wkt: &str) -> Result<Expr, QueryError> {
    let literal = parse_wkt(wkt)?;
    let bounds = literal.bounding_rect();
    let udf = GeoRelation {
        relation,
        wkt: wkt.to_owned(),
        literal: Arc::new(literal),
        bounds,
        signature: Signature::any(1, Volatility::Immutable),
    };
    Ok(ScalarUDF::from(udf).call(vec![column]))
}

/// The box of a WKT literal as `(min lon, min lat, max lon, max lat)`, to prune by statistics.
pub(crate) fn bounds_of(wkt: &str) -> Option<(f64, f64, f64, f64)> {
    let r = parse_wkt(wkt).ok()?.bounding_rect()?;
    Some((r.min().x, r.min().y, r.max().x, r.max().y))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE: &str = "POLYGON((2 48, 3 48, 3 49, 2 49, 2 48))";

    #[test]
    fn wkt_literals_read_every_simple_type() {
        assert!(matches!(parse_wkt("POINT(2.35 48.85)").unwrap(), Geometry::Point(_)));
        assert!(matches!(parse_wkt("point (2.35 48.85)").unwrap(), Geometry::Point(_)));
        assert!(matches!(parse_wkt("LINESTRING(2 48, 3 49)").unwrap(), Geometry::LineString(_)));
        let Geometry::Polygon(p) = parse_wkt("POLYGON((0 0, 4 0, 4 4, 0 4, 0 0), (1 1, 2 1, 2 2, 1 1))").unwrap()
        else {
            panic!()
        };
        assert_eq!((p.exterior().0.len(), p.interiors().len()), (5, 1));
        assert!(matches!(parse_wkt("MULTIPOINT((1 2), (3 4))").unwrap(), Geometry::MultiPoint(m) if m.0.len() == 2));
        assert!(matches!(parse_wkt("MULTIPOINT(1 2, 3 4)").unwrap(), Geometry::MultiPoint(m) if m.0.len() == 2));
        assert!(matches!(
            parse_wkt("MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))").unwrap(),
            Geometry::MultiPolygon(m) if m.0.len() == 2
        ));
        for bad in ["POLYGON((2 48, 3 48", "CIRCLE(1 2)", "POINT(1)", "POINT(200 0)", "POINT(1 2) extra", "POINT 1 2"] {
            let e = parse_wkt(bad).unwrap_err().to_string();
            assert!(e.contains("Invalid geometry"), "{bad}: {e}");
        }
    }

    #[test]
    fn geojson_shapes_read_as_geometries() {
        let p = parse_geojson(r#"{"type": "Polygon", "coordinates": [[[2, 48], [3, 48], [3, 49], [2, 48]]]}"#);
        assert!(matches!(p, Some(Geometry::Polygon(_))));
        let f = parse_geojson(r#"{"type": "Feature", "geometry": {"type": "Point", "coordinates": [2.5, 48.5]}}"#);
        assert_eq!(f, Some(Geometry::Point(Point::new(2.5, 48.5))));
        assert_eq!(parse_geojson("not json"), None);
    }

    #[test]
    fn relations_between_records_and_a_polygon() {
        let square = parse_wkt(SQUARE).unwrap();
        let inside = Geometry::Point(Point::new(2.5, 48.5));
        let outside = Geometry::Point(Point::new(5.0, 43.0));
        let crossing = parse_wkt("LINESTRING(1 48.5, 2.5 48.5)").unwrap();
        assert!(Relation::Intersects.holds(&inside, &square) && Relation::Within.holds(&inside, &square));
        assert!(Relation::Disjoint.holds(&outside, &square) && !Relation::Intersects.holds(&outside, &square));
        assert!(Relation::Intersects.holds(&crossing, &square));
        assert!(!Relation::Within.holds(&crossing, &square), "a line leaving the square is not within it");
        assert!(!Relation::Disjoint.holds(&crossing, &square));
    }
}

/// `bbox(geo)` and `envelope(geo)`: the box, or the convex hull, around every point or shape of
/// the group, as a GeoJSON geometry (rendered like a geo_shape value).
#[derive(Debug, PartialEq, Eq, Hash)]
struct Surround {
    hull: bool,
    signature: Signature,
}

impl datafusion::logical_expr::AggregateUDFImpl for Surround {
    fn name(&self) -> &str {
        if self.hull {
            "envelope"
        } else {
            "bbox"
        }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn accumulator(
        &self,
        _: datafusion::logical_expr::function::AccumulatorArgs,
    ) -> Result<Box<dyn datafusion::logical_expr::Accumulator>> {
        Ok(Box::new(SurroundAccumulator { hull: self.hull, points: vec![] }))
    }
}

/// The points seen so far; reduced to their hull (or box corners) when many, so memory stays
/// small whatever the group's size. The partial state is the same points as `x y` text.
#[derive(Debug)]
struct SurroundAccumulator {
    hull: bool,
    points: Vec<Coord>,
}

/// Points kept before reducing them to the hull or the box.
const REDUCE_AT: usize = 4096;

impl SurroundAccumulator {
    fn add(&mut self, c: Coord) {
        self.points.push(c);
        if self.points.len() >= REDUCE_AT {
            self.reduce();
        }
    }

    /// Keeps only the points the result depends on: the hull's vertices, or two box corners.
    fn reduce(&mut self) {
        use geo::ConvexHull;
        if self.points.is_empty() {
            return;
        }
        if self.hull {
            let hull = MultiPoint::new(self.points.iter().map(|c| Point(*c)).collect()).convex_hull();
            self.points = hull.exterior().0.clone();
        } else if let Some(r) = MultiPoint::new(self.points.iter().map(|c| Point(*c)).collect()).bounding_rect() {
            self.points = vec![r.min(), r.max()];
        }
    }

    fn geojson(&mut self) -> Option<String> {
        self.reduce();
        let ring: Vec<Coord> = if self.hull {
            self.points.clone()
        } else {
            let (a, b) = (*self.points.first()?, *self.points.last()?);
            vec![a, Coord { x: b.x, y: a.y }, b, Coord { x: a.x, y: b.y }, a]
        };
        let first = *ring.first()?;
        let text: Vec<String> = ring.iter().map(|c| format!("[{}, {}]", c.x, c.y)).collect();
        // A single place has no area: it is a point.
        if ring.iter().all(|c| *c == first) {
            return Some(format!("{{\"type\": \"Point\", \"coordinates\": [{}, {}]}}", first.x, first.y));
        }
        Some(format!("{{\"type\": \"Polygon\", \"coordinates\": [[{}]]}}", text.join(", ")))
    }
}

impl datafusion::logical_expr::Accumulator for SurroundAccumulator {
    fn update_batch(&mut self, values: &[datafusion::arrow::array::ArrayRef]) -> Result<()> {
        use geo::CoordsIter;
        let Some(values) = values.first() else { return Ok(()) };
        match values.data_type() {
            DataType::Struct(_) => {
                let s = values.as_struct();
                let (Some(lat), Some(lon)) = (s.column_by_name("lat"), s.column_by_name("lon")) else {
                    return exec_err!("bbox() and envelope() take a geo field");
                };
                let (lat, lon) =
                    (lat.as_primitive::<Float64Type>().values(), lon.as_primitive::<Float64Type>().values());
                for i in (0..s.len()).filter(|i| s.is_valid(*i)) {
                    self.add(Coord { x: lon[i], y: lat[i] });
                }
            }
            DataType::Utf8 | DataType::Utf8View => {
                let texts: Vec<Option<&str>> = match values.data_type() {
                    DataType::Utf8 => values.as_string::<i32>().iter().collect(),
                    _ => values.as_string_view().iter().collect(),
                };
                for g in texts.into_iter().flatten().filter_map(parse_geojson) {
                    for c in g.coords_iter() {
                        self.add(c);
                    }
                }
            }
            other => return exec_err!("bbox() and envelope() take a geo field, not {other}"),
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<datafusion::common::ScalarValue> {
        Ok(datafusion::common::ScalarValue::Utf8(self.geojson()))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.points.capacity() * std::mem::size_of::<Coord>()
    }

    fn state(&mut self) -> Result<Vec<datafusion::common::ScalarValue>> {
        self.reduce();
        let text: Vec<String> = self.points.iter().map(|c| format!("{} {}", c.x, c.y)).collect();
        Ok(vec![datafusion::common::ScalarValue::Utf8(Some(text.join(",")))])
    }

    fn merge_batch(&mut self, states: &[datafusion::arrow::array::ArrayRef]) -> Result<()> {
        let Some(states) = states.first() else { return Ok(()) };
        for text in states.as_string::<i32>().iter().flatten() {
            for pair in text.split(',').filter(|p| !p.is_empty()) {
                let mut xy = pair.split(' ').filter_map(|n| n.parse::<f64>().ok());
                if let (Some(x), Some(y)) = (xy.next(), xy.next()) {
                    self.add(Coord { x, y });
                }
            }
        }
        Ok(())
    }
}

/// `bbox(column)` (`hull` false) or `envelope(column)` as an aggregate expression.
pub(crate) fn surround(column: Expr, hull: bool) -> Expr {
    let udaf = datafusion::logical_expr::AggregateUDF::from(Surround {
        hull,
        signature: Signature::any(1, Volatility::Immutable),
    });
    udaf.call(vec![column])
}

#[cfg(test)]
mod surround_tests {
    use super::*;
    use datafusion::logical_expr::Accumulator;

    fn accumulate(hull: bool, points: &[(f64, f64)]) -> SurroundAccumulator {
        let mut acc = SurroundAccumulator { hull, points: vec![] };
        for (x, y) in points {
            acc.add(Coord { x: *x, y: *y });
        }
        acc
    }

    #[test]
    fn the_hull_leaves_inner_points_out_and_partial_states_merge() {
        let square = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0), (1.0, 1.0), (0.5, 1.5)];
        let mut whole = accumulate(true, &square);
        let text = whole.geojson().unwrap();
        assert!(text.starts_with("{\"type\": \"Polygon\""), "{text}");
        assert!(!text.contains("[1, 1]") && !text.contains("[0.5, 1.5]"), "inner points are not vertices: {text}");
        // Two partial groups merged give the same hull as one.
        let mut left = accumulate(true, &square[..3]);
        let mut right = accumulate(true, &square[3..]);
        let state = right.state().unwrap();
        let array = state[0].to_array().unwrap();
        left.merge_batch(&[array]).unwrap();
        assert_eq!(left.geojson().unwrap(), accumulate(true, &square).geojson().unwrap());
    }

    #[test]
    fn boxes_many_points_and_single_places() {
        let many: Vec<(f64, f64)> = (0..10_000).map(|i| (f64::from(i % 100), f64::from(i / 100))).collect();
        let mut acc = accumulate(false, &many);
        assert!(acc.points.len() < REDUCE_AT, "reduced as it goes");
        assert_eq!(
            acc.geojson().unwrap(),
            "{\"type\": \"Polygon\", \"coordinates\": [[[0, 0], [99, 0], [99, 99], [0, 99], [0, 0]]]}"
        );
        let mut one = accumulate(false, &[(2.5, 48.5), (2.5, 48.5)]);
        assert_eq!(one.geojson().unwrap(), "{\"type\": \"Point\", \"coordinates\": [2.5, 48.5]}");
        assert_eq!(accumulate(true, &[]).geojson(), None, "no point, no geometry");
    }
}
