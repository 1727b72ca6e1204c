//! The `portail` binary as a user runs it: commands, exit codes, configuration, the demo.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test, blind to the environment's `PORTAIL_*` settings.
pub(crate) fn portail_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portail"));
    for var in ["PORTAIL_CONFIG", "PORTAIL_DATA_DIR", "PORTAIL_LISTEN", "PORTAIL_BASE_DOMAIN"] {
        cmd.env_remove(var);
    }
    cmd
}

fn portail(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = portail_command();
    cmd.args(args).arg("--data-dir").arg(data_dir).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn portals_are_created_listed_and_duplicates_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = portail(
        d,
        &[
            "portal",
            "create",
            "grigny91",
            "--name",
            "Ville de Grigny",
            "--domain",
            "data.grigny91.fr",
            "--default-lang",
            "fr",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = portail(
        d,
        &["portal", "create", "saintmande", "--name", "Saint-Mandé", "--default-lang", "en", "--langs", "en"],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = portail(d, &["portal", "list"], None);
    assert_eq!(
        stdout(&o),
        "grigny91\tVille de Grigny\tfr\ten,fr\tdata.grigny91.fr\nsaintmande\tSaint-Mandé\ten\ten\t\n"
    );

    let o = portail(d, &["portal", "create", "grigny91", "--name", "Again"], None);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.starts_with("portail: ") && err.contains("grigny91") && err.lines().count() == 1, "{err}");
    let o = portail(d, &["portal", "create", "Bad Slug", "--name", "X"], None);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = portail(d, &["portal", "create", "xx", "--name", "X", "--langs", "en,de"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`de`"));
}

#[test]
fn users_take_their_password_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(portail(d, &["portal", "create", "abc", "--name", "ABC"], None).status.success());
    let o = portail(
        d,
        &["user", "create", "--portal", "abc", "--email", "Ed@Example.org", "--role", "editor"],
        Some("a strong password\n"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "created editor ed@example.org on portal abc\n");
    let again = portail(
        d,
        &["user", "create", "--portal", "abc", "--email", "ed@example.org", "--role", "admin"],
        Some("another password\n"),
    );
    assert_eq!(again.status.code(), Some(2));
    let short = portail(
        d,
        &["user", "create", "--portal", "abc", "--email", "x@example.org", "--role", "admin"],
        Some("short\n"),
    );
    assert_eq!(short.status.code(), Some(2));
    assert!(stderr(&short).contains("at least 8"));
    let nowhere = portail(
        d,
        &["user", "create", "--portal", "nope", "--email", "x@example.org", "--role", "admin"],
        Some("long enough pw\n"),
    );
    assert_eq!(nowhere.status.code(), Some(2));
    let bad_role = portail(
        d,
        &["user", "create", "--portal", "abc", "--email", "x@example.org", "--role", "root"],
        Some("long enough pw\n"),
    );
    assert_eq!(bad_role.status.code(), Some(2), "clap usage errors exit 2 too");
}

#[test]
fn config_check_prints_the_resolved_configuration_and_refuses_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = d.join("portail.toml");
    std::fs::write(&file, "base_domain = 'data.example.org'\noperator_name = 'Ville'\n").unwrap();
    let o = portail(d, &["config", "check", "--config", file.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("base_domain = data.example.org") && out.contains("operator_name = Ville"), "{out}");
    assert!(out.contains(&format!("data_dir = {}", d.display())), "--data-dir after the subcommand applies");
    assert!(out.contains("platform_secrets = (redacted"));
    std::fs::write(&file, "base_domian = 'typo.example'\n").unwrap();
    let o = portail(d, &["--config", file.to_str().unwrap(), "config", "check"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("base_domian"), "{}", stderr(&o));
}

pub(crate) fn wait_for_port(port: u16, seconds: u64) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server on port {port} did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Kills a server started with piped stdout and returns what it printed.
fn stop_and_read(mut child: std::process::Child) -> String {
    child.kill().unwrap();
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    child.wait().unwrap();
    out
}

pub(crate) fn http_get(port: u16, host: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn the_demo_creates_five_portals_once_and_serves_them() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_portail"))
            .args(["demo", "--rows", "2000", "--listen", &listen, "--data-dir"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let child = run();
    wait_for_port(port, 180);
    for (slug, lang, name) in [
        ("tneacademiegrenoble", "en", "TNE Académie de Grenoble"),
        ("saintmande", "en", "Saint-Mandé"),
        ("grigny91", "fr", "Ville de Grigny"),
        ("normandie", "fr", "Académie de Normandie"),
        ("paysdelaloire", "fr", "Académie de Nantes – Pays de la Loire"),
    ] {
        let page = http_get(port, &format!("{slug}.localhost:{port}"), "/");
        assert!(page.starts_with("HTTP/1.1 200"), "{slug}: {page}");
        assert!(page.contains(&format!("<html lang=\"{lang}\">")) && page.contains(name), "{slug}");
        assert!(
            page.contains("/terms/cookies-policy/") && page.contains("/i18n/setlang/"),
            "{slug}: footer and switcher"
        );
        assert!(!page.to_ascii_lowercase().contains("set-cookie"), "{slug}: anonymous home sets no cookie");
    }
    let policy = http_get(port, &format!("grigny91.localhost:{port}"), "/terms/cookies-policy/");
    assert!(policy.contains("Charte cookies") && policy.contains("cookies_preferences"));
    let by_domain = http_get(port, "data.grigny91.fr", "/");
    assert!(by_domain.contains("Ville de Grigny"));
    let out = stop_and_read(child);
    assert_eq!(out.matches("password: ").count(), 5, "{out}");
    assert!(out.contains("admin@saintmande.localhost"));
    assert!(out.contains("Imported 23 demo datasets"), "{out}");
    let list = ok(portail(dir.path(), &["dataset", "list", "--portal", "saintmande"], None));
    assert_eq!(list.lines().count(), 6, "{list}");
    // The heritage archive's photos and leaflets are file fields.
    let heritage = ok(portail(dir.path(), &["dataset", "schema", "--portal", "saintmande", "patrimoine"], None));
    let files: Vec<&str> = heritage.lines().filter(|l| l.split_whitespace().nth(1) == Some("file")).collect();
    assert_eq!(files.len(), 2, "{heritage}");
    assert!(
        list.contains("equipements-municipaux\tÉquipements municipaux\tpublished\tpublic\tv1\t2000 rows"),
        "{list}"
    );
    assert_eq!(list.matches("\trestricted\t").count(), 1, "{list}");
    for slug in ["tneacademiegrenoble", "grigny91", "normandie", "paysdelaloire"] {
        let list = ok(portail(dir.path(), &["dataset", "list", "--portal", slug], None));
        assert!(list.lines().count() >= 4 && list.matches("\trestricted\t").count() == 1, "{slug}: {list}");
    }
    let budget = ok(portail(dir.path(), &["dataset", "schema", "--portal", "grigny91", "budget"], None));
    assert!(
        budget.contains("montant_vote") && budget.contains("double") && budget.contains("Montant voté (€)"),
        "the Windows-1252 file: {budget}"
    );

    // A second run creates nothing and shows no password again.
    let child = run();
    wait_for_port(port, 30);
    let out = stop_and_read(child);
    assert_eq!(out.matches("password: ").count(), 0, "{out}");
    assert_eq!(out.matches("not shown again").count(), 5, "{out}");
    assert!(!out.contains("Imported"), "a second run imports nothing: {out}");
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ingest").join(name)
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "exit {:?}: {}", o.status.code(), stderr(&o));
    stdout(&o)
}

fn parquet_rows(path: &Path) -> i64 {
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::file::serialized_reader::SerializedFileReader::new(file).unwrap();
    use parquet::file::reader::FileReader;
    reader.metadata().file_metadata().num_rows()
}

/// The data file of the version the store says is current, found through `dataset schema`.
fn current_version(d: &Path, id: &str) -> i64 {
    let out = ok(portail(d, &["dataset", "schema", "--portal", "demo", id], None));
    out.split_whitespace().nth(2).unwrap().parse().unwrap()
}

fn version_parquet(d: &Path, version: i64) -> std::path::PathBuf {
    let datasets = d.join("portals/1/datasets");
    let uid = std::fs::read_dir(&datasets).unwrap().next().unwrap().unwrap().path();
    uid.join(format!("v{version}/data.parquet"))
}

#[test]
fn datasets_are_imported_listed_changed_and_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(portail(d, &["portal", "create", "demo", "--name", "Démo"], None));
    let out = ok(portail(
        d,
        &["dataset", "import", "--portal", "demo", fixture("budget_cp1252.csv").to_str().unwrap(), "--publish"],
        None,
    ));
    assert!(out.starts_with("imported budget-cp1252 version 1: 4 rows, 5 fields (windows-1252)"), "{out}");
    assert!(out.contains("code_insee") && out.contains("Libellé"), "{out}");
    let out = ok(portail(d, &["dataset", "list", "--portal", "demo"], None));
    assert_eq!(out, "budget-cp1252\tbudget cp1252\tpublished\tpublic\tv1\t4 rows\n");

    let out = ok(portail(
        d,
        &["dataset", "schema", "--portal", "demo", "budget-cp1252", "--type", "taux=text", "--label", "taux=Taux voté"],
        None,
    ));
    assert!(out.contains("version 2") && out.contains("taux") && out.contains("Taux voté"), "{out}");
    let out = ok(portail(d, &["dataset", "rollback", "--portal", "demo", "budget-cp1252"], None));
    assert!(out.contains("now serves version 1"), "{out}");
    assert_eq!(current_version(d, "budget-cp1252"), 1);

    ok(portail(d, &["dataset", "unpublish", "--portal", "demo", "budget-cp1252"], None));
    ok(portail(d, &["dataset", "restrict", "--portal", "demo", "budget-cp1252"], None));
    let out = ok(portail(d, &["dataset", "list", "--portal", "demo"], None));
    assert!(out.contains("\tdraft\trestricted\t"), "{out}");

    let out = ok(portail(
        d,
        &[
            "dataset",
            "import",
            "--portal",
            "demo",
            fixture("ecoles.csv").to_str().unwrap(),
            "--id",
            "ecoles",
            "--delimiter",
            ",",
            "--title",
            "Écoles",
        ],
        None,
    ));
    assert!(out.contains("not published"), "{out}");
    ok(portail(d, &["dataset", "delete", "--portal", "demo", "ecoles"], None));
    assert!(!ok(portail(d, &["dataset", "list", "--portal", "demo"], None)).contains("ecoles"));
}

#[test]
fn dataset_information_is_shown_changed_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(portail(d, &["portal", "create", "demo", "--name", "Démo"], None));
    ok(portail(d, &["dataset", "import", "--portal", "demo", fixture("equipements.csv").to_str().unwrap()], None));
    let out = ok(portail(d, &["dataset", "meta", "--portal", "demo", "equipements"], None));
    assert!(out.starts_with("title\tequipements\n") && out.contains("theme\t\n"), "{out}");
    let out = ok(portail(
        d,
        &[
            "dataset",
            "meta",
            "--portal",
            "demo",
            "equipements",
            "--title",
            "Équipements municipaux",
            "--theme",
            "Culture, Sport",
            "--keyword",
            "piscine,école",
            "--license",
            "Licence Ouverte v2.0",
            "--license-url",
            "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            "--publisher",
            "Mairie",
        ],
        None,
    ));
    assert!(out.contains("title\tÉquipements municipaux\n") && out.contains("theme\tCulture, Sport\n"), "{out}");
    assert!(out.contains("keyword\tpiscine, école\n") && out.contains("publisher\tMairie\n"), "{out}");
    // Only what is given changes; an empty value clears.
    let out = ok(portail(d, &["dataset", "meta", "--portal", "demo", "equipements", "--keyword", ""], None));
    assert!(out.contains("keyword\t\n") && out.contains("theme\tCulture, Sport\n"), "{out}");
    let o = portail(d, &["dataset", "meta", "--portal", "demo", "equipements", "--license-url", "etalab"], None);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("license_url"), "{}", stderr(&o));
    let out =
        ok(portail(d, &["dataset", "meta", "--portal", "demo", "equipements", "--facets", "categorie, commune"], None));
    assert!(out.contains("facets\tcommune, categorie\n"), "schema order: {out}");
    let o = portail(d, &["dataset", "meta", "--portal", "demo", "equipements", "--facets", "geo_point_2d"], None);
    assert_eq!(o.status.code(), Some(2), "a geometry is no facet");
    let o = portail(d, &["dataset", "meta", "--portal", "demo", "nope"], None);
    assert_eq!(o.status.code(), Some(2));
    // A new import keeps the information.
    ok(portail(
        d,
        &["dataset", "import", "--portal", "demo", fixture("equipements.csv").to_str().unwrap(), "--id", "equipements"],
        None,
    ));
    let out = ok(portail(d, &["dataset", "meta", "--portal", "demo", "equipements"], None));
    assert!(out.contains("license\tLicence Ouverte v2.0\n") && out.contains("Équipements municipaux"), "{out}");
}

#[test]
fn bad_files_exit_2_with_a_one_line_reason_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(portail(d, &["portal", "create", "demo", "--name", "Démo"], None));
    ok(portail(
        d,
        &[
            "dataset",
            "import",
            "--portal",
            "demo",
            fixture("ecoles.csv").to_str().unwrap(),
            "--id",
            "data",
            "--publish",
        ],
        None,
    ));
    for (file, reason) in [
        ("ragged.csv", "line 3 has 2"),
        ("empty.csv", "empty"),
        ("binary.csv", "binary data"),
        ("invalid.geojson", "line 4, column 1"),
        ("header_only.csv", ""),
    ] {
        let o = portail(
            d,
            &["dataset", "import", "--portal", "demo", fixture(file).to_str().unwrap(), "--id", "data"],
            None,
        );
        if reason.is_empty() {
            assert!(o.status.success(), "a header-only file is an empty dataset");
            ok(portail(d, &["dataset", "rollback", "--portal", "demo", "data", "--to", "1"], None));
            continue;
        }
        assert_eq!(o.status.code(), Some(2), "{file}: {}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(file) && err.contains(reason), "{file}: {err}");
        assert_eq!(current_version(d, "data"), 1, "{file} changed the serving version");
    }
    assert_eq!(parquet_rows(&version_parquet(d, 1)), 3);
    let o = portail(d, &["dataset", "import", "--portal", "demo", "/nonexistent.csv"], None);
    assert_eq!(o.status.code(), Some(2));
    let o = portail(d, &["dataset", "import", "--portal", "nope", fixture("ecoles.csv").to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2));
    let o = portail(
        d,
        &["dataset", "import", "--portal", "demo", fixture("ecoles.csv").to_str().unwrap(), "--id", "Bad Id"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    let o = portail(
        d,
        &["dataset", "import", "--portal", "demo", fixture("ecoles.csv").to_str().unwrap(), "--delimiter", "x"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn an_import_killed_at_any_moment_leaves_the_serving_version_intact() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(portail(d, &["portal", "create", "demo", "--name", "Démo"], None));
    ok(portail(
        d,
        &["dataset", "import", "--portal", "demo", fixture("ecoles.csv").to_str().unwrap(), "--id", "big", "--publish"],
        None,
    ));
    // A file large enough for the import to take a while in a debug build.
    let big = d.join("big.csv");
    let mut text = String::from("id;commune;montant;jour;description\n");
    for i in 0..150_000 {
        text.push_str(&format!(
            "{i};Commune {};{}.{:02};2024-01-{:02};Lavoir et fontaine numéro {i}\n",
            i % 300,
            i % 9973,
            i % 100,
            i % 28 + 1
        ));
    }
    std::fs::write(&big, text).unwrap();
    let dataset_dir = version_parquet(d, 1).parent().unwrap().parent().unwrap().to_owned();
    for delay_ms in [50u64, 300, 900, 1800] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_portail"))
            .args(["dataset", "import", "--portal", "demo", "--id", "big", "--data-dir"])
            .arg(d)
            .arg(&big)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        let current = current_version(d, "big");
        let rows = parquet_rows(&version_parquet(d, current));
        assert!(
            rows == 3 || rows == 150_000,
            "after a kill at {delay_ms} ms ({status:?}) version {current} has {rows} rows"
        );
    }
    // The next import cleans up whatever was left and succeeds.
    let out = ok(portail(d, &["dataset", "import", "--portal", "demo", "--id", "big", big.to_str().unwrap()], None));
    assert!(out.contains("150000 rows"), "{out}");
    let current = current_version(d, "big");
    assert_eq!(parquet_rows(&version_parquet(d, current)), 150_000);
    let leftovers: Vec<String> = std::fs::read_dir(&dataset_dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn field_annotations_are_shown_set_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(portail(d, &["portal", "create", "demo", "--name", "Démo"], None));
    ok(portail(d, &["dataset", "import", "--portal", "demo", fixture("associations.csv").to_str().unwrap()], None));
    let annotate = |args: &[&str]| {
        let mut all = vec!["dataset", "annotate", "--portal", "demo", "associations"];
        all.extend_from_slice(args);
        portail(d, &all, None)
    };
    let out = ok(annotate(&[]));
    assert!(out.contains("activites") && out.contains("{}"), "{out}");
    let out = ok(annotate(&[
        "--set",
        "activites.multivalued=,",
        "--set",
        "activites.facet=true",
        "--set",
        "activites.disjunctive=true",
        "--set",
        "adherents.unit=personnes",
    ]));
    // Each line: name, type, the annotations as the dataset object writes them.
    let annotations = |out: &str, name: &str| -> serde_json::Value {
        let line = out.lines().find(|l| l.trim_start().starts_with(&format!("{name} "))).unwrap_or_default();
        serde_json::from_str(&line[line.find('{').unwrap_or(0)..]).unwrap_or_else(|e| panic!("{e}: {out}"))
    };
    assert_eq!(
        annotations(&out, "activites"),
        serde_json::json!({"disjunctive": [], "facet": [], "multivalued": [","]}),
        "{out}"
    );
    assert_eq!(annotations(&out, "adherents"), serde_json::json!({"unit": ["personnes"]}));
    // The facet is the information's too; an empty value removes an annotation.
    let meta = ok(portail(d, &["dataset", "meta", "--portal", "demo", "associations"], None));
    assert!(meta.contains("facets\tactivites\n"), "{meta}");
    let out = ok(annotate(&["--set", "activites.disjunctive=", "--set", "activites.multivalued="]));
    assert_eq!(annotations(&out, "activites"), serde_json::json!({"facet": []}), "{out}");
    for bad in ["adherents.multivalued=,", "nom.decimals=2", "nom.colour=red", "nope.unit=m", "nom.facet=maybe"] {
        let o = annotate(&["--set", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stdout(&o));
        assert!(!stderr(&o).is_empty());
    }
}

#[test]
fn translations_are_shown_set_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(portail(d, &["portal", "create", "demo", "--name", "Démo"], None));
    ok(portail(d, &["dataset", "import", "--portal", "demo", fixture("associations.csv").to_str().unwrap()], None));
    let translate = |args: &[&str]| {
        let mut all = vec!["dataset", "translate", "--portal", "demo", "associations", "--lang", "en"];
        all.extend_from_slice(args);
        portail(d, &all, None)
    };
    assert!(ok(translate(&[])).contains("no translation into en"));
    let out = ok(translate(&["--title", "Associations of the town", "--label", "nom=Name"]));
    assert!(out.contains("title        Associations of the town") && out.contains("Name"), "{out}");
    // Kept when another part changes; a label of no field is refused.
    let out = ok(translate(&["--description", "Every association."]));
    assert!(out.contains("Associations of the town") && out.contains("Every association."), "{out}");
    let o = translate(&["--label", "nope=X"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let o = portail(d, &["dataset", "translate", "--portal", "demo", "associations", "--lang", "de"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("en, fr"), "{}", stderr(&o));
}
