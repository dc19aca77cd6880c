//! Printing the executor's step events: one JSON object per line with `--json` (for CI
//! logs), a line per step that changed something otherwise.

use std::io::Write;
use std::sync::Mutex;

use serde::Serialize;

use super::Style;
use crate::engine::events::{EventSink, StepEvent, StepStatus};

pub struct EventPrinter {
    style: Style,
    quiet: bool,
    /// What finished, as text, for the summary.
    done: Mutex<Vec<String>>,
}

impl EventPrinter {
    pub fn new(style: Style, quiet: bool) -> EventPrinter {
        EventPrinter {
            style,
            quiet,
            done: Mutex::new(Vec::new()),
        }
    }

    /// One line per finished step that changed something.
    pub fn done(&self) -> Vec<String> {
        self.done
            .lock()
            .map(|done| done.clone())
            .unwrap_or_default()
    }

    /// Prints a JSON object as one line (with `--json`).
    pub fn json_line(&self, value: &impl Serialize) {
        if let Ok(text) = serde_json::to_string(value) {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
        }
    }
}

impl EventSink for EventPrinter {
    fn emit(&self, event: &StepEvent) {
        let changes = !event.action.starts_with("wait") && !event.action.starts_with("monitor");
        let line = format!("{} {} ({})", event.action, event.target, event.cause);
        if self.style.json {
            if changes && event.status == StepStatus::Finished {
                if let Ok(mut done) = self.done.lock() {
                    done.push(line);
                }
            }
            self.json_line(event);
            return;
        }
        match event.status {
            StepStatus::Started => {
                if !changes && !self.quiet {
                    tracing::info!("{line}");
                }
            }
            StepStatus::Finished => {
                if changes {
                    if let Ok(mut done) = self.done.lock() {
                        done.push(line.clone());
                    }
                }
                if changes && !self.quiet {
                    let took = event
                        .duration_ms
                        .map(|ms| format!(" {:.1}s", ms as f64 / 1000.0))
                        .unwrap_or_default();
                    println!("  {line}{}", self.style.dim(&took));
                }
            }
            // The error itself, with its details, ends the command's output.
            StepStatus::Failed => eprintln!("  failed: {line}"),
        }
    }
}
