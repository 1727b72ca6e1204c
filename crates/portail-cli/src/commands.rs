//! `portal`, `user` and `config` subcommands.

use crate::config::{describe, Config};
use crate::Failure;
use anyhow::Context;
use clap::Subcommand;
use portail_core::{Lang, Localized, Role};
use portail_store::{MetadataStore, NewPortal, SqliteStore};
use std::io::BufRead;

#[derive(Subcommand)]
pub enum PortalCommand {
    /// Create a portal
    Create {
        slug: String,
        #[arg(long)]
        name: String,
        /// Extra host name the portal answers on (repeatable)
        #[arg(long = "domain", value_name = "HOST")]
        domains: Vec<String>,
        #[arg(long, default_value = "fr", value_parser = parse_lang)]
        default_lang: Lang,
        /// Offered languages, comma-separated
        #[arg(long, default_value = "en,fr")]
        langs: String,
    },
    /// List portals
    List,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account on a portal; the password is read from standard input
    Create {
        #[arg(long)]
        portal: String,
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print the resolved configuration (secrets redacted)
    Check,
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse()
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

pub async fn open_store(config: &Config) -> Result<SqliteStore, Failure> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data directory {}", config.data_dir.display()))?;
    Ok(SqliteStore::open(&config.db_path()).await?)
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

pub async fn portal(config: &Config, cmd: PortalCommand) -> Result<(), Failure> {
    let store = open_store(config).await?;
    match cmd {
        PortalCommand::Create { slug, name, domains, default_lang, langs } => {
            let mut langs = Lang::parse_list(&langs).map_err(|e| Failure::Input(format!("--langs: {e}")))?;
            if !langs.contains(&default_lang) {
                langs.push(default_lang);
            }
            let portal = NewPortal {
                slug,
                title: Localized::new(name.clone(), name.clone()),
                name,
                default_lang,
                langs,
                description: Localized::default(),
                domains,
            };
            let created = store.create_portal(&portal, now()).await?;
            println!("created portal {} (http://{}.{}/)", created.slug, created.slug, config.web.base_domain);
        }
        PortalCommand::List => {
            for p in store.portals().await? {
                let langs: Vec<_> = p.langs.iter().map(|l| l.code()).collect();
                println!("{}\t{}\t{}\t{}\t{}", p.slug, p.name, p.default_lang, langs.join(","), p.domains.join(","));
            }
        }
    }
    Ok(())
}

pub async fn user(config: &Config, cmd: UserCommand) -> Result<(), Failure> {
    let UserCommand::Create { portal, email, role } = cmd;
    let store = open_store(config).await?;
    let Some(portal) = store.portal_by_slug(&portal).await? else {
        return Err(Failure::Input(format!("no portal with slug `{portal}`")));
    };
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password).context("cannot read the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.chars().count() < 8 {
        return Err(Failure::Input("the password read from standard input must have at least 8 characters".into()));
    }
    let hash = portail_web::session::hash_password(password).map_err(|e| Failure::Runtime(anyhow::anyhow!(e)))?;
    let user = store.create_user(portal.id, &email, &hash, role, now()).await?;
    println!("created {} {} on portal {}", user.role, user.email, portal.slug);
    Ok(())
}

pub fn config(config: &Config, cmd: ConfigCommand) -> Result<(), Failure> {
    let ConfigCommand::Check = cmd;
    print!("{}", describe(config));
    Ok(())
}
