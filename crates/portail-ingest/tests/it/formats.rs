use crate::*;
use portail_core::FieldType::*;
use portail_ingest::SourceOptions;

fn t(pairs: &[(&str, FieldType)]) -> Vec<(String, FieldType)> {
    pairs.iter().map(|(n, t)| (n.to_string(), *t)).collect()
}

#[test]
fn utf8_csv_with_bom_semicolons_quotes_and_geo_points() {
    let d = run_ok("equipements.csv");
    assert_eq!(
        d.types(),
        t(&[
            ("id", Int),
            ("commune", Text),
            ("categorie", Text),
            ("capacite", Int),
            ("montant", Double),
            ("date_d_ouverture", Date),
            ("mis_a_jour", Datetime),
            ("geo_point_2d", GeoPoint2d),
            ("description", Text)
        ])
    );
    assert_eq!(d.report.schema.fields[2].label, "Catégorie", "the original header is the label");
    assert_eq!(d.report.rows, 4);
    assert_eq!(d.callback_rows, 4);
    assert_eq!(d.text("commune", 2).as_deref(), Some("L'Haÿ-les-Roses"));
    assert_eq!(d.text("description", 1).as_deref(), Some("Piscine; bassin \"olympique\"\nouverte l'été"));
    assert_eq!(d.double("montant", 1), None);
    assert_eq!(d.double("montant", 2), Some(999_999.99));
    assert_eq!(d.int("capacite", 3), None);
    assert_eq!(d.date("date_d_ouverture", 3).as_deref(), Some("2016-02-29"));
    assert_eq!(d.micros("mis_a_jour", 1), Some(utc_micros(2019, 12, 31, 23, 0, 0)), "+01:00 is converted to UTC");
    assert_eq!(d.point("geo_point_2d", 0), Some((45.36, 0.65)));
    assert_eq!(d.point("geo_point_2d", 3), None);
    assert_eq!(d.int("_row", 3), Some(4));
    assert_eq!(d.report.encoding.as_deref(), Some("UTF-8"));
}

#[test]
fn windows_1252_with_decimal_commas_and_french_dates() {
    let d = run_ok("budget_cp1252.csv");
    assert_eq!(d.report.encoding.as_deref(), Some("windows-1252"));
    assert_eq!(
        d.types(),
        t(&[("code_insee", Text), ("libelle", Text), ("montant", Double), ("date_de_vote", Date), ("taux", Double)])
    );
    assert_eq!(d.report.schema.fields[1].label, "Libellé");
    assert_eq!(d.report.schema.fields[2].label, "Montant (€)");
    assert_eq!(d.text("code_insee", 0).as_deref(), Some("01001"), "codes keep their leading zeros");
    assert_eq!(d.text("libelle", 0).as_deref(), Some("L'Abergement-Clémenciat"));
    assert_eq!(d.double("montant", 0), Some(1234.56));
    assert_eq!(d.double("montant", 1), Some(-12.5));
    assert_eq!(d.date("date_de_vote", 0).as_deref(), Some("2024-03-05"));
    assert_eq!(d.double("taux", 1), Some(12.0));
    assert_eq!(d.double("taux", 2), None);
}

#[test]
fn comma_csv_with_a_latitude_longitude_pair() {
    let d = run_ok("ecoles.csv");
    assert_eq!(
        d.types(),
        t(&[
            ("nom", Text),
            ("type", Text),
            ("latitude", Double),
            ("longitude", Double),
            ("effectif", Int),
            ("ouverte", Boolean),
            ("geo_point_2d", GeoPoint2d)
        ])
    );
    assert_eq!(d.text("nom", 0).as_deref(), Some("École Jean-Jaurès, annexe"));
    assert_eq!(d.point("geo_point_2d", 1), Some((45.764, 4.8357)));
    assert_eq!(d.boolean("ouverte", 1), Some(true));
    assert_eq!(d.int("effectif", 2), None);
}

#[test]
fn tab_separated_values() {
    let d = run_ok("stations.tsv");
    assert_eq!(d.types(), t(&[("station", Text), ("pm10", Double), ("mesure", Datetime)]));
    assert_eq!(d.double("pm10", 1), Some(33.0));
    assert_eq!(d.micros("mesure", 0), Some(utc_micros(2024, 5, 1, 10, 0, 0)));
}

#[test]
fn json_arrays_keep_key_order_and_nested_values_as_text() {
    let d = run_ok("evenements.json");
    assert_eq!(
        d.types(),
        t(&[("titre", Text), ("date", Date), ("gratuit", Boolean), ("places", Int), ("tags", Text), ("lieu", Text)])
    );
    assert_eq!(d.text("tags", 0).as_deref(), Some("[\"musique\",\"été\"]"));
    assert_eq!(d.text("lieu", 1).as_deref(), Some("{\"nom\":\"Place de la Mairie\"}"));
    assert_eq!(d.int("places", 2), None);
    assert_eq!(d.boolean("gratuit", 2), None);
}

#[test]
fn json_lines() {
    let d = run_ok("capteurs.jsonl");
    assert_eq!(d.types(), t(&[("capteur", Text), ("no2", Double), ("ts", Datetime)]));
    assert_eq!(d.report.rows, 2);
    assert_eq!(d.double("no2", 1), Some(17.0));
}

#[test]
fn geojson_features_give_a_shape_and_a_point() {
    let d = run_ok("parcs.geojson");
    assert_eq!(
        d.types(),
        t(&[("nom", Text), ("surface_ha", Double), ("geo_point_2d", GeoPoint2d), ("geo_shape", GeoShape)])
    );
    let (lat, lon) = d.point("geo_point_2d", 0).unwrap();
    assert!((lat - 48.01).abs() < 1e-9 && (lon - 2.01).abs() < 1e-9, "polygon centroid");
    assert_eq!(d.point("geo_point_2d", 1), Some((48.8417, 2.4167)));
    assert_eq!(d.point("geo_point_2d", 2), None);
    assert!(d.text("geo_shape", 0).unwrap().starts_with("{\"type\":\"Polygon\",\"coordinates\":[[[2.0,48.0]"));
    assert_eq!(d.text("geo_shape", 2), None);
}

fn write_xlsx(path: &std::path::Path) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let ws = wb.add_worksheet().set_name("Notes").unwrap();
    ws.write_string(0, 0, "ignored first sheet").unwrap();
    let ws = wb.add_worksheet().set_name("Qualité de l'air").unwrap();
    for (c, h) in ["Station", "NO2 (µg/m³)", "Jour", "Alerte"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let rows = [("Centre", 41.5, (2024, 1, 2), false), ("Périphérique", 77.0, (2024, 1, 3), true)];
    for (r, (s, v, (y, m, d), alert)) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_string(r, 0, *s).unwrap();
        ws.write_number(r, 1, *v).unwrap();
        ws.write_datetime_with_format(r, 2, ExcelDateTime::from_ymd(*y, *m, *d).unwrap(), &date).unwrap();
        ws.write_boolean(r, 3, *alert).unwrap();
    }
    wb.save(path).unwrap();
}

#[test]
fn xlsx_first_or_named_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("air.xlsx");
    write_xlsx(&path);
    let first = run(&path, &ImportOptions::default()).unwrap();
    assert_eq!(first.report.rows, 0, "the first sheet has only a header");
    let opts = ImportOptions {
        source: SourceOptions { sheet: Some("Qualité de l'air".into()), ..Default::default() },
        ..Default::default()
    };
    let d = run(&path, &opts).unwrap();
    assert_eq!(d.types(), t(&[("station", Text), ("no2_g_m", Double), ("jour", Date), ("alerte", Boolean)]));
    assert_eq!(d.report.schema.fields[1].label, "NO2 (µg/m³)");
    assert_eq!(d.date("jour", 1).as_deref(), Some("2024-01-03"));
    assert_eq!(d.double("no2_g_m", 1), Some(77.0));
    let opts = ImportOptions {
        source: SourceOptions { sheet: Some("Nope".into()), ..Default::default() },
        ..Default::default()
    };
    let err = run(&path, &opts).err().unwrap().to_string();
    assert!(err.contains("no sheet named `Nope`") && err.contains("Notes"), "{err}");
}

#[test]
fn ods_and_xls_spreadsheets() {
    let d = run_ok("effectifs.ods");
    assert_eq!(d.types(), t(&[("etablissement", Text), ("eleves", Int), ("rentree", Date)]));
    assert_eq!(d.int("eleves", 1), Some(1204));
    assert_eq!(d.date("rentree", 0).as_deref(), Some("2024-09-02"));
    let d = run_ok("subventions.xls");
    assert_eq!(d.types(), t(&[("association", Text), ("montant", Double), ("date", Date)]));
    assert_eq!(d.double("montant", 0), Some(1500.5));
    assert_eq!(d.date("date", 1).as_deref(), Some("2024-03-15"));
}

#[test]
fn explicit_delimiter_and_encoding_win_over_detection() {
    let opts =
        ImportOptions { source: SourceOptions { delimiter: Some(b';'), ..Default::default() }, ..Default::default() };
    let d = run(&fixture("ecoles.csv"), &opts).unwrap();
    assert_eq!(d.report.schema.fields.len(), 1, "the comma file read with `;` has one field");
    let opts = ImportOptions {
        source: SourceOptions { encoding: Some("iso-8859-1".into()), ..Default::default() },
        ..Default::default()
    };
    let d = run(&fixture("latin1_declared_utf8.csv"), &opts).unwrap();
    assert_eq!(d.text("ville", 1).as_deref(), Some("Orléans"));
}
