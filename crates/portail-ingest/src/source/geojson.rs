//! GeoJSON FeatureCollections: properties become fields, the geometry a `geo_shape` field (its
//! GeoJSON text) and a `geo_point_2d` field (the point itself, or the shape's centroid).

use super::json::{json_error, value_text};
use super::{label, Position, RowFn, RowSource};
use crate::IngestError;
use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

pub const SHAPE_FIELD: &str = "geo_shape";
pub const POINT_FIELD: &str = "geo_point_2d";

pub struct GeoJsonSource {
    path: PathBuf,
    file: String,
    properties: Vec<String>,
    headers: Vec<String>,
}

type FeatureFn<'a> = dyn FnMut(u64, Value) -> Result<(), IngestError> + 'a;

fn for_each_feature(path: &Path, file: &str, f: &mut FeatureFn<'_>) -> Result<(), IngestError> {
    struct Collection<'a, 'b> {
        f: &'a mut FeatureFn<'b>,
        failure: &'a mut Option<IngestError>,
    }
    struct Features<'a, 'b> {
        f: &'a mut FeatureFn<'b>,
        failure: &'a mut Option<IngestError>,
    }
    impl<'de> Visitor<'de> for Collection<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a GeoJSON FeatureCollection object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let (mut kind, mut saw_features) = (None, false);
            while let Some(key) = map.next_key::<String>()? {
                match key.as_str() {
                    "type" => kind = Some(map.next_value::<String>()?),
                    "features" => {
                        saw_features = true;
                        map.next_value_seed(Features { f: &mut *self.f, failure: &mut *self.failure })?;
                    }
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            match kind.as_deref() {
                Some("FeatureCollection") if saw_features => Ok(()),
                Some("FeatureCollection") => Err(A::Error::custom("the FeatureCollection has no `features` array")),
                Some(other) => Err(A::Error::custom(format!("expected a FeatureCollection, found a {other}"))),
                None => Err(A::Error::custom("no `type` member: not GeoJSON")),
            }
        }
    }
    impl<'de> DeserializeSeed<'de> for Features<'_, '_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de> Visitor<'de> for Features<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of features")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut n = 0;
            while let Some(feature) = seq.next_element::<Value>()? {
                n += 1;
                if let Err(e) = (self.f)(n, feature) {
                    *self.failure = Some(e);
                    return Err(A::Error::custom("stopped"));
                }
            }
            Ok(())
        }
    }
    let reader =
        BufReader::with_capacity(1 << 16, File::open(path).map_err(|e| IngestError::unreadable(file, e.to_string()))?);
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut failure = None;
    let result = (&mut de).deserialize_map(Collection { f, failure: &mut failure }).and_then(|_| de.end());
    if let Some(e) = failure {
        return Err(e);
    }
    result.map_err(|e| json_error(file, &e))
}

use serde::Deserializer as _;

fn position(v: &Value) -> Option<(f64, f64)> {
    let a = v.as_array()?;
    let (lon, lat) = (a.first()?.as_f64()?, a.get(1)?.as_f64()?);
    ((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) && a.len() <= 4).then_some((lon, lat))
}

fn positions(v: &Value, depth: usize) -> Option<Vec<(f64, f64)>> {
    if depth == 0 {
        return Some(vec![position(v)?]);
    }
    let mut out = vec![];
    for item in v.as_array()? {
        out.extend(positions(item, depth - 1)?);
    }
    Some(out)
}

/// Signed area and centroid of a ring (shoelace formula), in degrees.
fn ring_centroid(ring: &[(f64, f64)]) -> Option<(f64, f64, f64)> {
    let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
    for w in ring.windows(2) {
        let cross = w[0].0 * w[1].1 - w[1].0 * w[0].1;
        a += cross;
        cx += (w[0].0 + w[1].0) * cross;
        cy += (w[0].1 + w[1].1) * cross;
    }
    (a.abs() > 1e-12).then(|| (a / 2.0, cx / (3.0 * a), cy / (3.0 * a)))
}

fn mean(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    (!points.is_empty()).then(|| {
        let n = points.len() as f64;
        (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n)
    })
}

/// Checks a geometry and returns its representative point (lon, lat): the point itself, the
/// area-weighted centroid of polygons' outer rings, or the mean of the vertices otherwise.
pub fn representative_point(geometry: &Value) -> Result<(f64, f64), String> {
    let kind = geometry.get("type").and_then(Value::as_str).ok_or("geometry without a `type`")?;
    let coords = geometry.get("coordinates");
    let bad = || format!("invalid coordinates for a {kind}");
    let polygon_rings = |poly: &Value| -> Option<Vec<(f64, f64)>> { positions(poly.as_array()?.first()?, 1) };
    match kind {
        "Point" => position(coords.ok_or_else(bad)?).ok_or_else(bad),
        "MultiPoint" | "LineString" => mean(&positions(coords.ok_or_else(bad)?, 1).ok_or_else(bad)?).ok_or_else(bad),
        "MultiLineString" => mean(&positions(coords.ok_or_else(bad)?, 2).ok_or_else(bad)?).ok_or_else(bad),
        "Polygon" | "MultiPolygon" => {
            let c = coords.ok_or_else(bad)?;
            positions(c, if kind == "Polygon" { 2 } else { 3 }).ok_or_else(bad)?;
            let polygons: Vec<&Value> =
                if kind == "Polygon" { vec![c] } else { c.as_array().ok_or_else(bad)?.iter().collect() };
            let (mut area, mut x, mut y) = (0.0, 0.0, 0.0);
            let mut vertices = vec![];
            for p in polygons {
                let ring = polygon_rings(p).ok_or_else(bad)?;
                if let Some((a, cx, cy)) = ring_centroid(&ring) {
                    area += a.abs();
                    x += cx * a.abs();
                    y += cy * a.abs();
                }
                vertices.extend(ring);
            }
            if area > 0.0 {
                Ok((x / area, y / area))
            } else {
                mean(&vertices).ok_or_else(bad)
            }
        }
        "GeometryCollection" => {
            let parts = geometry
                .get("geometries")
                .and_then(Value::as_array)
                .ok_or("a GeometryCollection needs `geometries`")?;
            let points = parts.iter().map(representative_point).collect::<Result<Vec<_>, _>>()?;
            mean(&points).ok_or_else(|| "empty GeometryCollection".to_owned())
        }
        other => Err(format!("unknown geometry type `{other}`")),
    }
}

impl GeoJsonSource {
    pub fn open(path: &Path) -> Result<GeoJsonSource, IngestError> {
        let file = label(path);
        let mut properties: Vec<String> = vec![];
        for_each_feature(path, &file, &mut |_, feature| {
            if let Some(props) = feature.get("properties").and_then(Value::as_object) {
                for key in props.keys() {
                    if !properties.contains(key) {
                        properties.push(key.clone());
                    }
                }
            }
            Ok(())
        })?;
        // Properties named like the derived fields are replaced by the geometry's values.
        properties.retain(|p| p != POINT_FIELD && p != SHAPE_FIELD);
        let mut headers = properties.clone();
        headers.extend([POINT_FIELD.to_owned(), SHAPE_FIELD.to_owned()]);
        Ok(GeoJsonSource { path: path.to_owned(), file, properties, headers })
    }
}

impl RowSource for GeoJsonSource {
    fn headers(&self) -> &[String] {
        &self.headers
    }

    fn declared_types(&self) -> Vec<(usize, portail_core::FieldType)> {
        let n = self.headers.len();
        vec![(n - 2, portail_core::FieldType::GeoPoint2d), (n - 1, portail_core::FieldType::GeoShape)]
    }

    fn scan(&mut self, f: &mut RowFn<'_>) -> Result<(), IngestError> {
        let (file, properties, width) = (self.file.clone(), self.properties.clone(), self.headers.len());
        for_each_feature(&self.path, &self.file, &mut |n, feature| {
            if feature.get("type").and_then(Value::as_str) != Some("Feature") {
                return Err(IngestError::at(&file, format!("feature {n}"), "not a GeoJSON Feature"));
            }
            let props = feature.get("properties").and_then(Value::as_object);
            let mut texts: Vec<String> =
                properties.iter().map(|k| props.and_then(|p| p.get(k)).map(value_text).unwrap_or_default()).collect();
            let (point, shape) = match feature.get("geometry") {
                None | Some(Value::Null) => (String::new(), String::new()),
                Some(geometry) => {
                    let (lon, lat) = representative_point(geometry).map_err(|reason| {
                        IngestError::at(&file, format!("feature {n}"), format!("invalid geometry: {reason}"))
                    })?;
                    (format!("{lat},{lon}"), geometry.to_string())
                }
            };
            texts.resize(width, String::new());
            texts[width - 2] = point;
            texts[width - 1] = shape;
            let cells: Vec<&str> = texts.iter().map(String::as_str).collect();
            f(Position::Record(n), &cells)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn points_lines_and_polygons_have_a_representative_point() {
        assert_eq!(representative_point(&json!({"type": "Point", "coordinates": [2.35, 48.85]})), Ok((2.35, 48.85)));
        let square =
            json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0], [0.0, 0.0]]]});
        let (x, y) = representative_point(&square).unwrap();
        assert!((x - 1.0).abs() < 1e-9 && (y - 1.0).abs() < 1e-9);
        let line = json!({"type": "LineString", "coordinates": [[0.0, 0.0], [2.0, 4.0]]});
        assert_eq!(representative_point(&line), Ok((1.0, 2.0)));
        assert!(representative_point(&json!({"type": "Point", "coordinates": [200.0, 0.0]})).is_err());
        assert!(representative_point(&json!({"type": "Polygon", "coordinates": "x"})).is_err());
        assert!(representative_point(&json!({"type": "Circle"})).is_err());
    }
}
