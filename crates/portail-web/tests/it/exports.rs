//! The geographic export formats (Shapefile, KML, GPX), read back with independent readers, and
//! the options every export shares (`compressed`, `quote_all`, `epsg`).

use crate::api::{json, with_datasets};
use crate::support::*;
use serde_json::Value;
use shapefile::dbase::{self, FieldValue};
use shapefile::{Shape, ShapeReader};
use std::io::{Cursor, Read};

const EQUIPEMENTS: &str = "/api/explore/v2.1/catalog/datasets/equipements/exports";
const PARCS: &str = "/api/explore/v2.1/catalog/datasets/parcs/exports";

/// The files of a zipped shapefile, by extension.
fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut files = std::collections::BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).expect("a zip entry");
        let mut content = vec![];
        file.read_to_end(&mut content).unwrap();
        let name = file.name().unwrap().into_owned();
        files.insert(name, content);
    }
    files
}

/// Shapes and attribute rows of a shapefile, read with the `shapefile` and `dbase` crates
/// (the `.shx` index is used to find every shape).
fn read_shapefile(files: &std::collections::BTreeMap<String, Vec<u8>>, name: &str) -> Vec<(Shape, dbase::Record)> {
    let shapes = ShapeReader::with_shx(
        Cursor::new(files[&format!("{name}.shp")].clone()),
        Cursor::new(files[&format!("{name}.shx")].clone()),
    )
    .unwrap();
    let table =
        dbase::Reader::new_with_encoding(Cursor::new(files[&format!("{name}.dbf")].clone()), dbase::Unicode).unwrap();
    shapefile::Reader::new(shapes, table).read().unwrap()
}

fn text(record: &dbase::Record, field: &str) -> Option<String> {
    match record.get(field) {
        Some(FieldValue::Character(v)) => v.clone(),
        other => panic!("{field}: {other:?}"),
    }
}

fn number(record: &dbase::Record, field: &str) -> Option<f64> {
    match record.get(field) {
        Some(FieldValue::Numeric(v)) => *v,
        other => panic!("{field}: {other:?}"),
    }
}

#[tokio::test]
async fn a_point_dataset_exports_as_a_shapefile_of_points_with_its_fields() {
    let app = with_datasets().await;
    let r = app.get(ALPHA, &format!("{EQUIPEMENTS}/shp?order_by=id")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/zip"));
    assert!(r.header("content-disposition").unwrap().contains("equipements.zip"));
    let (_, bytes) = app.get_bytes(ALPHA, &format!("{EQUIPEMENTS}/shp?order_by=id")).await;
    let files = unzip(&bytes);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(names, ["equipements.cpg", "equipements.dbf", "equipements.prj", "equipements.shp", "equipements.shx"]);
    assert_eq!(files["equipements.cpg"], b"UTF-8");
    assert!(String::from_utf8_lossy(&files["equipements.prj"]).starts_with("GEOGCS[\"GCS_WGS_1984\""));

    let rows = read_shapefile(&files, "equipements");
    assert_eq!(rows.len(), 4);
    let Shape::Point(p) = &rows[0].0 else { panic!("not the expected shape type") };
    assert_eq!((p.x, p.y), (0.65, 45.36), "longitude first");
    let record = &rows[0].1;
    assert_eq!(text(record, "commune").as_deref(), Some("Brantôme"), "UTF-8 text, as the .cpg says");
    assert_eq!(number(record, "capacite"), Some(120.0));
    assert_eq!(number(record, "montant"), Some(1520.5));
    // Field names are cut to dBase's ten bytes.
    match record.get("date_d_ouv") {
        Some(FieldValue::Date(Some(d))) => assert_eq!((d.year(), d.month(), d.day()), (2015, 3, 2)),
        other => panic!("date_d_ouv: {other:?}"),
    }
    assert!(text(record, "descriptio").unwrap().starts_with("École élémentaire"));
    // A null number stays empty.
    assert_eq!(number(&rows[1].1, "montant"), None);

    // Filters apply; a dataset without geometry has no shapefile.
    let (_, bytes) = app.get_bytes(ALPHA, &format!("{EQUIPEMENTS}/shp?where=capacite%3E%3D100")).await;
    assert_eq!(read_shapefile(&unzip(&bytes), "equipements").len(), 2);
    let (status, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets/budget/exports/shp").await;
    assert_eq!(status, 400);
    assert!(v["message"].as_str().unwrap().contains("geo field"), "{v}");
}

#[tokio::test]
async fn a_shape_dataset_exports_polygons_clockwise_and_other_kinds_as_null_shapes() {
    let app = with_datasets().await;
    let (status, bytes) = app.get_bytes(BETA, &format!("{PARCS}/shp")).await;
    assert_eq!(status, 200);
    let rows = read_shapefile(&unzip(&bytes), "parcs");
    assert_eq!(rows.len(), 3);
    // The first geometry is a polygon, so the layer is one of polygons: the point and the
    // record without geometry get null shapes, their attributes kept.
    let Shape::Polygon(polygon) = &rows[0].0 else { panic!("not the expected shape type") };
    let ring = polygon.rings()[0].points();
    assert_eq!(ring.first(), ring.last(), "closed");
    let twice_area: f64 = ring.windows(2).map(|w| w[0].x * w[1].y - w[1].x * w[0].y).sum();
    assert!(twice_area < 0.0, "the outer ring is clockwise");
    assert!(matches!(rows[1].0, Shape::NullShape), "a null shape");
    assert!(matches!(rows[2].0, Shape::NullShape));
    assert_eq!(text(&rows[0].1, "nom").as_deref(), Some("Parc du Château"));
    assert_eq!(text(&rows[1].1, "nom").as_deref(), Some("Square Victor-Hugo"));
}

/// Attributes as (name, raw value): the values compared are numbers.
fn attributes(e: &quick_xml::events::BytesStart) -> Vec<(String, String)> {
    e.attributes()
        .map(|a| {
            let a = a.unwrap();
            (a.key.0.to_owned(), a.value.into_owned())
        })
        .collect()
}

/// Elements named `tag` in an XML document, with their attributes and text, parsed with
/// quick-xml (which fails on malformed XML).
pub(crate) fn elements(xml: &str, tag: &str) -> Vec<(Vec<(String, String)>, String)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut found = vec![];
    let mut open: Option<(Vec<(String, String)>, String)> = None;
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) if e.name().0 == tag => {
                let attrs = attributes(&e);
                open = Some((attrs, String::new()));
            }
            Event::Empty(e) if e.name().0 == tag => {
                let attrs = attributes(&e);
                found.push((attrs, String::new()));
            }
            Event::Text(t) => {
                if let Some((_, text)) = open.as_mut() {
                    text.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, text)) = open.as_mut() {
                    let name = r.into_inner();
                    text.push_str(match name.as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        other => panic!("entity {other}"),
                    });
                }
            }
            Event::End(e) if e.name().0 == tag => found.extend(open.take()),
            Event::Eof => break,
            _ => {}
        }
    }
    found
}

#[tokio::test]
async fn kml_has_one_placemark_per_record_with_its_geometry_and_data() {
    let app = with_datasets().await;
    let r = app.get(BETA, &format!("{PARCS}/kml")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/vnd.google-earth.kml+xml; charset=utf-8"));
    assert!(r.header("content-disposition").unwrap().contains("parcs.kml"));
    assert!(r
        .body
        .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">"));
    assert_eq!(elements(&r.body, "Placemark").len(), 3);
    assert_eq!(elements(&r.body, "Polygon").len(), 1);
    let points = elements(&r.body, "Point");
    assert_eq!(points.len(), 1);
    let values: Vec<String> = elements(&r.body, "value").into_iter().map(|(_, t)| t).collect();
    assert!(values.contains(&"Parc du Château".to_owned()), "{values:?}");
    let coordinates = elements(&r.body, "coordinates");
    let ring: Vec<&str> = coordinates[0].1.split(' ').collect();
    assert!(ring.len() >= 4 && ring[0].split(',').count() == 2, "lon,lat pairs: {ring:?}");

    // Points with text that needs escaping.
    let r = app.get(ALPHA, &format!("{EQUIPEMENTS}/kml?order_by=id")).await;
    let points = elements(&r.body, "coordinates");
    assert_eq!(points[0].1, "0.65,45.36");
    let values: Vec<String> = elements(&r.body, "value").into_iter().map(|(_, t)| t).collect();
    assert!(values.iter().any(|v| v.contains("bassin \"olympique\"")), "{values:?}");
}

#[tokio::test]
async fn gpx_writes_waypoints_named_and_described_as_asked() {
    let app = with_datasets().await;
    let r = app.get(ALPHA, &format!("{EQUIPEMENTS}/gpx?order_by=id&name_field=commune")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/gpx+xml; charset=utf-8"));
    assert!(r.body.contains("<gpx version=\"1.1\" creator=\"portail\" xmlns=\"http://www.topografix.com/GPX/1/1\""));
    let waypoints = elements(&r.body, "wpt");
    assert_eq!(waypoints.len(), 3, "record 4 has no position, so no place in GPX");
    assert_eq!(waypoints[0].0, [("lat".to_owned(), "45.36".to_owned()), ("lon".to_owned(), "0.65".to_owned())]);
    let names: Vec<String> = elements(&r.body, "name").into_iter().map(|(_, t)| t).collect();
    assert_eq!(names[0], "Brantôme");
    // use_extension (v2.1's default): fields as GDAL-style extension elements.
    assert_eq!(elements(&r.body, "ogr:capacite")[0].1, "120");
    assert!(elements(&r.body, "desc").is_empty());

    // Without extensions, fields are `name: value` lines of the description.
    let r = app.get(ALPHA, &format!("{EQUIPEMENTS}/gpx?order_by=id&use_extension=false")).await;
    assert!(elements(&r.body, "ogr:capacite").is_empty());
    let desc = &elements(&r.body, "desc")[0].1;
    assert!(desc.contains("commune: Brantôme\n") && desc.contains("capacite: 120"), "{desc}");
    // Or only the fields listed.
    let r =
        app.get(ALPHA, &format!("{EQUIPEMENTS}/gpx?order_by=id&description_field_list=categorie,%20capacite")).await;
    assert_eq!(elements(&r.body, "desc")[0].1, "categorie: Éducation\ncapacite: 120");

    // Shapes become tracks, one segment per ring; records without geometry are left out.
    let r = app.get(BETA, &format!("{PARCS}/gpx")).await;
    assert_eq!(elements(&r.body, "trk").len(), 1);
    assert!(!elements(&r.body, "trkpt").is_empty());
    assert_eq!(elements(&r.body, "wpt").len(), 1);

    let (status, v, _) = json(&app, ALPHA, &format!("{EQUIPEMENTS}/gpx?name_field=nope")).await;
    assert_eq!(status, 400);
    assert!(v["message"].as_str().unwrap().contains("nope"), "{v}");
}

#[tokio::test]
async fn compressed_quote_all_and_epsg_apply_to_exports() {
    use flate2::read::GzDecoder;
    let app = with_datasets().await;
    let plain = app.get(ALPHA, &format!("{EQUIPEMENTS}/csv?order_by=id")).await;
    let r = app.get(ALPHA, &format!("{EQUIPEMENTS}/csv?order_by=id&compressed=true")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/gzip"));
    assert!(r.header("content-disposition").unwrap().contains("equipements.csv.gz"));
    let (_, bytes) = app.get_bytes(ALPHA, &format!("{EQUIPEMENTS}/csv?order_by=id&compressed=true")).await;
    let mut unzipped = String::new();
    GzDecoder::new(&bytes[..]).read_to_string(&mut unzipped).unwrap();
    assert_eq!(unzipped, plain.body);

    let r =
        app.get(ALPHA, &format!("{EQUIPEMENTS}/csv?select=id,commune&order_by=id&quote_all=true&with_bom=false")).await;
    let lines: Vec<&str> = r.body.lines().collect();
    assert_eq!(lines[..2], ["\"id\";\"commune\"", "\"1\";\"Brantôme\""]);

    assert_eq!(app.get(ALPHA, &format!("{EQUIPEMENTS}/geojson?epsg=4326")).await.status, 200);
    let (status, v, _) = json(&app, ALPHA, &format!("{EQUIPEMENTS}/geojson?epsg=27700")).await;
    assert_eq!(status, 400);
    assert!(v["message"].as_str().unwrap().contains("3942 to 3950 (CC42 to CC50)"), "{v}");
    assert!(v["message"].as_str().unwrap().contains("27571 to 27574 (NTF Lambert zones)"), "{v}");
}

#[tokio::test]
async fn geojson_and_shapefiles_are_written_in_lambert_93_or_web_mercator_on_request() {
    use portail_query::Crs;
    let app = with_datasets().await;
    // Brantôme (0.65 E, 45.36 N), the first record, projected.
    let expected = |crs: Crs| crs.project(geo::Coord { x: 0.65, y: 45.36 });
    let lambert = expected(Crs::Lambert93);
    assert!((100_000.0..1_300_000.0).contains(&lambert.x) && (6_000_000.0..7_200_000.0).contains(&lambert.y));
    let (status, v, _) = json(&app, ALPHA, &format!("{EQUIPEMENTS}/geojson?order_by=id&epsg=2154")).await;
    assert_eq!(status, 200);
    assert_eq!(v["crs"]["properties"]["name"], "urn:ogc:def:crs:EPSG::2154");
    assert_eq!(v["features"][0]["geometry"]["coordinates"], serde_json::json!([lambert.x, lambert.y]));
    assert_eq!(v["features"][3]["geometry"], Value::Null, "no position stays no geometry");
    let (_, v, _) = json(&app, ALPHA, &format!("{EQUIPEMENTS}/geojson?order_by=id&epsg=3857")).await;
    let mercator = expected(Crs::WebMercator);
    assert_eq!(v["features"][0]["geometry"]["coordinates"], serde_json::json!([mercator.x, mercator.y]));
    let (_, v, _) = json(&app, ALPHA, &format!("{EQUIPEMENTS}/geojson?order_by=id")).await;
    assert!(v.get("crs").is_none(), "RFC 7946: WGS 84 without a crs member");

    // A shapefile in Lambert-93 says so in its .prj; shapes too.
    let (_, bytes) = app.get_bytes(ALPHA, &format!("{EQUIPEMENTS}/shp?order_by=id&epsg=2154")).await;
    let files = unzip(&bytes);
    assert!(String::from_utf8_lossy(&files["equipements.prj"]).starts_with("PROJCS[\"RGF_1993_Lambert_93\""));
    let rows = read_shapefile(&files, "equipements");
    let Shape::Point(p) = &rows[0].0 else { panic!("not a point") };
    assert_eq!((p.x, p.y), (lambert.x, lambert.y));
    // The conic conformal zones and UTM too.
    let (_, v, _) = json(&app, ALPHA, &format!("{EQUIPEMENTS}/geojson?order_by=id&epsg=3945")).await;
    assert_eq!(v["crs"]["properties"]["name"], "urn:ogc:def:crs:EPSG::3945");
    let cc45 = expected(Crs::from_epsg(3945).unwrap());
    assert_eq!(v["features"][0]["geometry"]["coordinates"], serde_json::json!([cc45.x, cc45.y]));
    let (_, bytes) = app.get_bytes(ALPHA, &format!("{EQUIPEMENTS}/shp?order_by=id&epsg=32631")).await;
    let files = unzip(&bytes);
    assert!(String::from_utf8_lossy(&files["equipements.prj"]).starts_with("PROJCS[\"WGS_1984_UTM_Zone_31N\""));
    // Lambert II étendu, on the NTF datum: the shapefile says so, the GeoJSON names its code.
    let (_, v, _) = json(&app, ALPHA, &format!("{EQUIPEMENTS}/geojson?order_by=id&epsg=27572")).await;
    assert_eq!(v["crs"]["properties"]["name"], "urn:ogc:def:crs:EPSG::27572");
    let zone2 = expected(Crs::from_epsg(27572).unwrap());
    assert_eq!(v["features"][0]["geometry"]["coordinates"], serde_json::json!([zone2.x, zone2.y]));
    let (_, bytes) = app.get_bytes(ALPHA, &format!("{EQUIPEMENTS}/shp?order_by=id&epsg=27572")).await;
    let prj = String::from_utf8_lossy(&unzip(&bytes)["equipements.prj"]).into_owned();
    assert!(prj.starts_with("PROJCS[\"NTF_Paris_Lambert_Zone_II\"") && prj.contains("PRIMEM[\"Paris\""), "{prj}");
    // Polygons keep their rings through the projection.
    let (_, bytes) = app.get_bytes(BETA, &format!("{PARCS}/shp?epsg=2154")).await;
    let rows = read_shapefile(&unzip(&bytes), "parcs");
    let Shape::Polygon(polygon) = &rows[0].0 else { panic!("not a polygon") };
    assert!(polygon.rings()[0].points().iter().all(|p| p.x > 100_000.0 && p.y > 6_000_000.0));
}

/// A geometry as short WKT, enough to compare: `POINT(x y)`, `POLYGON((x y,…))`, or its kind.
fn wkt(g: &geo::Geometry) -> String {
    let coords = |c: &[geo::Coord]| c.iter().map(|c| format!("{} {}", c.x, c.y)).collect::<Vec<_>>().join(",");
    match g {
        geo::Geometry::Point(p) => format!("POINT({} {})", p.x(), p.y()),
        geo::Geometry::Polygon(p) => format!("POLYGON(({}))", coords(&p.exterior().0)),
        other => format!("{other:?}"),
    }
}

/// A feature as read back: its geometry as short WKT and the asked properties as text.
type FgbFeature = (String, Vec<Option<String>>);

/// Every feature of a FlatGeobuf file, read with the `flatgeobuf` crate: geometry as WKT and
/// the named properties as text (absent ones as `None`).
fn read_fgb(bytes: &[u8], properties: &[&str]) -> (flatgeobuf::GeometryType, Option<i32>, Vec<FgbFeature>) {
    use flatgeobuf::{FallibleStreamingIterator, FeatureProperties};
    use geozero::ToGeo;
    let reader = flatgeobuf::FgbReader::open(std::io::Cursor::new(bytes))
        .unwrap_or_else(|e| panic!("not a FlatGeobuf file ({e}): {:?}", &bytes[..bytes.len().min(120)]));
    let header = reader.header();
    let (kind, epsg) = (header.geometry_type(), header.crs().map(|c| c.code()));
    let mut features = reader.select_all().unwrap();
    let mut out = vec![];
    while let Some(f) = features.next().unwrap() {
        let values = properties.iter().map(|p| f.property::<String>(p).ok()).collect();
        out.push((wkt(&f.to_geo().unwrap()), values));
    }
    (kind, epsg, out)
}

#[tokio::test]
async fn flatgeobuf_holds_the_geometries_with_typed_fields_in_the_asked_system() {
    let app = with_datasets().await;
    let r = app.get(ALPHA, &format!("{EQUIPEMENTS}/fgb?order_by=id")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/flatgeobuf"));
    assert!(r.header("content-disposition").unwrap().contains("equipements.fgb"));
    let (_, bytes) = app.get_bytes(ALPHA, &format!("{EQUIPEMENTS}/fgb?order_by=id")).await;
    let (kind, epsg, features) = read_fgb(&bytes, &["commune", "date_d_ouverture"]);
    assert_eq!((kind, epsg), (flatgeobuf::GeometryType::Point, Some(4326)));
    assert_eq!(features.len(), 3, "the record without a position is left out");
    let mut wkts: Vec<&str> = features.iter().map(|(w, _)| w.as_str()).collect();
    wkts.sort();
    assert_eq!(wkts, ["POINT(0.65 45.36)", "POINT(2.34 48.78)", "POINT(4.39 45.43)"], "longitude first");
    let brantome = features.iter().find(|(w, _)| w == "POINT(0.65 45.36)").unwrap();
    assert_eq!(brantome.1, [Some("Brantôme".to_owned()), Some("2015-03-02".to_owned())]);
    // Numbers are typed columns, nulls absent.
    let reader = flatgeobuf::FgbReader::open(std::io::Cursor::new(&bytes[..])).unwrap();
    let columns: Vec<(String, flatgeobuf::ColumnType)> =
        reader.header().columns().unwrap().iter().map(|c| (c.name().to_owned(), c.type_())).collect();
    assert!(columns.contains(&("capacite".into(), flatgeobuf::ColumnType::Long)), "{columns:?}");
    assert!(columns.contains(&("montant".into(), flatgeobuf::ColumnType::Double)));
    let mut all = reader.select_all().unwrap();
    use flatgeobuf::{FallibleStreamingIterator, FeatureProperties};
    let mut capacities = vec![];
    while let Some(f) = all.next().unwrap() {
        capacities.push((f.property::<i64>("capacite").ok(), f.property::<f64>("montant").ok()));
    }
    capacities.sort_by_key(|c| c.0);
    assert_eq!(capacities, [(Some(0), None), (Some(120), Some(1520.5)), (Some(45000), Some(999999.99))]);

    // Polygons and points of a shape dataset in Lambert-93; a dataset without geometry has none.
    let (_, bytes) = app.get_bytes(BETA, &format!("{PARCS}/fgb?epsg=2154")).await;
    let (kind, epsg, features) = read_fgb(&bytes, &["nom"]);
    assert_eq!((kind, epsg), (flatgeobuf::GeometryType::Unknown, Some(2154)), "a polygon and a point");
    assert_eq!(features.len(), 2);
    // The spatial index orders features along its curve, not as the records came.
    let polygon = features.iter().find(|(w, _)| w.starts_with("POLYGON((")).expect("the park's polygon");
    assert!(!polygon.0.contains("48.0") && polygon.0.contains("6"), "projected: {}", polygon.0);
    assert_eq!(polygon.1, [Some("Parc du Château".to_owned())]);
    let (status, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets/budget/exports/fgb").await;
    assert_eq!(status, 400);
    assert!(v["message"].as_str().unwrap().contains("geo field"), "{v}");
}

/// The records of a TomTom OV2 file: (type, longitude × 100,000, latitude × 100,000, name bytes).
fn read_ov2(mut bytes: &[u8]) -> Vec<(u8, i32, i32, Vec<u8>)> {
    let mut out = vec![];
    while !bytes.is_empty() {
        let length = u32::from_le_bytes(bytes[1..5].try_into().unwrap()) as usize;
        let record = &bytes[..length];
        let int = |at: usize| i32::from_le_bytes(record[at..at + 4].try_into().unwrap());
        assert_eq!(*record.last().unwrap(), 0, "names end with a zero byte");
        out.push((record[0], int(5), int(9), record[13..length - 1].to_vec()));
        bytes = &bytes[length..];
    }
    out
}

#[tokio::test]
async fn ov2_has_one_point_of_interest_per_located_record() {
    let app = with_datasets().await;
    let r = app.get(ALPHA, &format!("{EQUIPEMENTS}/ov2?order_by=id&name_field=commune")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("content-disposition").unwrap().contains("equipements.ov2"));
    let (_, bytes) = app.get_bytes(ALPHA, &format!("{EQUIPEMENTS}/ov2?order_by=id&name_field=commune")).await;
    let pois = read_ov2(&bytes);
    assert_eq!(pois.len(), 3, "the record without a position is left out");
    assert_eq!(pois[0], (2, 65_000, 4_536_000, b"Brant\xf4me".to_vec()), "Windows-1252, longitude first");
    // The first text field names points by default; shapes are placed at their centroid.
    let (_, bytes) = app.get_bytes(BETA, &format!("{PARCS}/ov2")).await;
    let pois = read_ov2(&bytes);
    assert_eq!(pois.len(), 2);
    let park = pois.iter().find(|p| p.3.starts_with(b"Parc")).expect("the park");
    assert_eq!((park.1, park.2), (201_000, 4_801_000), "the square's centre");
    let (status, v, _) = json(&app, ALPHA, &format!("{EQUIPEMENTS}/ov2?name_field=nope")).await;
    assert_eq!(status, 400);
    assert!(v["message"].as_str().unwrap().contains("name_field"), "{v}");
}

#[tokio::test]
async fn ical_has_one_event_per_dated_record() {
    let app = with_datasets().await;
    let r = app.get(ALPHA, &format!("{EQUIPEMENTS}/ical?order_by=id")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("text/calendar; charset=utf-8"));
    assert!(r.header("content-disposition").unwrap().contains("equipements.ics"));
    let text = r.body.replace("\r\n ", "");
    assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") && text.ends_with("END:VCALENDAR\r\n"));
    assert!(r.body.split("\r\n").all(|l| l.len() <= 75), "lines folded at 75 octets");
    let events: Vec<&str> = text.split("BEGIN:VEVENT\r\n").skip(1).collect();
    assert_eq!(events.len(), 4);
    // The opening date starts an all-day event; the commune is its summary; the rest describes it.
    let first = events[0];
    assert!(first.contains("DTSTART;VALUE=DATE:20150302\r\n") && first.contains("SUMMARY:Brantôme\r\n"), "{first}");
    assert!(first.contains("DESCRIPTION:id: 1\\ncategorie: Éducation\\ncapacite: 120"), "{first}");
    assert!(first.starts_with("UID:") && first.contains("\r\nDTSTAMP:"), "{first}");
    // The same record keeps its identifier from one export to the next.
    let uid = |t: &str| t.split("UID:").nth(1).unwrap().split("\r\n").next().unwrap().to_owned();
    let again = app.get(ALPHA, &format!("{EQUIPEMENTS}/ical?order_by=id")).await.body.replace("\r\n ", "");
    assert_eq!(uid(first), uid(again.split("BEGIN:VEVENT\r\n").nth(1).unwrap()));
    let (status, v, _) = json(&app, BETA, &format!("{PARCS}/ical")).await;
    assert_eq!(status, 400);
    assert!(v["message"].as_str().unwrap().contains("date"), "{v}");
}

#[tokio::test]
async fn geographic_formats_are_offered_only_for_datasets_with_geometry() {
    let app = with_datasets().await;
    let rels = |v: &Value| -> Vec<String> {
        v["links"].as_array().unwrap().iter().map(|l| l["rel"].as_str().unwrap().to_owned()).collect()
    };
    let (_, v, _) = json(&app, ALPHA, EQUIPEMENTS).await;
    assert_eq!(
        rels(&v),
        [
            "self", "csv", "json", "jsonl", "geojson", "kml", "gpx", "shp", "fgb", "ov2", "ical", "parquet", "xlsx",
            "jsonld", "rdfxml", "turtle", "n3"
        ]
    );
    let (_, v, _) = json(&app, ALPHA, "/api/explore/v2.1/catalog/datasets/budget/exports").await;
    let rdf = ["jsonld", "rdfxml", "turtle", "n3"];
    assert_eq!(
        rels(&v),
        [&["self", "csv", "json", "jsonl", "ical", "parquet", "xlsx"][..], &rdf].concat(),
        "a date, no geometry"
    );
    let (_, v, _) = json(&app, BETA, "/api/explore/v2.1/catalog/datasets/parcs/exports").await;
    assert!(!rels(&v).contains(&"ical".to_owned()), "no date, no calendar: {v}");
    // The DCAT catalog export advertises the shapefile data.gouv.fr asks for.
    let r = app.get(ALPHA, "/api/explore/v2.1/catalog/exports/dcat?include_exports=json,csv,shp,geojson").await;
    assert!(r.body.contains("/catalog/datasets/equipements/exports/shp"), "{}", r.body);
    assert!(!r.body.contains("/catalog/datasets/budget/exports/shp"));
    // The front-office download URL serves it too.
    let (status, bytes) = app.get_bytes(ALPHA, "/explore/dataset/equipements/download/?format=shp").await;
    assert_eq!(status, 200);
    assert_eq!(read_shapefile(&unzip(&bytes), "equipements").len(), 4);
}
