//! Printing the executor's step events: one JSON object per line with `--json` (for CI
//! logs), a line per step that changed something otherwise.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use indicatif::ProgressBar;
use serde::Serialize;

use super::Style;
use crate::engine::events::{EventSink, StepEvent, StepStatus};
use crate::engine::plan::StepId;
use crate::images::progress::Progress;

pub struct EventPrinter {
    style: Style,
    quiet: bool,
    /// What finished, as text, for the summary.
    done: Mutex<Vec<String>>,
    /// Spinners for waits on a terminal (None off a terminal: a log line per wait instead).
    progress: Option<Progress>,
    spinners: Mutex<HashMap<StepId, ProgressBar>>,
}

impl EventPrinter {
    pub fn new(style: Style, quiet: bool) -> EventPrinter {
        let interactive = !style.json && !quiet && std::io::stderr().is_terminal();
        EventPrinter {
            style,
            quiet,
            done: Mutex::new(Vec::new()),
            progress: interactive.then(Progress::terminal),
            spinners: Mutex::new(HashMap::new()),
        }
    }

    /// A wait started: a spinner on a terminal, one log line elsewhere.
    fn wait_started(&self, event: &StepEvent, line: &str) {
        match &self.progress {
            Some(progress) => {
                let spinner = progress.spinner(line.to_owned());
                if let Ok(mut spinners) = self.spinners.lock() {
                    spinners.insert(event.step, spinner);
                }
            }
            None if !self.quiet => tracing::info!("{line}"),
            None => {}
        }
    }

    fn wait_ended(&self, event: &StepEvent) {
        let spinner = self
            .spinners
            .lock()
            .ok()
            .and_then(|mut spinners| spinners.remove(&event.step));
        if let Some(spinner) = spinner {
            spinner.finish_and_clear();
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
        if !changes && event.status != StepStatus::Started {
            self.wait_ended(event);
        }
        match event.status {
            StepStatus::Started => {
                if !changes {
                    self.wait_started(event, &line);
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
                    let print = || println!("  {line}{}", self.style.dim(&took));
                    match &self.progress {
                        Some(progress) => progress.suspend(print),
                        None => print(),
                    }
                }
            }
            // The error itself, with its details, ends the command's output.
            StepStatus::Failed => eprintln!("  failed: {line}"),
        }
    }
}
