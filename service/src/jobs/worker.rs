//! The workers of one replica: lease jobs while there is capacity, run them, heartbeat,
//! and on shutdown stop leasing, stop running jobs and give their leases back.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use super::exec::{self, ExecError, JobContext};
use super::queue::{self, Heartbeat, LeasedJob};
use crate::state::AppState;

const IDLE_POLL: Duration = Duration::from_secs(1);

/// Handle on the running workers of this replica.
pub struct Workers {
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Workers {
    /// Starts leasing jobs as `worker_id`, at most `concurrency` at once.
    pub fn spawn(app: AppState, worker_id: String, concurrency: usize) -> Self {
        let (shutdown, stop) = watch::channel(false);
        let task = tokio::spawn(lease_loop(app, worker_id, concurrency.max(1), stop));
        Workers { shutdown, task }
    }

    /// Stops leasing, ends running jobs and releases their leases, then returns.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "worker loop ended abnormally");
        }
    }
}

async fn lease_loop(
    app: AppState,
    worker_id: String,
    concurrency: usize,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(concurrency));
    let mut running = JoinSet::new();
    let lease_ms = app.config.job_lease.as_millis() as i64;
    tracing::info!(worker = %worker_id, concurrency, "job workers started");
    loop {
        while running.try_join_next().is_some() {}
        if *stop.borrow() {
            break;
        }
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = stop.changed() => break,
        };
        if let Err(e) = queue::requeue_expired(&app.db).await {
            tracing::warn!(error = %e, "cannot requeue expired jobs");
        }
        match queue::lease(&app.db, &worker_id, lease_ms).await {
            Ok(Some(job)) => {
                tracing::info!(job = %job.id, kind = job.input.kind().as_str(), attempt = job.attempts, "job leased");
                let app = app.clone();
                let worker_id = worker_id.clone();
                let stop = stop.clone();
                running.spawn(async move {
                    run_job(&app, &worker_id, job, stop).await;
                    drop(permit);
                });
            }
            Ok(None) => {
                drop(permit);
                tokio::select! {
                    _ = app.job_queued.notified() => {},
                    _ = tokio::time::sleep(IDLE_POLL) => {},
                    _ = stop.changed() => {},
                }
            }
            Err(e) => {
                drop(permit);
                tracing::warn!(error = %e, "cannot lease a job; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(IDLE_POLL * 2) => {},
                    _ = stop.changed() => {},
                }
            }
        }
    }
    // Running jobs see the stop signal themselves and release their leases.
    while running.join_next().await.is_some() {}
    tracing::info!(worker = %worker_id, "job workers stopped");
}

enum Ending {
    Done(Result<exec::JobOutput, ExecError>),
    Cancelled,
    Lost,
    Shutdown,
}

async fn run_job(app: &AppState, worker_id: &str, job: LeasedJob, mut stop: watch::Receiver<bool>) {
    let lease = app.config.job_lease;
    let lease_ms = lease.as_millis() as i64;
    let ctx = JobContext::default();
    let exec_app = app.clone();
    let exec_ctx = ctx.clone();
    let input = job.input.clone();
    let mut execution =
        tokio::spawn(async move { exec::run(&exec_app.db, &input, &exec_ctx).await });
    let mut beat = tokio::time::interval(lease / 3);
    beat.tick().await;
    let ending = loop {
        tokio::select! {
            outcome = &mut execution => {
                break Ending::Done(outcome.unwrap_or_else(|e| Err(ExecError::Failed(format!("the job panicked or was aborted: {e}")))));
            }
            _ = beat.tick() => {
                let (lines, progress) = ctx.drain();
                flush_logs(app, &job.id, &lines).await;
                match queue::heartbeat(&app.db, &job.id, worker_id, lease_ms, progress).await {
                    Ok(Heartbeat::Kept) => {}
                    Ok(Heartbeat::CancelRequested) => break Ending::Cancelled,
                    Ok(Heartbeat::Lost) => break Ending::Lost,
                    Err(e) => tracing::warn!(job = %job.id, error = %e, "heartbeat failed"),
                }
            }
            _ = stop.changed() => break Ending::Shutdown,
        }
    };
    if !matches!(ending, Ending::Done(_)) {
        ctx.request_cancel();
        execution.abort();
    }
    let (lines, _) = ctx.drain();
    flush_logs(app, &job.id, &lines).await;
    let db = &app.db;
    let recorded = match ending {
        Ending::Done(Ok(output)) => queue::complete(db, &job.id, worker_id, &output).await,
        Ending::Done(Err(ExecError::Cancelled)) | Ending::Cancelled => {
            queue::mark_cancelled(db, &job.id, worker_id).await
        }
        Ending::Done(Err(error)) => {
            let message = error.to_string();
            let _ = queue::append_log(db, &job.id, &format!("error: {message}")).await;
            queue::fail(db, &job.id, worker_id, &message).await
        }
        Ending::Lost => {
            tracing::warn!(job = %job.id, "lease lost; another worker owns the job now");
            Ok(false)
        }
        Ending::Shutdown => queue::release(db, &job.id, worker_id).await,
    };
    if let Err(e) = recorded {
        tracing::error!(job = %job.id, error = %e, "cannot record the end of a job; its lease will expire");
    }
    super::forget_cached_status(app, &job.id).await;
}

async fn flush_logs(app: &AppState, job_id: &str, lines: &[String]) {
    for line in lines {
        if let Err(e) = queue::append_log(&app.db, job_id, line).await {
            tracing::warn!(job = %job_id, error = %e, "cannot store a log line");
            break;
        }
    }
}
