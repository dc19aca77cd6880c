//! What the executor reports while it works: one event per step started, finished or
//! failed. Commands print them (JSON lines with `--json`, lines or progress otherwise).

use serde::Serialize;

use super::plan::{Step, StepId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Started,
    Finished,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepEvent {
    pub event: &'static str,
    pub status: StepStatus,
    pub step: StepId,
    pub action: String,
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica: Option<u32>,
    pub cause: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl StepEvent {
    pub fn new(step: &Step, status: StepStatus, replica: Option<u32>) -> StepEvent {
        StepEvent {
            event: "step",
            status,
            step: step.id,
            action: step.action.describe(),
            target: step.action.target().to_owned(),
            service: step.service.clone(),
            replica,
            cause: step.cause.to_string(),
            duration_ms: None,
            message: None,
        }
    }
}

/// Receives the executor's events; must not block for long.
pub trait EventSink: Send + Sync {
    fn emit(&self, event: &StepEvent);
}

/// Drops every event.
pub struct Quiet;

impl EventSink for Quiet {
    fn emit(&self, _: &StepEvent) {}
}
