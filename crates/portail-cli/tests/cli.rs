//! The `portail` binary as a user runs it: commands, exit codes, configuration, the demo.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn portail(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portail"));
    cmd.args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("PORTAIL_CONFIG")
        .env_remove("PORTAIL_DATA_DIR")
        .env_remove("PORTAIL_LISTEN")
        .env_remove("PORTAIL_BASE_DOMAIN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
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

fn http_get(port: u16, host: &str, path: &str) -> String {
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
            .args(["demo", "--listen", &listen, "--data-dir"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut child = run();
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the demo server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
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
    child.kill().unwrap();
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    child.wait().unwrap();
    assert_eq!(out.matches("password: ").count(), 5, "{out}");
    assert!(out.contains("admin@saintmande.localhost"));

    // A second run creates nothing and shows no password again.
    let mut child = run();
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the demo server did not restart");
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    child.wait().unwrap();
    assert_eq!(out.matches("password: ").count(), 0, "{out}");
    assert_eq!(out.matches("not shown again").count(), 5, "{out}");
}
