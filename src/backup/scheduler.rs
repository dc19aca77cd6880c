//! `backup schedule`: runs on a cron schedule, one at a time, with one catch-up run after
//! downtime, pruning after each good run; serves /metrics and /health.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use bollard::Docker;
use chrono::{DateTime, Utc};

use super::catalog::{Catalog, Outcome};
use super::error::BackupError;
use super::prune::prune;
use super::retention::Retention;
use super::run::{self, RunSettings};
use crate::schedule::CronSchedule;

#[derive(Debug, Default, Clone)]
pub struct Metrics {
    /// When the last good backup finished.
    pub last_success: Option<DateTime<Utc>>,
    pub last_duration_ms: u64,
    pub last_size: u64,
    pub failures_total: u64,
    pub runs_total: u64,
}

pub struct Scheduler {
    pub settings: RunSettings,
    pub schedule: CronSchedule,
    pub retention: Retention,
    pub started: DateTime<Utc>,
    pub metrics: Mutex<Metrics>,
}

impl Scheduler {
    pub fn new(
        settings: RunSettings,
        schedule: CronSchedule,
        retention: Retention,
    ) -> Result<Self, BackupError> {
        let catalog = Catalog::load(&settings.dir)?;
        let metrics = match catalog.latest_good() {
            Some(good) => Metrics {
                last_success: Some(good.finished_at()),
                last_duration_ms: good.duration_ms,
                last_size: good.size,
                ..Metrics::default()
            },
            None => Metrics::default(),
        };
        Ok(Scheduler {
            settings,
            schedule,
            retention,
            started: Utc::now(),
            metrics: Mutex::new(metrics),
        })
    }

    fn period(&self, at: DateTime<Utc>) -> chrono::Duration {
        self.schedule
            .period_after(at)
            .unwrap_or_else(|| chrono::Duration::days(1))
    }

    fn snapshot(&self) -> Metrics {
        self.metrics
            .lock()
            .map(|metrics| metrics.clone())
            .unwrap_or_default()
    }

    /// Healthy while the last good backup (or, before the first, the scheduler's start)
    /// is at most two periods old.
    pub fn health(&self, now: DateTime<Utc>) -> Result<String, String> {
        let metrics = self.snapshot();
        let reference = metrics.last_success.unwrap_or(self.started);
        let age = now - reference;
        let limit = self.period(now) * 2;
        let what = match metrics.last_success {
            Some(time) => format!("last good backup {}", time.to_rfc3339()),
            None => "no good backup yet".to_owned(),
        };
        if age > limit {
            Err(format!(
                "unhealthy: {what}, {}s ago (limit {}s = two periods)",
                age.num_seconds(),
                limit.num_seconds()
            ))
        } else {
            Ok(format!("ok: {what}"))
        }
    }

    pub fn metrics_text(&self) -> String {
        let metrics = self.snapshot();
        let last_success = metrics
            .last_success
            .map(|time| time.timestamp_millis() as f64 / 1000.0)
            .unwrap_or(0.0);
        format!(
            "# HELP tmctl_backup_last_success_timestamp_seconds Finish time of the last good backup.\n\
             # TYPE tmctl_backup_last_success_timestamp_seconds gauge\n\
             tmctl_backup_last_success_timestamp_seconds {last_success}\n\
             # HELP tmctl_backup_last_duration_seconds Duration of the last good backup.\n\
             # TYPE tmctl_backup_last_duration_seconds gauge\n\
             tmctl_backup_last_duration_seconds {}\n\
             # HELP tmctl_backup_last_size_bytes Size of the last good backup.\n\
             # TYPE tmctl_backup_last_size_bytes gauge\n\
             tmctl_backup_last_size_bytes {}\n\
             # HELP tmctl_backup_failures_total Failed backup runs since the scheduler started.\n\
             # TYPE tmctl_backup_failures_total counter\n\
             tmctl_backup_failures_total {}\n\
             # HELP tmctl_backup_runs_total Backup runs since the scheduler started.\n\
             # TYPE tmctl_backup_runs_total counter\n\
             tmctl_backup_runs_total {}\n",
            metrics.last_duration_ms as f64 / 1000.0,
            metrics.last_size,
            metrics.failures_total,
            metrics.runs_total,
        )
    }

    /// Whether a run is due at start: the last good backup is older than one period.
    pub fn needs_catch_up(&self, now: DateTime<Utc>) -> bool {
        match self.snapshot().last_success {
            Some(last) => now - last > self.period(last),
            None => true,
        }
    }

    /// One run, then a prune when it was good. Runs are sequential by construction and
    /// the project's backup lock keeps out a manual `backup run` as well.
    pub async fn run_once(&self, docker: &Docker) {
        tracing::info!("backup run starting");
        let outcome = run::run(docker, &self.settings).await;
        let mut good = false;
        if let Ok(mut metrics) = self.metrics.lock() {
            metrics.runs_total += 1;
            match &outcome {
                Ok(record) if record.outcome == Outcome::Ok => {
                    metrics.last_success = Some(record.finished_at());
                    metrics.last_duration_ms = record.duration_ms;
                    metrics.last_size = record.size;
                    good = true;
                }
                _ => metrics.failures_total += 1,
            }
        }
        match outcome {
            Ok(record) if good => tracing::info!(
                "backup {} run done: {} bytes in {} ms",
                record.id,
                record.size,
                record.duration_ms
            ),
            Ok(record) => tracing::error!(
                "backup {} run failed: {}",
                record.id,
                record.error.unwrap_or_default()
            ),
            Err(error) => tracing::error!("backup run failed: {error}"),
        }
        if good {
            let pruned = crate::lock::file::acquire(
                &self.settings.dir,
                &self.settings.project,
                "tmctl backup prune",
                std::time::Duration::from_secs(60),
            )
            .map_err(BackupError::from)
            .and_then(|_lock| {
                prune(
                    &self.settings.dir,
                    self.retention,
                    self.schedule.timezone,
                    true,
                )
            });
            match pruned {
                Ok(decision) if !decision.delete.is_empty() => {
                    tracing::info!("pruned {} backup(s)", decision.delete.len())
                }
                Ok(_) => {}
                Err(error) => tracing::error!("prune failed: {error}"),
            }
        }
    }

    /// Runs until the process is stopped.
    pub async fn run_forever(self: Arc<Self>, docker: Docker) {
        if self.needs_catch_up(Utc::now()) {
            tracing::info!("the last good backup is older than one period: catching up now");
            self.run_once(&docker).await;
        }
        loop {
            let now = Utc::now();
            let Some(next) = self.schedule.next_after(now) else {
                tracing::error!(
                    "the schedule `{}` has no further runs",
                    self.schedule.expression
                );
                return;
            };
            tracing::debug!("next backup at {}", next.to_rfc3339());
            let wait = (next - now).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
            self.run_once(&docker).await;
        }
    }
}

async fn health(State(scheduler): State<Arc<Scheduler>>) -> (StatusCode, String) {
    match scheduler.health(Utc::now()) {
        Ok(text) => (StatusCode::OK, text),
        Err(text) => (StatusCode::SERVICE_UNAVAILABLE, text),
    }
}

async fn metrics(State(scheduler): State<Arc<Scheduler>>) -> String {
    scheduler.metrics_text()
}

/// Serves /health and /metrics on `listen` until the process stops.
pub async fn serve(scheduler: Arc<Scheduler>, listen: SocketAddr) -> Result<(), BackupError> {
    let app = Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .with_state(scheduler);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| BackupError::Io {
            action: "cannot listen on",
            path: listen.to_string().into(),
            source,
        })?;
    axum::serve(listener, app)
        .await
        .map_err(|source| BackupError::Io {
            action: "cannot serve on",
            path: listen.to_string().into(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::units::Compression;

    fn scheduler(dir: &std::path::Path) -> Scheduler {
        Scheduler::new(
            RunSettings {
                project: "tm-x".to_owned(),
                dir: dir.to_path_buf(),
                database_service: "postgres".to_owned(),
                compression: Compression::Gzip(3),
                lock_wait: std::time::Duration::ZERO,
                progress: None,
            },
            CronSchedule::parse("*/2 * * * * *", "UTC").unwrap(),
            Retention {
                keep_daily: 1,
                keep_weekly: 0,
                keep_monthly: 0,
            },
        )
        .unwrap()
    }

    #[test]
    fn health_fails_two_periods_after_the_last_good_backup() {
        let dir = tempfile::tempdir().unwrap();
        let scheduler = scheduler(dir.path());
        let now = Utc::now();
        // No backup yet: measured from the scheduler's start.
        assert!(scheduler.health(scheduler.started).is_ok());
        assert!(scheduler.needs_catch_up(now));
        scheduler.metrics.lock().unwrap().last_success = Some(now);
        assert!(!scheduler.needs_catch_up(now + chrono::Duration::seconds(1)));
        assert!(scheduler.needs_catch_up(now + chrono::Duration::seconds(3)));
        assert!(scheduler.health(now + chrono::Duration::seconds(4)).is_ok());
        let error = scheduler
            .health(now + chrono::Duration::seconds(5))
            .unwrap_err();
        assert!(error.contains("two periods"), "{error}");
    }

    #[test]
    fn metrics_name_the_last_success_duration_size_and_failures() {
        let dir = tempfile::tempdir().unwrap();
        let scheduler = scheduler(dir.path());
        {
            let mut metrics = scheduler.metrics.lock().unwrap();
            metrics.last_size = 1234;
            metrics.failures_total = 2;
            metrics.last_duration_ms = 1500;
        }
        let text = scheduler.metrics_text();
        assert!(
            text.contains("tmctl_backup_last_size_bytes 1234\n"),
            "{text}"
        );
        assert!(text.contains("tmctl_backup_failures_total 2\n"), "{text}");
        assert!(
            text.contains("tmctl_backup_last_duration_seconds 1.5\n"),
            "{text}"
        );
        assert!(
            text.contains("tmctl_backup_last_success_timestamp_seconds 0\n"),
            "{text}"
        );
    }
}
