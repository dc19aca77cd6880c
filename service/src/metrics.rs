//! Request counts and latency per route, kept for the Prometheus text exposition that
//! `ops` serves at `/metrics` (with jobs by state, queue depth, pool usage and the cache).

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use axum::http::Method;

const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
const METHODS: [Method; 8] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
    Method::HEAD,
    Method::OPTIONS,
    Method::TRACE,
];
/// Status codes 100..=599 each get a counter.
const FIRST_STATUS: u16 = 100;
const STATUS_SLOTS: usize = 500;
pub const UNMATCHED: &str = "unmatched";

/// Request counters and latency histograms per route pattern and method. The hot path
/// takes a read lock and bumps atomics; it allocates only the first time a route is seen.
#[derive(Default)]
pub struct Metrics {
    routes: RwLock<HashMap<Arc<str>, Arc<RouteStats>>>,
}

#[derive(Default)]
struct RouteStats {
    by_method: [OnceLock<Box<MethodStats>>; METHODS.len()],
}

struct MethodStats {
    statuses: [AtomicU64; STATUS_SLOTS],
    /// Cumulative: bucket i counts requests at or under BUCKETS[i].
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    total_nanos: AtomicU64,
}

impl MethodStats {
    fn new() -> Self {
        MethodStats {
            statuses: std::array::from_fn(|_| AtomicU64::new(0)),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            total_nanos: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    pub fn observe(&self, method: &Method, route: &str, status: u16, elapsed: std::time::Duration) {
        let Some(method_index) = METHODS.iter().position(|m| m == method) else {
            return;
        };
        let Some(route_stats) = self.route(route) else {
            return;
        };
        let stats =
            route_stats.by_method[method_index].get_or_init(|| Box::new(MethodStats::new()));
        let slot = usize::from(status.saturating_sub(FIRST_STATUS)).min(STATUS_SLOTS - 1);
        stats.statuses[slot].fetch_add(1, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        for (count, bound) in stats.buckets.iter().zip(BUCKETS) {
            if seconds <= *bound {
                count.fetch_add(1, Ordering::Relaxed);
            }
        }
        stats.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        stats.total_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    fn route(&self, route: &str) -> Option<Arc<RouteStats>> {
        if let Some(found) = self.routes.read().ok()?.get(route) {
            return Some(found.clone());
        }
        let mut routes = self.routes.write().ok()?;
        Some(routes.entry(Arc::from(route)).or_default().clone())
    }

    /// Appends the HTTP counters and histograms in the text exposition format.
    pub fn render_http(&self, out: &mut String) {
        let mut routes: Vec<(Arc<str>, Arc<RouteStats>)> = match self.routes.read() {
            Ok(routes) => routes.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Err(_) => Vec::new(),
        };
        routes.sort_by(|a, b| a.0.cmp(&b.0));
        out.push_str(
            "# HELP tmctl_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE tmctl_http_requests_total counter\n");
        for (route, stats) in &routes {
            for (method, s) in used_methods(stats) {
                for (slot, n) in s.statuses.iter().enumerate() {
                    let n = n.load(Ordering::Relaxed);
                    if n > 0 {
                        let status = usize::from(FIRST_STATUS) + slot;
                        let _ = writeln!(
                            out,
                            "tmctl_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                            escape(route)
                        );
                    }
                }
            }
        }
        out.push_str("# HELP tmctl_http_request_duration_seconds HTTP request latency by method and route.\n");
        out.push_str("# TYPE tmctl_http_request_duration_seconds histogram\n");
        for (route, stats) in &routes {
            for (method, s) in used_methods(stats) {
                let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
                for (bound, count) in BUCKETS.iter().zip(&s.buckets) {
                    let count = count.load(Ordering::Relaxed);
                    let _ = writeln!(out, "tmctl_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}");
                }
                let count = s.count.load(Ordering::Relaxed);
                let sum = s.total_nanos.load(Ordering::Relaxed) as f64 / 1e9;
                let _ = writeln!(
                    out,
                    "tmctl_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
                );
                let _ = writeln!(
                    out,
                    "tmctl_http_request_duration_seconds_sum{{{labels}}} {sum}"
                );
                let _ = writeln!(
                    out,
                    "tmctl_http_request_duration_seconds_count{{{labels}}} {count}"
                );
            }
        }
    }
}

/// The methods a route has seen, with their counters.
fn used_methods(stats: &RouteStats) -> Vec<(&'static str, &MethodStats)> {
    METHODS
        .iter()
        .zip(&stats.by_method)
        .filter_map(|(method, slot)| slot.get().map(|s| (method.as_str(), &**s)))
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
