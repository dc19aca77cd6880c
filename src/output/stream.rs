//! The `--json` event stream of long commands that have no execution plan of their own
//! (backups, image builds): each step as it starts and ends, in the executor's event
//! format, then one summary object. Without `--json` it only runs the steps.

use std::fmt::Display;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde_json::{json, Value};

use super::events::EventPrinter;
use super::Style;
use crate::engine::events::{EventSink, StepEvent, StepStatus};

pub struct JsonStream {
    printer: EventPrinter,
    json: bool,
    command: &'static str,
    project: String,
    started: Instant,
    next_step: AtomicUsize,
}

impl JsonStream {
    pub fn new(style: Style, command: &'static str, project: &str) -> JsonStream {
        JsonStream {
            printer: EventPrinter::new(style, true),
            json: style.json,
            command,
            project: project.to_owned(),
            started: Instant::now(),
            next_step: AtomicUsize::new(1),
        }
    }

    /// Runs `work` as one step: `started` before, `finished` or `failed` (with the error)
    /// after, both with the step's duration.
    pub async fn step<T, E: Display>(
        &self,
        action: &str,
        target: &str,
        service: Option<&str>,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        if !self.json {
            return work.await;
        }
        let mut event = StepEvent {
            event: "step",
            status: StepStatus::Started,
            step: self.next_step.fetch_add(1, Ordering::Relaxed),
            action: action.to_owned(),
            target: target.to_owned(),
            service: service.map(str::to_owned),
            replica: None,
            cause: "requested".to_owned(),
            duration_ms: None,
            message: None,
        };
        self.printer.emit(&event);
        let started = Instant::now();
        let result = work.await;
        event.duration_ms = Some(started.elapsed().as_millis() as u64);
        match &result {
            Ok(_) => event.status = StepStatus::Finished,
            Err(error) => {
                event.status = StepStatus::Failed;
                event.message = Some(error.to_string());
            }
        }
        self.printer.emit(&event);
        result
    }

    /// The last line: the outcome, the command's result (`result`) or its error.
    pub fn summary<T>(&self, outcome: &anyhow::Result<T>, result: Option<Value>) {
        if !self.json {
            return;
        }
        let mut summary = json!({
            "event": "summary",
            "command": self.command,
            "project": self.project,
            "outcome": if outcome.is_ok() { "ok" } else { "failed" },
            "elapsed_ms": self.started.elapsed().as_millis() as u64,
        });
        if self.project.is_empty() {
            if let Some(fields) = summary.as_object_mut() {
                fields.remove("project");
            }
        }
        if let Err(error) = outcome {
            summary["error"] = Value::String(format!("{error:#}"));
        }
        if let Some(result) = result {
            summary["result"] = result;
        }
        self.printer.json_line(&summary);
    }
}
