//! `portail serve`: wires the store and the web app, then serves until SIGINT/SIGTERM.

use crate::commands::open_store;
use crate::config::Config;
use crate::Failure;
use anyhow::Context;
use portail_catalog::{run_worker, Catalog};
use portail_store::MetadataStore;
use portail_web::{system_clock, App, AppState};
use std::sync::Arc;
use std::time::Duration;

pub async fn run(config: &Config) -> Result<(), Failure> {
    let store: Arc<dyn MetadataStore> = Arc::new(open_store(config).await?);
    serve_with(config, store).await
}

pub async fn serve_with(config: &Config, store: Arc<dyn MetadataStore>) -> Result<(), Failure> {
    let catalog = Catalog::new(store.clone(), &config.data_dir);
    let app = App::new(config.web.clone(), store.clone(), catalog.clone(), system_clock())
        .map_err(|e| Failure::Runtime(anyhow::anyhow!(e)))?;
    let state = AppState(Arc::new(app));
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(listen = %config.listen, data_dir = %config.data_dir.display(), "portail is serving");

    // Uploaded files are imported by this worker, one job at a time per dataset.
    let (stop_worker, worker_stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(run_worker(catalog, worker_stopped));
    let sweep_state = state.clone();
    // Every minute: audience counters to the store. Every hour: expired sessions (refused on use
    // anyway; this keeps the table small) and the retention of choice records and statistics.
    let sweeper = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        let mut minutes = 0u64;
        loop {
            tick.tick().await;
            portail_web::housekeeping::flush_audience(&sweep_state).await;
            if minutes.is_multiple_of(60) {
                if let Err(err) = store.delete_expired_sessions(sweep_state.now()).await {
                    tracing::warn!(error = %err, "expired session sweep failed");
                }
                portail_web::housekeeping::enforce_retention(&sweep_state).await;
            }
            minutes += 1;
        }
    });
    portail_web::serve(listener, state.clone(), shutdown_signal()).await.context("server failed")?;
    sweeper.abort();
    portail_web::housekeeping::flush_audience(&state).await;
    let _ = stop_worker.send(true);
    let _ = worker.await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
