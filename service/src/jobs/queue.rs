//! The job queue in SQL. Every state change is one statement guarded by the state (and, for
//! running jobs, by the lease owner), so replicas racing on a job cannot both win.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{JobInput, JobKind, JobOutput};
use crate::db::{opt, Db};
use crate::util::{new_id, now_ms};

/// A new job's links and input (its kind is the input's).
#[derive(Debug, Clone)]
pub struct NewJob {
    pub input: JobInput,
    pub owner_id: Option<String>,
    pub session_id: Option<String>,
    pub strategy_id: Option<String>,
    pub max_attempts: i64,
    /// Queue at once, or wait in `created` for a start.
    pub queue_now: bool,
}

/// A job a worker holds the lease of.
#[derive(Debug, Clone)]
pub struct LeasedJob {
    pub id: String,
    pub input: JobInput,
    pub attempts: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobStatus {
    pub id: String,
    pub kind: String,
    pub state: String,
    pub strategy_id: Option<String>,
    pub progress: f64,
    pub attempts: i64,
    pub max_attempts: i64,
    pub error: Option<String>,
    pub cancel_requested: bool,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heartbeat {
    Kept,
    CancelRequested,
    /// The lease expired and went to someone else (or the job is gone).
    Lost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    Cancelled,
    Requested,
    AlreadyFinished,
    NotFound,
}

const STATUS_COLUMNS: &str =
    "id, kind, state, strategy_id, progress, attempts, max_attempts, error, \
     cancel_requested, created_at, started_at, finished_at";

fn status_from_row(row: &AnyRow) -> Result<JobStatus, sqlx::Error> {
    Ok(JobStatus {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        state: row.try_get("state")?,
        strategy_id: opt(row, "strategy_id")?,
        progress: row.try_get("progress")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        error: opt(row, "error")?,
        cancel_requested: row.try_get::<i64, _>("cancel_requested")? != 0,
        created_at: row.try_get("created_at")?,
        started_at: opt(row, "started_at")?,
        finished_at: opt(row, "finished_at")?,
    })
}

pub async fn create(db: &Db, job: NewJob) -> Result<String, sqlx::Error> {
    let id = new_id();
    let now = now_ms();
    let (state, queued_at) = if job.queue_now {
        ("queued", Some(now))
    } else {
        ("created", None)
    };
    sqlx::query(
        "INSERT INTO jobs (id, owner_id, session_id, strategy_id, kind, state, payload, max_attempts, created_at, queued_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&id)
    .bind(job.owner_id)
    .bind(job.session_id)
    .bind(job.strategy_id)
    .bind(job.input.kind().as_str())
    .bind(state)
    .bind(job.input.to_stored())
    .bind(job.max_attempts)
    .bind(now)
    .bind(queued_at)
    .execute(db.writer())
    .await?;
    Ok(id)
}

/// Moves a `created` job (or a finished one, to run it again) into the queue.
pub async fn enqueue(db: &Db, id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'queued', queued_at = $1, attempts = 0, error = NULL, progress = 0, \
         cancel_requested = 0, finished_at = NULL \
         WHERE id = $2 AND state IN ('created', 'failed', 'cancelled')",
    )
    .bind(now_ms())
    .bind(id)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Takes the oldest queued job for `worker` until `now + lease_ms`.
pub async fn lease(db: &Db, worker: &str, lease_ms: i64) -> Result<Option<LeasedJob>, sqlx::Error> {
    let now = now_ms();
    let sql = format!(
        "UPDATE jobs SET state = 'running', lease_owner = $1, lease_expires_at = $2, heartbeat_at = $3, \
         attempts = attempts + 1, started_at = COALESCE(started_at, $3) \
         WHERE state = 'queued' AND id = (SELECT id FROM jobs WHERE state = 'queued' \
         ORDER BY queued_at, id LIMIT 1 {}) \
         RETURNING id, kind, payload, attempts",
        db.skip_locked()
    );
    let row = sqlx::query(&sql)
        .bind(worker)
        .bind(now + lease_ms)
        .bind(now)
        .fetch_optional(db.writer())
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let id: String = row.try_get("id")?;
    let kind_text: String = row.try_get("kind")?;
    let payload_text: String = row.try_get("payload")?;
    let attempts: i64 = row.try_get("attempts")?;
    append_log(
        db,
        &id,
        &format!("attempt {attempts} started on worker {worker}"),
    )
    .await?;
    let Some(kind) = JobKind::parse(&kind_text) else {
        fail(db, &id, worker, &format!("unknown job kind {kind_text:?}")).await?;
        return Ok(None);
    };
    let input = match JobInput::from_stored(kind, &payload_text) {
        Ok(input) => input,
        Err(e) => {
            let message = e.to_string();
            append_log(db, &id, &format!("error: {message}")).await?;
            fail(db, &id, worker, &message).await?;
            return Ok(None);
        }
    };
    Ok(Some(LeasedJob {
        id,
        input,
        attempts,
    }))
}

/// Extends the lease and stores progress; tells the worker whether to go on.
pub async fn heartbeat(
    db: &Db,
    id: &str,
    worker: &str,
    lease_ms: i64,
    progress: Option<f64>,
) -> Result<Heartbeat, sqlx::Error> {
    let now = now_ms();
    let row = sqlx::query(
        "UPDATE jobs SET lease_expires_at = $1, heartbeat_at = $2, progress = COALESCE($3, progress) \
         WHERE id = $4 AND state = 'running' AND lease_owner = $5 RETURNING cancel_requested",
    )
    .bind(now + lease_ms)
    .bind(now)
    .bind(progress)
    .bind(id)
    .bind(worker)
    .fetch_optional(db.writer())
    .await?;
    Ok(match row {
        None => Heartbeat::Lost,
        Some(row) if row.try_get::<i64, _>("cancel_requested")? != 0 => Heartbeat::CancelRequested,
        Some(_) => Heartbeat::Kept,
    })
}

pub async fn append_log(db: &Db, id: &str, line: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO job_logs (job_id, at, line) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(now_ms())
        .bind(line)
        .execute(db.writer())
        .await
        .map(|_| ())
}

/// Stores the output and marks the job succeeded, if `worker` still holds it.
pub async fn complete(
    db: &Db,
    id: &str,
    worker: &str,
    output: &JobOutput,
) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let mut tx = db.writer().begin().await?;
    let done = sqlx::query(
        "UPDATE jobs SET state = 'succeeded', progress = 1, finished_at = $1, lease_owner = NULL, \
         lease_expires_at = NULL WHERE id = $2 AND state = 'running' AND lease_owner = $3",
    )
    .bind(now)
    .bind(id)
    .bind(worker)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    sqlx::query("DELETE FROM results WHERE job_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM plots WHERE job_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO results (job_id, metrics, equity_curve, extra, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(output.metrics.to_string())
    .bind(serde_json::to_string(&output.equity_curve).unwrap_or_else(|_| "[]".into()))
    .bind(output.extra.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    for (name, png) in &output.plots {
        sqlx::query("INSERT INTO plots (job_id, name, png) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(name)
            .bind(png.clone())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Marks a held job failed for good (errors of the job itself are not retried).
pub async fn fail(db: &Db, id: &str, worker: &str, error: &str) -> Result<bool, sqlx::Error> {
    finish_held(db, id, worker, "failed", Some(error)).await
}

pub async fn mark_cancelled(db: &Db, id: &str, worker: &str) -> Result<bool, sqlx::Error> {
    finish_held(db, id, worker, "cancelled", None).await
}

async fn finish_held(
    db: &Db,
    id: &str,
    worker: &str,
    state: &str,
    error: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET state = $1, error = $2, finished_at = $3, lease_owner = NULL, lease_expires_at = NULL \
         WHERE id = $4 AND state = 'running' AND lease_owner = $5",
    )
    .bind(state)
    .bind(error)
    .bind(now_ms())
    .bind(id)
    .bind(worker)
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Puts a held job back in the queue without counting the attempt (graceful shutdown).
pub async fn release(db: &Db, id: &str, worker: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_expires_at = NULL, \
         attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, queued_at = $1 \
         WHERE id = $2 AND state = 'running' AND lease_owner = $3",
    )
    .bind(now_ms())
    .bind(id)
    .bind(worker)
    .execute(db.writer())
    .await?;
    if done.rows_affected() > 0 {
        append_log(
            db,
            id,
            &format!("released by worker {worker} (shutting down); queued again"),
        )
        .await?;
    }
    Ok(done.rows_affected() > 0)
}

/// Jobs whose worker stopped heart-beating: queued again, or failed once out of attempts.
/// Returns (requeued, failed).
pub async fn requeue_expired(db: &Db) -> Result<(u64, u64), sqlx::Error> {
    let now = now_ms();
    let expired: Vec<(String, i64, i64, i64)> = sqlx::query(
        "SELECT id, attempts, max_attempts, cancel_requested FROM jobs WHERE state = 'running' AND lease_expires_at < $1",
    )
    .bind(now)
    .fetch_all(db.reader())
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get("id")?,
            r.try_get("attempts")?,
            r.try_get("max_attempts")?,
            r.try_get("cancel_requested")?,
        ))
    })
    .collect::<Result<_, sqlx::Error>>()?;
    let (mut requeued, mut failed) = (0, 0);
    for (id, attempts, max_attempts, cancel_requested) in expired {
        let (state, error, line) = if cancel_requested != 0 {
            (
                "cancelled",
                None,
                "lease expired while cancelling; cancelled".to_string(),
            )
        } else if attempts >= max_attempts {
            let error = format!("the worker stopped responding on each of {attempts} attempts");
            ("failed", Some(error.clone()), error)
        } else {
            (
                "queued",
                None,
                format!("lease expired on attempt {attempts}; queued again"),
            )
        };
        // The lease check in the WHERE clause makes a racing replica's update a no-op.
        let done = sqlx::query(
            "UPDATE jobs SET state = $1, error = $2, lease_owner = NULL, lease_expires_at = NULL, \
             queued_at = CASE WHEN $1 = 'queued' THEN $3 ELSE queued_at END, \
             finished_at = CASE WHEN $1 = 'queued' THEN NULL ELSE $3 END \
             WHERE id = $4 AND state = 'running' AND lease_expires_at < $3",
        )
        .bind(state)
        .bind(error)
        .bind(now)
        .bind(&id)
        .execute(db.writer())
        .await?;
        if done.rows_affected() > 0 {
            append_log(db, &id, &line).await?;
            if state == "queued" {
                requeued += 1;
            } else {
                failed += 1;
            }
        }
    }
    Ok((requeued, failed))
}

/// Cancels a job that is not running, or asks its worker to stop.
pub async fn cancel(db: &Db, id: &str) -> Result<CancelOutcome, sqlx::Error> {
    let now = now_ms();
    let waiting = sqlx::query(
        "UPDATE jobs SET state = 'cancelled', finished_at = $1 WHERE id = $2 AND state IN ('created', 'queued')",
    )
    .bind(now)
    .bind(id)
    .execute(db.writer())
    .await?;
    if waiting.rows_affected() > 0 {
        append_log(db, id, "cancelled before it ran").await?;
        return Ok(CancelOutcome::Cancelled);
    }
    let running =
        sqlx::query("UPDATE jobs SET cancel_requested = 1 WHERE id = $1 AND state = 'running'")
            .bind(id)
            .execute(db.writer())
            .await?;
    if running.rows_affected() > 0 {
        append_log(db, id, "cancel requested").await?;
        return Ok(CancelOutcome::Requested);
    }
    let exists = sqlx::query("SELECT 1 AS one FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_optional(db.reader())
        .await?;
    Ok(if exists.is_some() {
        CancelOutcome::AlreadyFinished
    } else {
        CancelOutcome::NotFound
    })
}

pub async fn status(db: &Db, id: &str) -> Result<Option<JobStatus>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {STATUS_COLUMNS} FROM jobs WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.reader())
        .await?;
    row.as_ref().map(status_from_row).transpose()
}

pub async fn status_owned(
    db: &Db,
    owner_id: &str,
    id: &str,
) -> Result<Option<JobStatus>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {STATUS_COLUMNS} FROM jobs WHERE id = $1 AND owner_id = $2"
    ))
    .bind(id)
    .bind(owner_id)
    .fetch_optional(db.reader())
    .await?;
    row.as_ref().map(status_from_row).transpose()
}

pub async fn list_owned(db: &Db, owner_id: &str) -> Result<Vec<JobStatus>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {STATUS_COLUMNS} FROM jobs WHERE owner_id = $1 ORDER BY created_at, id"
    ))
    .bind(owner_id)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(status_from_row).collect()
}

/// The newest job of a kind in a TradeMaster session.
pub async fn latest_of_session(
    db: &Db,
    session_id: &str,
    kind: JobKind,
) -> Result<Option<JobStatus>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {STATUS_COLUMNS} FROM jobs WHERE session_id = $1 AND kind = $2 ORDER BY created_at DESC, id DESC LIMIT 1"
    ))
    .bind(session_id)
    .bind(kind.as_str())
    .fetch_optional(db.reader())
    .await?;
    row.as_ref().map(status_from_row).transpose()
}

/// Log lines after line number `after` (1-based numbering per job), at most `limit`.
pub async fn logs(
    db: &Db,
    id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, i64, String)>, sqlx::Error> {
    let rows = sqlx::query("SELECT at, line FROM job_logs WHERE job_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(db.reader())
        .await?;
    rows.iter()
        .enumerate()
        .skip(after.max(0) as usize)
        .take(limit.max(0) as usize)
        .map(|(n, row)| Ok((n as i64 + 1, row.try_get("at")?, row.try_get("line")?)))
        .collect()
}

/// The strategy's newest succeeded training job.
pub async fn latest_training_of_strategy(
    db: &Db,
    strategy_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id FROM jobs WHERE strategy_id = $1 AND kind = 'train' AND state = 'succeeded' \
         ORDER BY finished_at DESC LIMIT 1",
    )
    .bind(strategy_id)
    .fetch_optional(db.reader())
    .await?;
    row.map(|r| r.try_get("id")).transpose()
}

pub async fn has_active_jobs_of_strategy(db: &Db, strategy_id: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(
        "SELECT 1 AS one FROM jobs WHERE strategy_id = $1 AND state IN ('queued', 'running') LIMIT 1",
    )
    .bind(strategy_id)
    .fetch_optional(db.reader())
    .await?;
    Ok(row.is_some())
}

/// Number of jobs in each state, for /metrics.
pub async fn counts_by_state(db: &Db) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")
        .fetch_all(db.reader())
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("state")?, r.try_get("n")?)))
        .collect()
}

/// When the longest-waiting queued job was queued (milliseconds since the epoch), if any.
pub async fn oldest_queued_at(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query("SELECT MIN(queued_at) AS oldest FROM jobs WHERE state = 'queued'")
        .fetch_one(&db.pool)
        .await?;
    row.try_get("oldest")
}

/// Results of a succeeded job: metrics, equity curve, extra, and plot names.
pub async fn result(
    db: &Db,
    id: &str,
) -> Result<Option<(Value, Value, Value, Vec<String>)>, sqlx::Error> {
    let Some(row) =
        sqlx::query("SELECT metrics, equity_curve, extra FROM results WHERE job_id = $1")
            .bind(id)
            .fetch_optional(db.reader())
            .await?
    else {
        return Ok(None);
    };
    let parse = |column: &str| -> Result<Value, sqlx::Error> {
        let text: String = row.try_get(column)?;
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    };
    let plots = sqlx::query("SELECT name FROM plots WHERE job_id = $1 ORDER BY name")
        .bind(id)
        .fetch_all(db.reader())
        .await?
        .iter()
        .map(|r| r.try_get("name"))
        .collect::<Result<_, _>>()?;
    Ok(Some((
        parse("metrics")?,
        parse("equity_curve")?,
        parse("extra")?,
        plots,
    )))
}

pub async fn plot(db: &Db, id: &str, name: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
    let row = sqlx::query("SELECT png FROM plots WHERE job_id = $1 AND name = $2")
        .bind(id)
        .bind(name)
        .fetch_optional(db.reader())
        .await?;
    row.map(|r| r.try_get("png")).transpose()
}
