//! `tmctl doctor`: can this host run the profile? One check per concern, each with the fix
//! when it fails. The checks only look; they change nothing.

mod engine;
mod host;

use std::path::Path;

use serde::Serialize;

use crate::engine::docker::{connect, endpoint};
use crate::profile::Profile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    /// Works, but worth knowing (e.g. little disk left, a slow storage driver).
    Warn,
    Fail,
    /// Could not be checked because an earlier check failed or it does not apply.
    Skipped,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
            Status::Skipped => "skip",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub status: Status,
    pub detail: String,
    /// What to do about it, when the status is not ok.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn ok(name: impl Into<String>, detail: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    fn warn(name: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            status: Status::Warn,
            fix: Some(fix.into()),
            ..Check::ok(name, detail)
        }
    }

    fn fail(name: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            status: Status::Fail,
            ..Check::warn(name, detail, fix)
        }
    }

    fn skipped(name: impl Into<String>, detail: impl Into<String>) -> Check {
        Check {
            status: Status::Skipped,
            ..Check::ok(name, detail)
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub ok: bool,
    pub project: String,
    pub profile: String,
    pub checks: Vec<Check>,
}

/// What doctor examines: the project as `up` would deploy it.
pub struct Subject<'a> {
    pub project: &'a str,
    pub profile: &'a Profile,
    /// `.tmctl` (the state root) and the project's folder in it.
    pub state_root: &'a Path,
    pub state_dir: &'a Path,
}

/// Runs every check; the report is not ok when any check failed.
pub async fn examine(subject: &Subject<'_>) -> Report {
    let mut checks = Vec::new();
    let (where_, _) = endpoint();
    let docker = match connect().await {
        Ok(docker) => Some(docker),
        Err(error) => {
            checks.push(Check::fail(
                "engine",
                format!("cannot reach the Docker Engine at {where_}"),
                error.to_string(),
            ));
            None
        }
    };
    match &docker {
        Some(docker) => checks.extend(engine::checks(docker, subject).await),
        None => {
            for name in ["storage", "disk", "images", "clock"] {
                checks.push(Check::skipped(name, "needs the Engine"));
            }
        }
    }
    checks.extend(host::port_checks(docker.as_ref(), subject).await);
    checks.extend(host::state_checks(subject));
    Report {
        ok: checks.iter().all(|check| check.status != Status::Fail),
        project: subject.project.to_owned(),
        profile: subject.profile.name.clone(),
        checks,
    }
}
