//! The one place where jobs meet the algorithm library: trading environments, agents,
//! metrics ([`crate::algo`]), market-dynamics labeling ([`crate::dynamics`]) and charts
//! ([`crate::plot`]). CPU-heavy work runs on the blocking thread pool.

mod catalog;
mod data;
mod label;
mod trading;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::{JobInput, JobKind};
use crate::db::Db;

pub use super::JobOutput;

pub use catalog::{catalog, BuiltinDataset, Catalog};

/// Shown by getParameters when the catalog offers no agents.
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

impl From<crate::algo::AlgoError> for ExecError {
    fn from(error: crate::algo::AlgoError) -> Self {
        match error {
            crate::algo::AlgoError::Cancelled { .. } => ExecError::Cancelled,
            other => ExecError::Failed(other.to_string()),
        }
    }
}

impl From<crate::dynamics::DynamicsError> for ExecError {
    fn from(error: crate::dynamics::DynamicsError) -> Self {
        ExecError::Failed(format!("market dynamics labeling: {error}"))
    }
}

impl From<crate::plot::PlotError> for ExecError {
    fn from(error: crate::plot::PlotError) -> Self {
        ExecError::Failed(error.to_string())
    }
}

impl From<sqlx::Error> for ExecError {
    fn from(error: sqlx::Error) -> Self {
        ExecError::Failed(format!("database error: {error}"))
    }
}

/// Why jobs of this kind cannot run here, checked before queueing them: every kind runs.
pub fn unavailable(_kind: JobKind) -> Option<String> {
    None
}

/// Runs CPU-bound work on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ExecError> + Send + 'static,
) -> Result<T, ExecError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ExecError::Failed(format!("the job's worker thread failed: {e}")))?
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
pub async fn run(db: &Db, input: &JobInput, ctx: &JobContext) -> Result<JobOutput, ExecError> {
    match input {
        JobInput::Train(input) => trading::run_train(db, input, ctx).await,
        JobInput::Test(input) => trading::run_test(db, input, ctx).await,
        JobInput::Label(input) => label::run_labeling(db, input, ctx).await,
        JobInput::DynamicsTest(input) => label::run_dynamics_test(db, input, ctx).await,
    }
}
