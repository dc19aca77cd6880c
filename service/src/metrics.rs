//! Prometheus text exposition: request counts and latency per route, jobs by state, queue
//! depth, database pool usage, cache reachability.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
}

#[derive(Default, Clone)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests
                .entry((method.to_string(), route.to_string(), status))
                .or_default() += 1;
        }
        if let Ok(mut latency) = self.latency.lock() {
            let histogram = latency
                .entry((method.to_string(), route.to_string()))
                .or_insert_with(|| Histogram {
                    counts: vec![0; BUCKETS.len()],
                    ..Histogram::default()
                });
            for (count, bound) in histogram.counts.iter_mut().zip(BUCKETS) {
                if seconds <= *bound {
                    *count += 1;
                }
            }
            histogram.sum += seconds;
            histogram.count += 1;
        }
    }

    fn render_http(&self, out: &mut String) {
        out.push_str(
            "# HELP tmctl_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE tmctl_http_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((method, route, status), n) in requests.iter() {
                let _ = writeln!(
                    out,
                    "tmctl_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP tmctl_http_request_duration_seconds HTTP request latency by method and route.\n");
        out.push_str("# TYPE tmctl_http_request_duration_seconds histogram\n");
        if let Ok(latency) = self.latency.lock() {
            for ((method, route), h) in latency.iter() {
                let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
                for (bound, count) in BUCKETS.iter().zip(&h.counts) {
                    let _ = writeln!(out, "tmctl_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}");
                }
                let _ = writeln!(
                    out,
                    "tmctl_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(
                    out,
                    "tmctl_http_request_duration_seconds_sum{{{labels}}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "tmctl_http_request_duration_seconds_count{{{labels}}} {}",
                    h.count
                );
            }
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware: times every request under its route pattern (not the raw path, so ids do
/// not explode the label set).
pub async fn track(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(request).await;
    app.metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

pub async fn render(State(app): State<AppState>) -> Response {
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
