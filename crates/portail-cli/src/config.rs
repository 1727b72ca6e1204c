//! Configuration: a TOML file, then `PORTAIL_*` environment variables, then command-line flags
//! (later wins). Unknown keys are refused; everything is validated once, before anything starts.
//! [`SETTINGS`] is the one table of keys: `config check` and `docs/configuration.md` follow it.

use anyhow::{bail, Context};
use portail_web::WebConfig;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub struct Setting {
    pub key: &'static str,
    pub env: &'static str,
    pub default: &'static str,
    pub help: &'static str,
}

pub const SETTINGS: &[Setting] = &[
    Setting {
        key: "data_dir",
        env: "PORTAIL_DATA_DIR",
        default: "./portail-data",
        help: "Directory holding portail.db and the portals' files.",
    },
    Setting {
        key: "listen",
        env: "PORTAIL_LISTEN",
        default: "127.0.0.1:8080",
        help: "Address and port the HTTP server listens on.",
    },
    Setting {
        key: "base_domain",
        env: "PORTAIL_BASE_DOMAIN",
        default: "localhost",
        help: "Portals answer on <slug>.<base_domain>; the bare domain serves the default portal.",
    },
    Setting {
        key: "default_portal",
        env: "PORTAIL_DEFAULT_PORTAL",
        default: "(first portal created)",
        help: "Slug of the portal served on the bare base domain, localhost and loopback addresses.",
    },
    Setting {
        key: "operator_name",
        env: "PORTAIL_OPERATOR_NAME",
        default: "portail",
        help: "Name shown as the provider of the platform's cookies on every cookie policy.",
    },
    Setting {
        key: "session_max_age_s",
        env: "PORTAIL_SESSION_MAX_AGE_S",
        default: "1209600",
        help: "Lifetime of a sign-in session in seconds (900 to 1209600), cookie and server alike.",
    },
    Setting {
        key: "session_idle_timeout_s",
        env: "PORTAIL_SESSION_IDLE_TIMEOUT_S",
        default: "172800",
        help: "A session unused for this many seconds is refused (300 or more).",
    },
    Setting {
        key: "trusted_proxy",
        env: "PORTAIL_TRUSTED_PROXY",
        default: "false",
        help: "Trust X-Forwarded-Proto and X-Forwarded-For from a reverse proxy in front of portail.",
    },
    Setting {
        key: "access_log",
        env: "PORTAIL_ACCESS_LOG",
        default: "false",
        help: "Log each request (address masked to /16 or /48, path without query, status, time) on portail::access.",
    },
    Setting {
        key: "geoip_country_db",
        env: "PORTAIL_GEOIP_COUNTRY_DB",
        default: "(none)",
        help: "Offline country database (DB-IP or IP2Location LITE CSV) for portals that count countries (AN-7).",
    },
    Setting {
        key: "public_https",
        env: "PORTAIL_PUBLIC_HTTPS",
        default: "false",
        help: "Portals are published over HTTPS (TLS ends at a proxy): cookies get Secure, origins are https.",
    },
    Setting {
        key: "consent_max_age_days",
        env: "PORTAIL_CONSENT_MAX_AGE_DAYS",
        default: "180",
        help: "How long a visitor's cookie choice is kept and honoured, in days (1 to 180).",
    },
    Setting {
        key: "consent_record_retention_days",
        env: "PORTAIL_CONSENT_RECORD_RETENTION_DAYS",
        default: "395",
        help: "How long the proofs of consent (choice records) are kept, in days (180 to 395).",
    },
    Setting {
        key: "query_memory_budget_mb",
        env: "PORTAIL_QUERY_MEMORY_BUDGET_MB",
        default: "1024",
        help: "Memory for datasets kept decoded for fast queries, all together, in MiB; 0 reads Parquet every time.",
    },
    Setting {
        key: "query_timeout_s",
        env: "PORTAIL_QUERY_TIMEOUT_S",
        default: "30",
        help: "A records, facets or aggregation query running longer is stopped (1 to 600 s); exports are not.",
    },
    Setting {
        key: "api_daily_quota",
        env: "PORTAIL_API_DAILY_QUOTA",
        default: "0",
        help: "API calls each portal answers per day (UTC) before answering 429 until midnight; 0 for no limit.",
    },
];

/// The file's keys; all optional, none unknown.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
    pub base_domain: Option<String>,
    pub default_portal: Option<String>,
    pub operator_name: Option<String>,
    pub session_max_age_s: Option<u32>,
    pub consent_max_age_days: Option<u32>,
    pub consent_record_retention_days: Option<u32>,
    pub query_memory_budget_mb: Option<u32>,
    pub query_timeout_s: Option<u32>,
    pub session_idle_timeout_s: Option<u32>,
    pub trusted_proxy: Option<bool>,
    pub public_https: Option<bool>,
    pub access_log: Option<bool>,
    pub geoip_country_db: Option<PathBuf>,
    pub api_daily_quota: Option<u64>,
}

/// Values given on the command line (flags only; clap has no say over the environment here,
/// so that the order file < env < flag is explicit).
#[derive(Debug, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub config_file: Option<PathBuf>,
    pub web: WebConfig,
}

impl Config {
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("portail.db")
    }
}

/// Reads an environment variable; `env` is injectable so tests never touch the process's.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn parse_bool(key: &str, value: &str) -> anyhow::Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => bail!("{key}: expected true or false, found `{value}`"),
    }
}

fn parse_u32(key: &str, value: &str) -> anyhow::Result<u32> {
    value.trim().parse().with_context(|| format!("{key}: expected a whole number, found `{value}`"))
}

pub fn load(overrides: Overrides, env: Env) -> anyhow::Result<Config> {
    let config_file = overrides.config.clone().or_else(|| env("PORTAIL_CONFIG").map(PathBuf::from));
    let file = match &config_file {
        Some(path) => read_file(path)?,
        None => FileConfig::default(),
    };
    let mut web = WebConfig::default();

    let data_dir = overrides
        .data_dir
        .or_else(|| env("PORTAIL_DATA_DIR").map(PathBuf::from))
        .or(file.data_dir)
        .unwrap_or_else(|| PathBuf::from("./portail-data"));
    let listen_text =
        overrides.listen.or_else(|| env("PORTAIL_LISTEN")).or(file.listen).unwrap_or_else(|| "127.0.0.1:8080".into());
    let listen: SocketAddr = listen_text
        .parse()
        .with_context(|| format!("listen: `{listen_text}` is not an address such as 127.0.0.1:8080"))?;

    if let Some(v) = env("PORTAIL_BASE_DOMAIN").or(file.base_domain) {
        web.base_domain = v.trim().trim_end_matches('.').to_ascii_lowercase();
    }
    if web.base_domain.is_empty() || web.base_domain.contains(['/', ':', ' ']) {
        bail!("base_domain: `{}` is not a host name", web.base_domain);
    }
    web.default_portal = env("PORTAIL_DEFAULT_PORTAL").or(file.default_portal);
    if let Some(v) = env("PORTAIL_OPERATOR_NAME").or(file.operator_name) {
        web.operator_name = v;
    }
    if web.operator_name.trim().is_empty() {
        bail!("operator_name: must not be empty");
    }
    web.session_max_age_s = match env("PORTAIL_SESSION_MAX_AGE_S") {
        Some(v) => parse_u32("session_max_age_s", &v)?,
        None => file.session_max_age_s.unwrap_or(web.session_max_age_s),
    };
    if !(900..=1_209_600).contains(&web.session_max_age_s) {
        bail!("session_max_age_s: {} is outside 900..=1209600", web.session_max_age_s);
    }
    web.session_idle_timeout_s = match env("PORTAIL_SESSION_IDLE_TIMEOUT_S") {
        Some(v) => parse_u32("session_idle_timeout_s", &v)?,
        None => file.session_idle_timeout_s.unwrap_or(web.session_idle_timeout_s),
    };
    if web.session_idle_timeout_s < 300 {
        bail!("session_idle_timeout_s: {} is below 300", web.session_idle_timeout_s);
    }
    web.trusted_proxy = match env("PORTAIL_TRUSTED_PROXY") {
        Some(v) => parse_bool("trusted_proxy", &v)?,
        None => file.trusted_proxy.unwrap_or(false),
    };
    web.access_log = match env("PORTAIL_ACCESS_LOG") {
        Some(v) => parse_bool("access_log", &v)?,
        None => file.access_log.unwrap_or(false),
    };
    web.geoip_country_db = match env("PORTAIL_GEOIP_COUNTRY_DB") {
        Some(v) if v.is_empty() => None,
        Some(v) => Some(PathBuf::from(v)),
        None => file.geoip_country_db.clone(),
    };
    web.public_https = match env("PORTAIL_PUBLIC_HTTPS") {
        Some(v) => parse_bool("public_https", &v)?,
        None => file.public_https.unwrap_or(false),
    };
    web.consent_max_age_days = match env("PORTAIL_CONSENT_MAX_AGE_DAYS") {
        Some(v) => parse_u32("consent_max_age_days", &v)?,
        None => file.consent_max_age_days.unwrap_or(web.consent_max_age_days),
    };
    if !(1..=180).contains(&web.consent_max_age_days) {
        bail!("consent_max_age_days: {} is outside 1..=180", web.consent_max_age_days);
    }
    web.consent_record_retention_days = match env("PORTAIL_CONSENT_RECORD_RETENTION_DAYS") {
        Some(v) => parse_u32("consent_record_retention_days", &v)?,
        None => file.consent_record_retention_days.unwrap_or(web.consent_record_retention_days),
    };
    if !(180..=395).contains(&web.consent_record_retention_days) {
        bail!("consent_record_retention_days: {} is outside 180..=395", web.consent_record_retention_days);
    }
    web.query_memory_budget_mb = match env("PORTAIL_QUERY_MEMORY_BUDGET_MB") {
        Some(v) => parse_u32("query_memory_budget_mb", &v)?,
        None => file.query_memory_budget_mb.unwrap_or(web.query_memory_budget_mb),
    };
    web.query_timeout_s = match env("PORTAIL_QUERY_TIMEOUT_S") {
        Some(v) => parse_u32("query_timeout_s", &v)?,
        None => file.query_timeout_s.unwrap_or(web.query_timeout_s),
    };
    if !(1..=600).contains(&web.query_timeout_s) {
        bail!("query_timeout_s: {} is outside 1..=600", web.query_timeout_s);
    }
    web.api_daily_quota = match env("PORTAIL_API_DAILY_QUOTA") {
        Some(v) => v.trim().parse().map_err(|_| anyhow::anyhow!("api_daily_quota: `{v}` is not a number of calls"))?,
        None => file.api_daily_quota.unwrap_or(web.api_daily_quota),
    };
    Ok(Config { data_dir, listen, config_file, web })
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read configuration file {}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim()))
}

/// `config check`: the resolved configuration, one `key = value` a line. Secrets never appear:
/// the platform's keys live in the metadata store and are shown as redacted.
pub fn describe(config: &Config) -> String {
    let mut out =
        format!("config_file = {}\n", config.config_file.as_ref().map_or("(none)".into(), |p| p.display().to_string()));
    for setting in SETTINGS {
        out.push_str(&format!("# {} (env {}, default {})\n", setting.help, setting.env, setting.default));
        out.push_str(&format!("{} = {}\n", setting.key, value_of(config, setting.key)));
    }
    out.push_str(&format!("platform_secrets = (redacted; kept in {})\n", config.db_path().display()));
    out
}

fn value_of(config: &Config, key: &str) -> String {
    let w = &config.web;
    match key {
        "data_dir" => config.data_dir.display().to_string(),
        "listen" => config.listen.to_string(),
        "base_domain" => w.base_domain.clone(),
        "default_portal" => w.default_portal.clone().unwrap_or_else(|| "(first portal created)".into()),
        "operator_name" => w.operator_name.clone(),
        "session_max_age_s" => w.session_max_age_s.to_string(),
        "session_idle_timeout_s" => w.session_idle_timeout_s.to_string(),
        "trusted_proxy" => w.trusted_proxy.to_string(),
        "public_https" => w.public_https.to_string(),
        "access_log" => w.access_log.to_string(),
        "geoip_country_db" => w.geoip_country_db.as_ref().map_or_else(|| "(none)".into(), |p| p.display().to_string()),
        "consent_max_age_days" => w.consent_max_age_days.to_string(),
        "consent_record_retention_days" => w.consent_record_retention_days.to_string(),
        "query_memory_budget_mb" => w.query_memory_budget_mb.to_string(),
        "query_timeout_s" => w.query_timeout_s.to_string(),
        "api_daily_quota" => w.api_daily_quota.to_string(),
        other => format!("(unknown setting {other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn file_then_env_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("portail.toml");
        std::fs::write(
            &file,
            "data_dir = '/from/file'\nlisten = '127.0.0.1:1'\nbase_domain = 'file.test'\noperator_name = 'Ville'\n",
        )
        .unwrap();
        let env = env_of(&[("PORTAIL_LISTEN", "127.0.0.1:2"), ("PORTAIL_BASE_DOMAIN", "Env.Test")]);
        let c = load(Overrides { config: Some(file.clone()), ..Default::default() }, &env).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/from/file"));
        assert_eq!(c.listen.port(), 2, "env beats file");
        assert_eq!(c.web.base_domain, "env.test");
        assert_eq!(c.web.operator_name, "Ville");
        let c = load(
            Overrides { config: Some(file), listen: Some("127.0.0.1:3".into()), data_dir: Some("/flag".into()) },
            &env,
        )
        .unwrap();
        assert_eq!((c.listen.port(), c.data_dir), (3, PathBuf::from("/flag")), "flags beat env and file");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_with_their_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "listen = '127.0.0.1:1'\nlisten_port = 3\n").unwrap();
        let err = load(Overrides { config: Some(file), ..Default::default() }, &env_of(&[])).unwrap_err();
        assert!(format!("{err:#}").contains("listen_port"), "{err:#}");
        let err = load(Overrides::default(), &env_of(&[("PORTAIL_SESSION_MAX_AGE_S", "99")])).unwrap_err();
        assert!(err.to_string().contains("session_max_age_s"), "{err}");
        let err = load(Overrides { listen: Some("nowhere".into()), ..Default::default() }, &env_of(&[])).unwrap_err();
        assert!(err.to_string().contains("listen"), "{err}");
        let err = load(Overrides::default(), &env_of(&[("PORTAIL_TRUSTED_PROXY", "maybe")])).unwrap_err();
        assert!(err.to_string().contains("trusted_proxy"), "{err}");
        let err = load(Overrides::default(), &env_of(&[("PORTAIL_QUERY_TIMEOUT_S", "0")])).unwrap_err();
        assert!(err.to_string().contains("query_timeout_s"), "{err}");
        let c = load(Overrides::default(), &env_of(&[("PORTAIL_QUERY_MEMORY_BUDGET_MB", "0")])).unwrap();
        assert_eq!(c.web.query_settings().memory_budget_bytes, 0, "0 turns residency off");
    }

    #[test]
    fn defaults_match_the_settings_table() {
        let c = load(Overrides::default(), &env_of(&[])).unwrap();
        let described = describe(&c);
        for s in SETTINGS {
            let line = described
                .lines()
                .find(|l| l.starts_with(&format!("{} = ", s.key)))
                .unwrap_or_else(|| panic!("{} missing from config check", s.key));
            assert_eq!(line.split_once(" = ").unwrap().1, s.default, "{}", s.key);
        }
    }

    #[test]
    fn every_setting_is_documented() {
        let docs = include_str!("../../../docs/configuration.md");
        for s in SETTINGS {
            assert!(
                docs.contains(&format!("`{}`", s.key)) && docs.contains(s.env),
                "docs/configuration.md lacks {} / {}",
                s.key,
                s.env
            );
        }
    }
}
