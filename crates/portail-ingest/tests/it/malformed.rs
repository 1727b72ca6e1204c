use crate::*;
use portail_ingest::SourceOptions;
use std::io::Write;

fn error_of(path: &Path, options: &ImportOptions) -> String {
    match run(path, options) {
        Ok(_) => panic!("{} was accepted", path.display()),
        Err(e) => {
            assert!(e.is_user_error(), "{e}");
            let text = e.to_string();
            assert_eq!(text.lines().count(), 1, "one-line reason: {text}");
            text
        }
    }
}

#[test]
fn ragged_rows_are_refused_with_their_lines_unless_lenient() {
    let err = error_of(&fixture("ragged.csv"), &ImportOptions::default());
    assert!(err.starts_with("ragged.csv: 2 row(s)"), "{err}");
    assert!(err.contains("line 3 has 2") && err.contains("line 4 has 4") && err.contains("--lenient"), "{err}");
    let opts = ImportOptions { source: SourceOptions { lenient: true, ..Default::default() }, ..Default::default() };
    let d = run(&fixture("ragged.csv"), &opts).unwrap();
    assert_eq!(d.report.rows, 4);
    assert_eq!(d.int("c", 1), None, "short row padded");
    assert_eq!(d.int("c", 2), Some(8), "long row cut");
    assert!(d.report.warnings[0].contains("lines 3, 4"), "{:?}", d.report.warnings);
}

#[test]
fn many_ragged_rows_report_the_first_few_and_the_total() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.csv");
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "a;b").unwrap();
    for i in 0..50 {
        writeln!(f, "{i}").unwrap();
    }
    let err = error_of(&path, &ImportOptions::default());
    assert!(err.contains("50 row(s)") && err.contains("line 2 has 1"), "{err}");
    assert!(err.ends_with("line 6 has 1, … (use --lenient to pad or cut them)"), "{err}");
    assert!(!err.contains("line 7 "), "only the first five are listed: {err}");
}

#[test]
fn unreadable_files_get_a_one_line_reason() {
    let cases = [
        ("empty.csv", "the file is empty"),
        ("binary.csv", "binary data"),
        ("invalid.geojson", "line 4, column 1"),
        ("bad_geometry.geojson", "feature 1: invalid geometry"),
    ];
    for (name, expected) in cases {
        let err = error_of(&fixture(name), &ImportOptions::default());
        assert!(err.starts_with(name) && err.contains(expected), "{name}: {err}");
    }
}

#[test]
fn a_header_only_file_is_an_empty_dataset_with_a_warning() {
    let d = run_ok("header_only.csv");
    assert_eq!(d.report.rows, 0);
    assert_eq!(d.report.schema.fields.len(), 2);
    assert!(d.report.warnings.iter().any(|w| w.contains("no data rows")));
}

#[test]
fn a_truncated_spreadsheet_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let whole = fixture("effectifs.ods");
    let bytes = std::fs::read(&whole).unwrap();
    let cut = dir.path().join("cut.xlsx");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = error_of(&cut, &ImportOptions::default());
    assert!(err.contains("spreadsheet"), "{err}");
    let fake = dir.path().join("fake.xlsx");
    std::fs::write(&fake, "not a zip").unwrap();
    let err = error_of(&fake, &ImportOptions::default());
    assert!(err.contains("damaged spreadsheet"), "{err}");
}

#[test]
fn a_wrong_explicit_encoding_names_the_line() {
    let opts = ImportOptions {
        source: SourceOptions { encoding: Some("utf-8".into()), ..Default::default() },
        ..Default::default()
    };
    let err = error_of(&fixture("latin1_declared_utf8.csv"), &opts);
    assert!(err.contains("line 3") && err.contains("not valid UTF-8"), "{err}");
    // Guessed, the same file reads as Windows-1252.
    let d = run_ok("latin1_declared_utf8.csv");
    assert_eq!(d.text("ville", 1).as_deref(), Some("Orléans"));
}

#[test]
fn invalid_utf8_past_the_detection_sample_restarts_as_windows_1252() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.csv");
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "nom;n").unwrap();
    for i in 0..60_000 {
        writeln!(f, "ligne numero {i};{i}").unwrap();
    }
    f.write_all(&encoding_bytes("Évry;2\n")).unwrap();
    drop(f);
    let d = run(&path, &ImportOptions::default()).unwrap();
    assert_eq!(d.report.encoding.as_deref(), Some("windows-1252"));
    assert_eq!(d.text("nom", 60_000).as_deref(), Some("Évry"));
}

fn encoding_bytes(s: &str) -> Vec<u8> {
    s.chars().map(|c| if c == 'É' { 0xC9 } else { c as u8 }).collect()
}

#[test]
fn nul_bytes_after_the_first_kilobytes_are_refused_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nul.csv");
    let mut content = String::from("a;b\n");
    for i in 0..2000 {
        content.push_str(&format!("{i};x\n"));
    }
    content.push_str("1;a\u{0}b\n");
    std::fs::write(&path, content).unwrap();
    let err = error_of(&path, &ImportOptions::default());
    assert!(err.contains("line 2002") && err.contains("NUL"), "{err}");
}

#[test]
fn five_thousand_columns_and_a_one_megabyte_field() {
    let dir = tempfile::tempdir().unwrap();
    let wide = dir.path().join("wide.csv");
    let header: Vec<String> = (0..5000).map(|i| format!("c{i}")).collect();
    let row: Vec<String> = (0..5000).map(|i| i.to_string()).collect();
    std::fs::write(&wide, format!("{}\n{}\n", header.join(";"), row.join(";"))).unwrap();
    let d = run(&wide, &ImportOptions::default()).unwrap();
    assert_eq!(d.report.schema.fields.len(), 5000);
    assert_eq!(d.int("c4999", 0), Some(4999));

    let big = dir.path().join("big.csv");
    let field = "é".repeat(512 * 1024);
    std::fs::write(&big, format!("id;texte\n1;{field}\n2;court\n")).unwrap();
    let d = run(&big, &ImportOptions::default()).unwrap();
    assert_eq!(d.text("texte", 0).map(|s| s.len()), Some(1024 * 1024));
}
