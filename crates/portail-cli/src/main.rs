//! The `portail` binary. Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad input, with a
//! one-line reason on stderr.

mod commands;
mod config;
mod datasets;
mod demo;
mod demo_data;
mod serve;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "portail", version, about = "Self-hostable multi-portal open data platform")]
struct Cli {
    /// Data directory (default ./portail-data; env PORTAIL_DATA_DIR)
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Configuration file in TOML (env PORTAIL_CONFIG)
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every portal of the data directory
    Serve {
        /// Address to listen on (default 127.0.0.1:8080; env PORTAIL_LISTEN)
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Create the demo platform if absent, print its sign-in details, then serve it
    Demo {
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Rows of the large demo dataset
        #[arg(long, hide = true, default_value_t = demo::DEFAULT_BIG_ROWS)]
        rows: usize,
        /// Origin of the demo video integration (tests use a loopback host)
        #[arg(long, hide = true, default_value = demo::DEFAULT_VIDEO_ORIGIN)]
        video_origin: String,
    },
    /// Manage portals
    #[command(subcommand)]
    Portal(commands::PortalCommand),
    /// Import and manage datasets
    #[command(subcommand)]
    Dataset(datasets::DatasetCommand),
    /// Manage user accounts
    #[command(subcommand)]
    User(commands::UserCommand),
    /// Inspect the configuration
    #[command(subcommand)]
    Config(commands::ConfigCommand),
}

/// A failure and the exit code it maps to.
pub enum Failure {
    /// Bad usage or bad input: exit 2.
    Input(String),
    /// Something broke while running: exit 1.
    Runtime(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Runtime(e)
    }
}

impl From<portail_store::StoreError> for Failure {
    fn from(e: portail_store::StoreError) -> Self {
        match e {
            portail_store::StoreError::Conflict(m) | portail_store::StoreError::Invalid(m) => Failure::Input(m),
            other => Failure::Runtime(other.into()),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PORTAIL_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let listen = match &cli.command {
        Command::Serve { listen } | Command::Demo { listen, .. } => listen.clone(),
        _ => None,
    };
    let overrides = config::Overrides { config: cli.config, data_dir: cli.data_dir, listen };
    let config = match config::load(overrides, &config::process_env) {
        Ok(c) => c,
        Err(e) => return report(Failure::Input(format!("configuration: {e:#}"))),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return report(Failure::Runtime(e.into())),
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve { .. } => serve::run(&config).await,
            Command::Demo { rows, video_origin, .. } => demo::run(&config, rows, &video_origin).await,
            Command::Portal(cmd) => commands::portal(&config, cmd).await,
            Command::User(cmd) => commands::user(&config, cmd).await,
            Command::Dataset(cmd) => datasets::run(&config, cmd).await,
            Command::Config(cmd) => commands::config(&config, cmd),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => report(f),
    }
}

fn report(failure: Failure) -> ExitCode {
    match failure {
        Failure::Input(msg) => {
            eprintln!("portail: {msg}");
            ExitCode::from(2)
        }
        Failure::Runtime(err) => {
            eprintln!("portail: {}", format!("{err:#}").replace('\n', " "));
            ExitCode::from(1)
        }
    }
}
