//! One mutating command at a time per project, for everyone driving the same Engine: the
//! lock is a container (`<project>-tmctl-lock`, created, never started) that only one
//! tmctl can create. Its labels name the holder; the holder refreshes a heartbeat inside
//! it every few seconds. A lock whose holder died (same host, process gone) or whose
//! heartbeat is older than [`STALE_AFTER`] is taken over.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::body_full;
use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use bollard::Docker;
use serde::{Deserialize, Serialize};

use crate::engine::ops::{is_not_found, OpError};
use crate::engine::project_store::{ensure_keeper_image, read_archive, KEEPER_IMAGE, KEEPER_LABEL};

const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);
pub const STALE_AFTER: Duration = Duration::from_secs(30);
const HOLDER_LABEL: &str = "io.tmctl.lock-holder";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "project {project} is locked by `{holder}`; wait for it, or retry with --lock-wait 5m"
    )]
    Busy { project: String, holder: String },
    #[error("cannot take the lock of {project}: {source}")]
    Engine {
        project: String,
        #[source]
        source: OpError,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Holder {
    pub command: String,
    pub pid: u32,
    pub host: String,
    pub operator: String,
    pub since: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "{} (pid {} on {}, by {}, since {})",
            self.command, self.pid, self.host, self.operator, self.since
        )
    }
}

pub fn lock_name(project: &str) -> String {
    format!("{project}-tmctl-lock")
}

/// Held until [`ProjectLock::release`] (or, if the process dies, until taken over).
pub struct ProjectLock {
    docker: Docker,
    id: String,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl ProjectLock {
    pub async fn release(self) {
        self.heartbeat.abort();
        remove(&self.docker, &self.id).await;
    }
}

impl Drop for ProjectLock {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

/// Takes the project's lock, waiting up to `wait` for a current holder.
pub async fn acquire(
    docker: &Docker,
    project: &str,
    command: &str,
    wait: Duration,
) -> Result<ProjectLock, LockError> {
    let engine = |source| LockError::Engine {
        project: project.to_owned(),
        source,
    };
    ensure_keeper_image(docker).await.map_err(engine)?;
    let name = lock_name(project);
    let holder = Holder {
        command: command.to_owned(),
        pid: std::process::id(),
        host: tmctl_service::util::hostname(),
        operator: crate::operator::current(),
        since: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    };
    let started = Instant::now();
    let mut announced = false;
    loop {
        match create(docker, &name, project, &holder).await {
            Ok(id) => {
                let heartbeat = tokio::spawn(beat(docker.clone(), id.clone()));
                return Ok(ProjectLock {
                    docker: docker.clone(),
                    id,
                    heartbeat,
                });
            }
            Err(OpError::Engine {
                error:
                    bollard::errors::Error::DockerResponseServerError {
                        status_code: 409, ..
                    },
                ..
            }) => {}
            Err(error) => return Err(engine(error)),
        }
        let Some((id, current)) = current_holder(docker, &name).await else {
            continue; // released meanwhile
        };
        if is_stale(docker, &id, &current).await {
            tracing::warn!("taking over the lock of {project} from {current}: its holder is gone");
            remove(docker, &id).await;
            continue;
        }
        if started.elapsed() >= wait {
            return Err(LockError::Busy {
                project: project.to_owned(),
                holder: current.to_string(),
            });
        }
        if !announced {
            tracing::info!("waiting for the lock of {project} held by {current}");
            announced = true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn create(
    docker: &Docker,
    name: &str,
    project: &str,
    holder: &Holder,
) -> Result<String, OpError> {
    let body = ContainerCreateBody {
        image: Some(KEEPER_IMAGE.to_owned()),
        cmd: Some(vec!["/never-started".to_owned()]),
        labels: Some(HashMap::from([
            (KEEPER_LABEL.to_owned(), project.to_owned()),
            (
                HOLDER_LABEL.to_owned(),
                serde_json::to_string(holder).unwrap_or_default(),
            ),
        ])),
        ..Default::default()
    };
    let options = CreateContainerOptionsBuilder::default().name(name).build();
    let created = docker
        .create_container(Some(options), body)
        .await
        .map_err(|source| OpError::Engine {
            action: "cannot create",
            target: name.to_owned(),
            error: source,
        })?;
    write_heartbeat(docker, &created.id).await;
    Ok(created.id)
}

async fn current_holder(docker: &Docker, name: &str) -> Option<(String, Holder)> {
    let inspect = docker.inspect_container(name, None).await.ok()?;
    let label = inspect
        .config
        .and_then(|config| config.labels)
        .and_then(|labels| labels.get(HOLDER_LABEL).cloned())
        .unwrap_or_default();
    let holder = serde_json::from_str(&label).unwrap_or(Holder {
        command: "another tmctl".into(),
        pid: 0,
        host: String::new(),
        operator: String::new(),
        since: String::new(),
    });
    Some((inspect.id.unwrap_or_default(), holder))
}

/// Dead on this host, or silent for too long.
async fn is_stale(docker: &Docker, id: &str, holder: &Holder) -> bool {
    if holder.host == tmctl_service::util::hostname()
        && holder.pid != 0
        && !std::path::Path::new(&format!("/proc/{}", holder.pid)).exists()
    {
        return true;
    }
    let Ok(files) = read_archive(docker, id, "/heartbeat").await else {
        return false;
    };
    let last: Option<i64> = files
        .first()
        .and_then(|(_, contents)| String::from_utf8_lossy(contents).trim().parse().ok());
    match last {
        Some(seconds) => chrono::Utc::now().timestamp() - seconds > STALE_AFTER.as_secs() as i64,
        None => false,
    }
}

async fn beat(docker: Docker, id: String) {
    loop {
        tokio::time::sleep(HEARTBEAT_EVERY).await;
        write_heartbeat(&docker, &id).await;
    }
}

async fn write_heartbeat(docker: &Docker, id: &str) {
    let now = chrono::Utc::now().timestamp().to_string();
    let mut archive = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(now.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    if archive
        .append_data(&mut header, "heartbeat", now.as_bytes())
        .is_err()
    {
        return;
    }
    let Ok(bytes) = archive.into_inner() else {
        return;
    };
    let options = UploadToContainerOptionsBuilder::default().path("/").build();
    if let Err(error) = docker
        .upload_to_container(id, Some(options), body_full(bytes.into()))
        .await
    {
        tracing::debug!("cannot refresh the lock's heartbeat: {error}");
    }
}

async fn remove(docker: &Docker, id: &str) {
    let options = RemoveContainerOptionsBuilder::default().force(true).build();
    if let Err(error) = docker.remove_container(id, Some(options)).await {
        if !is_not_found(&error) {
            tracing::warn!("cannot release the project lock: {error}");
        }
    }
}
