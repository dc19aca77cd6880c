//! Training, testing and labeling jobs: durable queue rows, leased by the workers of every
//! replica, with heartbeats, logs and progress kept in the database.

pub mod exec;
pub mod input;
pub mod queue;
pub mod worker;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use input::JobInput;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Train,
    Test,
    Label,
    DynamicsTest,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Train => "train",
            JobKind::Test => "test",
            JobKind::Label => "label",
            JobKind::DynamicsTest => "dynamics_test",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Train, Self::Test, Self::Label, Self::DynamicsTest]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// Job states; `created` jobs wait for an explicit start, `queued` ones for a worker.
pub const STATES: &[&str] = &[
    "created",
    "queued",
    "running",
    "succeeded",
    "failed",
    "cancelled",
];

pub fn is_finished(state: &str) -> bool {
    matches!(state, "succeeded" | "failed" | "cancelled")
}

/// TradeMaster's `error_code` for a job in `state`: 1 once it failed or was cancelled.
pub fn error_code(state: &str) -> i32 {
    i32::from(matches!(state, "failed" | "cancelled"))
}

/// Results of a finished job.
#[derive(Debug, Clone, Default)]
pub struct JobOutput {
    pub metrics: Value,
    pub equity_curve: Vec<f64>,
    /// Named PNG images.
    pub plots: Vec<(String, Vec<u8>)>,
    /// Anything else a later job needs (a trained model, labeled data).
    pub extra: Value,
}

use std::time::Duration;

use crate::state::AppState;

/// Whom a job belongs to: a TradeMaster session (compat routes) or a web API user's
/// strategy.
#[derive(Debug, Clone)]
pub enum JobOwner {
    Session(String),
    Strategy {
        user_id: String,
        strategy_id: String,
    },
}

/// Creates a job (queued at once, or `created` to wait for a start) and wakes this
/// replica's idle workers when it is queued. Both route families submit through here.
pub async fn submit(
    app: &AppState,
    input: JobInput,
    owner: JobOwner,
    queue_now: bool,
) -> Result<String, sqlx::Error> {
    let (owner_id, session_id, strategy_id) = match owner {
        JobOwner::Session(id) => (None, Some(id), None),
        JobOwner::Strategy {
            user_id,
            strategy_id,
        } => (Some(user_id), None, Some(strategy_id)),
    };
    let id = queue::create(
        &app.db,
        queue::NewJob {
            input,
            owner_id,
            session_id,
            strategy_id,
            max_attempts: app.config.job_max_attempts,
            queue_now,
        },
    )
    .await?;
    if queue_now {
        app.job_queued.notify_one();
    }
    Ok(id)
}

const STATUS_TTL: Duration = Duration::from_secs(2);

fn status_key(id: &str) -> String {
    format!("job:{id}:status")
}

/// A job's status through the cache (short-lived: progress moves), else the database.
pub async fn cached_status(
    app: &AppState,
    id: &str,
) -> Result<Option<queue::JobStatus>, sqlx::Error> {
    if let Some(text) = app.cache.get(&status_key(id)).await {
        if let Ok(status) = serde_json::from_str::<queue::JobStatus>(&text) {
            return Ok(Some(status));
        }
    }
    let status = queue::status(&app.db, id).await?;
    if let Some(status) = &status {
        if let Ok(text) = serde_json::to_string(status) {
            app.cache.set(&status_key(id), &text, STATUS_TTL).await;
        }
    }
    Ok(status)
}

/// Drops the cached status after a change, so readers see it at once.
pub async fn forget_cached_status(app: &AppState, id: &str) {
    app.cache.delete(&status_key(id)).await;
}
