//! The audit log: one record per mutating command (up, down, rollback, backup restore and
//! prune, heal restarts, secrets rotate): when, who, the command line with secrets
//! redacted, the project and the outcome. Records are files of their own in the project
//! store (`audit/<time>-<random>.json`), so writers never rewrite each other's records; a
//! copy goes to the local state directory (`audit.jsonl`).

use std::io::Write;

use bollard::Docker;
use chrono::{DateTime, Utc};
use rand::distributions::{Alphanumeric, DistString};
use serde::{Deserialize, Serialize};

use crate::engine::project_store::ProjectStore;
use crate::state::ProjectState;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditRecord {
    pub time: DateTime<Utc>,
    pub operator: String,
    pub project: String,
    /// `up`, `down`, `rollback`, `backup restore`, `heal restart`, ...
    pub action: String,
    pub command: String,
    /// `ok`, or `failed: <reason>`.
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// What it changed, in a few words (release id, containers restarted, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl AuditRecord {
    pub fn new(project: &str, action: &str) -> AuditRecord {
        let args: Vec<String> = std::env::args().collect();
        AuditRecord {
            time: Utc::now(),
            operator: crate::operator::current(),
            project: project.to_owned(),
            action: action.to_owned(),
            command: crate::redact::command_line(&args),
            outcome: "ok".to_owned(),
            duration_ms: None,
            detail: None,
        }
    }

    pub fn outcome<T, E: std::fmt::Display>(mut self, result: &Result<T, E>) -> AuditRecord {
        if let Err(error) = result {
            self.outcome = format!("failed: {error}");
        }
        self
    }
}

/// Appends a record: to the project store on the Engine (when the project has one) and to
/// the local copy. A failure to record is logged, never fatal.
pub async fn record(docker: &Docker, state: &ProjectState, record: &AuditRecord) {
    let Ok(text) = serde_json::to_string(record) else {
        return;
    };
    let name = format!(
        "audit/{}-{}.json",
        record.time.format("%Y%m%dT%H%M%S%.6fZ"),
        Alphanumeric.sample_string(&mut rand::thread_rng(), 6)
    );
    match ProjectStore::open(docker, &record.project).await {
        Ok(Some(store)) => {
            if let Err(error) = store.write(&[(&name, text.as_bytes())]).await {
                tracing::warn!("cannot write the audit record: {error}");
            }
        }
        Ok(None) => {}
        Err(error) => tracing::warn!("cannot write the audit record: {error}"),
    }
    append_local(state, &text);
}

fn append_local(state: &ProjectState, line: &str) {
    let path = state.dir.join("audit.jsonl");
    if crate::state::create_private_dir(&state.dir).is_err() {
        return;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            let _ = writeln!(file, "{line}");
        }
        Err(error) => tracing::warn!("cannot append to {}: {error}", path.display()),
    }
}

/// Every record of the project, oldest first: from the Engine when the project has a store
/// there, else the local copy.
pub async fn read(docker: &Docker, state: &ProjectState) -> anyhow::Result<Vec<AuditRecord>> {
    let mut records: Vec<AuditRecord> = match ProjectStore::open(docker, &state.project).await? {
        Some(store) => store
            .read_dir("audit")
            .await?
            .into_iter()
            .filter_map(|(_, bytes)| serde_json::from_slice(&bytes).ok())
            .collect(),
        None => std::fs::read_to_string(state.dir.join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect(),
    };
    records.sort_by_key(|record| record.time);
    Ok(records)
}
