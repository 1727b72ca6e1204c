//! Overrides, record ids, and the property that inferred types read back what was written.

use crate::*;
use portail_core::FieldOverride;
use proptest::prelude::*;

#[test]
fn publisher_overrides_change_types_and_labels() {
    let mut opts = ImportOptions::default();
    opts.overrides
        .insert("id".into(), FieldOverride { field_type: Some(FieldType::Text), label: Some("Identifiant".into()) });
    opts.overrides.insert("commune".into(), FieldOverride { field_type: Some(FieldType::Int), label: None });
    let d = run(&fixture("equipements.csv"), &opts).unwrap();
    let id = d.report.schema.field("id").unwrap();
    assert_eq!((id.field_type, id.label.as_str()), (FieldType::Text, "Identifiant"));
    assert_eq!(d.text("id", 0).as_deref(), Some("1"));
    assert_eq!(d.int("commune", 0), None, "unreadable values become empty");
    assert!(
        d.report
            .warnings
            .iter()
            .any(|w| w.contains("`commune`: 4 value(s) could not be read as int") && w.contains("line 2")),
        "{:?}",
        d.report.warnings
    );
}

#[test]
fn record_ids_are_stable_across_imports_and_differ_between_rows() {
    let a = run_ok("equipements.csv");
    let b = run_ok("equipements.csv");
    let ids: Vec<String> = (0..4).map(|r| a.text("_record_id", r).unwrap()).collect();
    assert_eq!(ids, (0..4).map(|r| b.text("_record_id", r).unwrap()).collect::<Vec<_>>());
    assert!(ids.iter().all(|i| i.len() == 40 && i.bytes().all(|c| c.is_ascii_hexdigit())));
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), 4);
}

#[derive(Debug, Clone)]
enum Cell {
    Int(i64),
    Double(f64),
    Date(i32),
    Text(String),
}

fn column() -> impl Strategy<Value = Vec<Cell>> {
    prop_oneof![
        prop::collection::vec(any::<i64>().prop_map(Cell::Int), 1..20),
        prop::collection::vec((-1e9f64..1e9).prop_map(Cell::Double), 1..20),
        prop::collection::vec((0i32..40_000).prop_map(Cell::Date), 1..20),
        prop::collection::vec("[a-zA-Zéèà ]{1,12}".prop_map(Cell::Text), 1..20),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever inference decides, conversion reads every value back (no value lost to a type).
    #[test]
    fn inferred_columns_read_back_what_was_written(col in column(), comma in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.csv");
        let mut text = String::from("v;k\n");
        for (i, c) in col.iter().enumerate() {
            let v = match c {
                Cell::Int(n) => n.to_string(),
                Cell::Double(x) if comma => format!("{x}").replace('.', ","),
                Cell::Double(x) => format!("{x}"),
                Cell::Date(d) => portail_ingest::values::format_date(*d),
                Cell::Text(s) => s.trim().to_owned(),
            };
            text.push_str(&format!("{v};{i}\n"));
        }
        std::fs::write(&path, text).unwrap();
        let d = run(&path, &ImportOptions::default()).unwrap();
        prop_assert!(d.report.warnings.iter().all(|w| !w.contains("could not be read")), "{:?}", d.report.warnings);
        for (row, c) in col.iter().enumerate() {
            match (c, d.report.schema.fields[0].field_type) {
                (Cell::Int(n), FieldType::Int) => prop_assert_eq!(d.int("v", row), Some(*n)),
                (Cell::Double(x), FieldType::Double) => prop_assert_eq!(d.double("v", row), Some(*x)),
                (Cell::Int(n), FieldType::Double) => prop_assert_eq!(d.double("v", row), Some(*n as f64)),
                (Cell::Date(x), FieldType::Date) => prop_assert_eq!(d.date("v", row), Some(portail_ingest::values::format_date(*x))),
                (Cell::Text(s), FieldType::Text) => prop_assert_eq!(d.text("v", row).unwrap_or_default(), s.trim().to_owned()),
                (_, FieldType::Text) => prop_assert!(d.text("v", row).is_some()),
                (c, t) => prop_assert!(false, "{:?} inferred as {}", c, t),
            }
        }
    }
}
