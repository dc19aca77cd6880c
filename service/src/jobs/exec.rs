//! The one place where jobs meet the algorithm library (trading environments, agents,
//! metrics, market-dynamics labeling).
//!
//! This build carries no algorithm library yet, so every job fails with
//! [`ExecError::Unavailable`] and the catalog is empty: the service never reports
//! results it did not compute.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::Value;

use super::JobKind;
use crate::db::Db;

pub const UNAVAILABLE: &str = "algorithms are not available in this build";

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("{UNAVAILABLE} (cannot run a {0} job)")]
    Unavailable(&'static str),
    #[error("invalid job input: {0}")]
    Input(String),
    #[error("{0}")]
    Failed(String),
    #[error("cancelled")]
    Cancelled,
}

/// What this build can train and label: the source of getParameters.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Catalog {
    pub tasks: Vec<String>,
    /// Qualified `"<task>:<agent>"` names.
    pub agents: Vec<String>,
    pub optimizers: Vec<String>,
    pub losses: Vec<String>,
    /// Built-in datasets, qualified `"<task>:<name>"`, with their date ranges.
    pub datasets: Vec<BuiltinDataset>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BuiltinDataset {
    pub name: String,
    pub start_date: String,
    pub end_date: String,
}

pub fn catalog() -> Catalog {
    Catalog::default()
}

/// Why jobs of this kind cannot run here, checked before queueing them.
pub fn unavailable(kind: JobKind) -> Option<String> {
    Some(ExecError::Unavailable(kind.as_str()).to_string())
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

/// How a running job reports back: log lines and progress go to the database with the
/// next heartbeat; `cancelled` turns true when the job should stop.
#[derive(Debug, Clone, Default)]
pub struct JobContext {
    pending: Arc<Mutex<Pending>>,
    cancel: Arc<AtomicBool>,
}

#[derive(Debug, Default)]
struct Pending {
    lines: Vec<String>,
    progress: Option<f64>,
}

impl JobContext {
    pub fn log(&self, line: impl Into<String>) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.lines.push(line.into());
        }
    }

    /// Fraction done, 0 to 1.
    pub fn progress(&self, fraction: f64) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.progress = Some(fraction.clamp(0.0, 1.0));
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    pub(crate) fn request_cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Log lines and progress reported since the last call.
    pub(crate) fn drain(&self) -> (Vec<String>, Option<f64>) {
        match self.pending.lock() {
            Ok(mut pending) => (std::mem::take(&mut pending.lines), pending.progress.take()),
            Err(_) => (Vec::new(), None),
        }
    }
}

/// Runs one job to its output.
pub async fn run(
    _db: &Db,
    kind: JobKind,
    payload: &Value,
    ctx: &JobContext,
) -> Result<JobOutput, ExecError> {
    match kind {
        JobKind::Train => run_train(payload, ctx).await,
        JobKind::Test => run_test(payload, ctx).await,
        JobKind::Label => run_labeling(payload, ctx).await,
        JobKind::DynamicsTest => run_dynamics_test(payload, ctx).await,
    }
}

async fn run_train(_payload: &Value, _ctx: &JobContext) -> Result<JobOutput, ExecError> {
    Err(ExecError::Unavailable(JobKind::Train.as_str()))
}

async fn run_test(_payload: &Value, _ctx: &JobContext) -> Result<JobOutput, ExecError> {
    Err(ExecError::Unavailable(JobKind::Test.as_str()))
}

async fn run_labeling(_payload: &Value, _ctx: &JobContext) -> Result<JobOutput, ExecError> {
    Err(ExecError::Unavailable(JobKind::Label.as_str()))
}

async fn run_dynamics_test(_payload: &Value, _ctx: &JobContext) -> Result<JobOutput, ExecError> {
    Err(ExecError::Unavailable(JobKind::DynamicsTest.as_str()))
}
