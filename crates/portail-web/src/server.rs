//! Serving the router on a socket, so that the binary needs no HTTP crate of its own.

use crate::app::AppState;
use std::future::Future;
use std::net::SocketAddr;

/// Serves every portal on `listener` until `shutdown` completes, then drains open requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = crate::router(app);
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
