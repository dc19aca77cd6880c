//! The TradeMaster trading service that the stack runs (`tmctl serve`).
//!
//! Route families: `/api/TradeMaster/*` (wire-compatible with the original service),
//! `/api/v1/*` (web API), `/health`, `/ready`, `/metrics`. All durable state is in the
//! database (PostgreSQL, or SQLite by default); Redis is an optional shared cache.

pub mod algo;
pub mod auth;
pub mod cache;
pub mod config;
pub mod datasets;
pub mod db;
pub mod dynamics;
pub mod error;
pub mod extract;
pub mod jobs;
pub mod metrics;
#[cfg(test)]
mod module_graph;
pub mod ops;
pub mod plot;
pub mod served_by;
pub mod state;
pub mod storage;
pub mod tm_api;
pub mod tokens;
pub mod util;
pub mod web_api;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;

pub use config::ServeConfig;
pub use jobs::worker::Workers;
pub use state::{App, AppState};

/// Opens the database (migrating it), the cache and the token key.
pub async fn connect(config: ServeConfig) -> anyhow::Result<AppState> {
    let db = db::Db::connect(&config.effective_database_url()).await?;
    let cache = match &config.redis_url {
        Some(url) => cache::Cache::redis(url)?,
        None => cache::Cache::memory(),
    }
    .with_namespace(&config.cache_namespace);
    let key = match &config.token_key {
        Some(key) => key.clone(),
        None => shared_token_key(&db).await?,
    };
    tracing::info!(
        database = ?db.dialect,
        cache = cache.backend(),
        "service state connected"
    );
    Ok(Arc::new(App {
        tokens: tokens::TokenKeys::new(key),
        config,
        db,
        cache,
        metrics: metrics::Metrics::default(),
        job_queued: tokio::sync::Notify::new(),
    }))
}

/// Without a configured key, replicas share one generated key kept in the database.
async fn shared_token_key(db: &db::Db) -> anyhow::Result<Vec<u8>> {
    let candidate = format!("{}{}", util::new_id(), util::new_id());
    let key = storage::settings::token_key_or_insert(db, &candidate).await?;
    tracing::warn!(
        "no token key configured (TMCTL_TOKEN_KEY); using the one generated in the database"
    );
    Ok(key.into_bytes())
}

/// The HTTP routes of the service.
pub fn router(app: AppState) -> Router {
    let served_by = served_by::header_value();
    Router::new()
        .route("/health", get(ops::health))
        .route("/ready", get(ops::ready))
        .route("/metrics", get(ops::metrics))
        .nest("/api/TradeMaster", tm_api::router(&app))
        .nest("/api/v1", web_api::router(&app))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            ops::track,
        ))
        .layer(axum::middleware::from_fn(move |request, next| {
            served_by::add_header(served_by.clone(), request, next)
        }))
        .with_state(app)
}

async fn not_found() -> error::ApiError {
    error::ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

/// A name for this replica's workers in leases and logs.
fn worker_name() -> String {
    format!(
        "{}-{}-{}",
        util::hostname(),
        std::process::id(),
        &util::new_id()[..8]
    )
}

/// Serves until SIGTERM or Ctrl-C: then stops taking jobs, finishes in-flight requests and
/// gives the leases of running jobs back to the queue.
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let listen = config.listen;
    let app = connect(config).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    serve_on(listener, app, shutdown_signal()).await
}

/// Serves `app` on `listener` with this replica's job workers until `shutdown` completes.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    app: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let workers = Workers::spawn(app.clone(), worker_name(), app.config.worker_concurrency);
    let sweeper = tokio::spawn(sweep_abandoned_uploads(app.clone()));
    tracing::info!(listen = ?listener.local_addr().ok(), "serving");
    // Answers are written whole; Nagle's algorithm would only hold the last segment back.
    let listener = listener.tap_io(|stream| {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    let served = axum::serve(
        listener,
        router(app.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: no new jobs, finishing requests");
    })
    .await;
    sweeper.abort();
    workers.shutdown().await;
    app.db.close().await;
    served?;
    Ok(())
}

async fn sweep_abandoned_uploads(app: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        match datasets::store::sweep_abandoned(&app.db, 3600 * 1000).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "removed unfinished uploads"),
            Err(e) => tracing::warn!(error = %e, "cannot sweep unfinished uploads"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
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
}
