//! The operational endpoints: `/health`, `/ready`, `/metrics`, and the middleware that
//! times every request for `/metrics`.

use std::fmt::Write;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::state::AppState;

/// Process alive.
pub async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

/// 200 when the database and the cache answer, 503 naming what does not.
pub async fn ready(State(app): State<AppState>) -> impl IntoResponse {
    let database = match tokio::time::timeout(Duration::from_secs(3), app.db.ping()).await {
        Ok(Ok(())) => "ok".to_string(),
        Ok(Err(e)) => format!("error: {e}"),
        Err(_) => "error: timed out".to_string(),
    };
    let cache = match app.cache.ping().await {
        Ok(()) => "ok".to_string(),
        Err(e) => format!("error: {e}"),
    };
    let ok = database == "ok" && cache == "ok";
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "status": if ok { "ready" } else { "not ready" },
            "database": database,
            "cache": cache,
            "cache_backend": app.cache.backend(),
        })),
    )
}

/// Middleware: times every request under its route pattern (not the raw path, so ids do
/// not explode the label set).
pub async fn track(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    app.metrics.observe(
        &method,
        route
            .as_ref()
            .map_or(crate::metrics::UNMATCHED, MatchedPath::as_str),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// `/metrics`: the Prometheus text exposition.
pub async fn metrics(State(app): State<AppState>) -> Response {
    let mut out = String::new();
    app.metrics.render_http(&mut out);
    out.push_str("# HELP tmctl_jobs Jobs by state.\n# TYPE tmctl_jobs gauge\n");
    let counts = crate::jobs::queue::counts_by_state(&app.db).await;
    let database_up = counts.is_ok();
    let counts = counts.unwrap_or_default();
    for state in crate::jobs::STATES {
        let n = counts
            .iter()
            .find(|(s, _)| s == state)
            .map(|(_, n)| *n)
            .unwrap_or(0);
        let _ = writeln!(out, "tmctl_jobs{{state=\"{state}\"}} {n}");
    }
    let queued = counts
        .iter()
        .find(|(s, _)| s == "queued")
        .map(|(_, n)| *n)
        .unwrap_or(0);
    let _ = writeln!(out, "# HELP tmctl_job_queue_depth Jobs waiting for a worker.\n# TYPE tmctl_job_queue_depth gauge\ntmctl_job_queue_depth {queued}");
    // 0 when nothing waits, so an alert on the age resolves once the queue drains.
    let oldest_age = match crate::jobs::queue::oldest_queued_at(&app.db).await {
        Ok(Some(queued_at)) => {
            (crate::util::now_ms().saturating_sub(queued_at)).max(0) as f64 / 1000.0
        }
        _ => 0.0,
    };
    let _ = writeln!(out, "# HELP tmctl_job_oldest_queued_age_seconds How long the oldest queued job has waited for a worker.\n# TYPE tmctl_job_oldest_queued_age_seconds gauge\ntmctl_job_oldest_queued_age_seconds {oldest_age}");
    let (size, idle) = app.db.pool_usage();
    let _ = writeln!(out, "# HELP tmctl_db_pool_connections Database connections of this replica.\n# TYPE tmctl_db_pool_connections gauge");
    let _ = writeln!(out, "tmctl_db_pool_connections{{state=\"open\"}} {size}");
    let _ = writeln!(out, "tmctl_db_pool_connections{{state=\"idle\"}} {idle}");
    let _ = writeln!(
        out,
        "tmctl_db_pool_connections{{state=\"in_use\"}} {}",
        (size as usize).saturating_sub(idle)
    );
    let _ = writeln!(out, "# HELP tmctl_database_up Whether the last database query of /metrics worked.\n# TYPE tmctl_database_up gauge\ntmctl_database_up {}", u8::from(database_up));
    let cache_up = app.cache.ping().await.is_ok();
    let _ = writeln!(
        out,
        "# HELP tmctl_cache_up Whether the cache answers.\n# TYPE tmctl_cache_up gauge\ntmctl_cache_up{{backend=\"{}\"}} {}",
        app.cache.backend(),
        u8::from(cache_up)
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
