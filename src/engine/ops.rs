//! Single container operations over the Engine API: create, start, stop, remove, wait for
//! health, run a command, copy a file in, read recent logs.

use std::time::{Duration, Instant};

use bollard::models::{HealthStatusEnum, NetworkConnectRequest};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
    RemoveVolumeOptionsBuilder, RenameContainerOptionsBuilder, StopContainerOptionsBuilder,
    UploadToContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::StreamExt;

use super::create_body::CreateRequest;
use super::desired::DeliveredFile;
pub use super::exec::{
    exec_attached, exec_capture, exec_capture_as_root, exec_capture_with_env, ExecOutput,
};
pub use super::plan::Readiness;
use super::port_holder;

#[derive(Debug, thiserror::Error)]
pub enum OpError {
    // The Engine's error is part of the message, so it is not also reported as a cause.
    #[error("{action} {target}: {error}")]
    Engine {
        action: &'static str,
        target: String,
        error: bollard::errors::Error,
    },
    #[error("{container} did not become healthy within {waited:?} (health: {status})\n{details}")]
    NotHealthy {
        container: String,
        status: String,
        waited: Duration,
        details: String,
    },
    #[error("{container} exited with code {code} before it was ready\n{details}")]
    Exited {
        container: String,
        code: i64,
        details: String,
    },
    #[error("{container}: {message}")]
    Other { container: String, message: String },
}

pub fn engine_error<'a>(
    action: &'static str,
    target: &'a str,
) -> impl FnOnce(bollard::errors::Error) -> OpError + 'a {
    move |source| OpError::Engine {
        action,
        target: target.to_owned(),
        error: source,
    }
}

/// Creates the container under `name` (its canonical name, or a temporary one) and connects
/// its extra networks. Does not start it.
pub async fn create(
    docker: &Docker,
    request: &CreateRequest,
    name: &str,
) -> Result<String, OpError> {
    let options = CreateContainerOptionsBuilder::default().name(name).build();
    let created = docker
        .create_container(Some(options), request.body.clone())
        .await
        .map_err(engine_error("cannot create", name))?;
    for (network, endpoint) in &request.extra_networks {
        docker
            .connect_network(
                network,
                NetworkConnectRequest {
                    container: created.id.clone(),
                    endpoint_config: Some(endpoint.clone()),
                },
            )
            .await
            .map_err(engine_error("cannot connect network for", name))?;
    }
    Ok(created.id)
}

pub async fn start(docker: &Docker, name: &str) -> Result<(), OpError> {
    let Err(source) = docker.start_container(name, None).await else {
        tracing::debug!(container = name, "started");
        return Ok(());
    };
    let taken = match &source {
        bollard::errors::Error::DockerResponseServerError { message, .. }
            if message.contains("port is already allocated")
                || message.contains("address already in use") =>
        {
            port_holder::port_in_message(message)
        }
        _ => None,
    };
    let Some((address, port)) = taken else {
        return Err(OpError::Engine {
            action: "cannot start",
            target: name.to_owned(),
            error: source,
        });
    };
    let holder = port_holder::describe(docker, port, name)
        .await
        .map(|holder| format!(" by {holder}"))
        .unwrap_or_default();
    Err(OpError::Other {
        container: name.to_owned(),
        message: format!(
            "host port {address} is already taken{holder}; stop what uses it or publish another port (the built-in profiles read TM_HTTP_PORT and TM_HTTPS_PORT)"
        ),
    })
}

/// Stops the container, giving it `grace` (10 s by default) after SIGTERM; a container
/// that is gone or already stopped is fine.
pub async fn stop(docker: &Docker, name: &str, grace: Option<Duration>) -> Result<(), OpError> {
    let seconds = grace.map_or(10, |g| i32::try_from(g.as_secs()).unwrap_or(i32::MAX));
    let stop = StopContainerOptionsBuilder::default().t(seconds).build();
    match docker.stop_container(name, Some(stop)).await {
        Ok(()) => Ok(()),
        Err(error) if is_not_found(&error) || is_not_modified(&error) => Ok(()),
        Err(source) => Err(OpError::Engine {
            action: "cannot stop",
            target: name.to_owned(),
            error: source,
        }),
    }
}

/// Removes the container (by force, with its anonymous volumes); one that is gone is fine.
pub async fn remove(docker: &Docker, name: &str) -> Result<(), OpError> {
    let remove = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build();
    match docker.remove_container(name, Some(remove)).await {
        Ok(()) => Ok(()),
        Err(error) if is_not_found(&error) => Ok(()),
        Err(error) if is_conflict(&error) => Ok(()), // removal already in progress
        Err(source) => Err(OpError::Engine {
            action: "cannot remove",
            target: name.to_owned(),
            error: source,
        }),
    }
}

/// Stops with the container's grace period, then removes it.
pub async fn stop_and_remove(
    docker: &Docker,
    name: &str,
    grace: Option<Duration>,
) -> Result<(), OpError> {
    if let Err(error) = stop(docker, name, grace).await {
        tracing::warn!(container = name, "stop failed ({error}); removing by force");
    }
    remove(docker, name).await
}

pub async fn remove_network(docker: &Docker, name: &str) -> Result<(), OpError> {
    match docker.remove_network(name).await {
        Err(error) if !is_not_found(&error) => Err(OpError::Engine {
            action: "cannot remove network",
            target: name.to_owned(),
            error,
        }),
        _ => Ok(()),
    }
}

pub async fn remove_volume(docker: &Docker, name: &str) -> Result<(), OpError> {
    let options = RemoveVolumeOptionsBuilder::default().force(true).build();
    match docker.remove_volume(name, Some(options)).await {
        Err(error) if !is_not_found(&error) => Err(OpError::Engine {
            action: "cannot remove volume",
            target: name.to_owned(),
            error,
        }),
        _ => Ok(()),
    }
}

pub async fn rename(docker: &Docker, name: &str, to: &str) -> Result<(), OpError> {
    docker
        .rename_container(
            name,
            RenameContainerOptionsBuilder::default().name(to).build(),
        )
        .await
        .map_err(engine_error("cannot rename", name))
}

/// Watches a container for `duration`: it must keep running and not turn unhealthy.
pub async fn monitor(docker: &Docker, name: &str, duration: Duration) -> Result<(), OpError> {
    let started = Instant::now();
    while started.elapsed() < duration {
        let state = docker
            .inspect_container(name, None)
            .await
            .map_err(engine_error("cannot inspect", name))?
            .state
            .unwrap_or_default();
        if !state.running.unwrap_or(false) {
            return Err(OpError::Exited {
                container: name.to_owned(),
                code: state.exit_code.unwrap_or(0),
                details: failure_details(docker, name).await,
            });
        }
        if state.health.and_then(|h| h.status) == Some(HealthStatusEnum::UNHEALTHY) {
            return Err(OpError::NotHealthy {
                container: name.to_owned(),
                status: "unhealthy".to_owned(),
                waited: started.elapsed(),
                details: failure_details(docker, name).await,
            });
        }
        tokio::time::sleep(Duration::from_millis(500).min(duration)).await;
    }
    Ok(())
}

pub fn is_not_found(error: &bollard::errors::Error) -> bool {
    matches!(
        error,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

fn is_not_modified(error: &bollard::errors::Error) -> bool {
    matches!(
        error,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 304,
            ..
        }
    )
}

fn is_conflict(error: &bollard::errors::Error) -> bool {
    matches!(
        error,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 409,
            ..
        }
    )
}

/// The last `lines` log lines of a container, for error reports.
pub async fn tail_logs(docker: &Docker, name: &str, lines: usize) -> String {
    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .tail(&lines.to_string())
        .build();
    let mut stream = docker.logs(name, Some(options));
    let mut text = String::new();
    while let Some(Ok(chunk)) = stream.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
    }
    text
}

async fn failure_details(docker: &Docker, name: &str) -> String {
    let mut details = String::new();
    if let Ok(inspect) = docker.inspect_container(name, None).await {
        let log = inspect
            .state
            .and_then(|state| state.health)
            .and_then(|health| health.log)
            .unwrap_or_default();
        if !log.is_empty() {
            details.push_str("last health checks:\n");
            for result in log.iter().rev().take(3).rev() {
                details.push_str(&format!(
                    "  exit {}: {}\n",
                    result.exit_code.unwrap_or(-1),
                    result.output.as_deref().unwrap_or("").trim()
                ));
            }
        }
    }
    details.push_str("last 50 log lines:\n");
    for line in tail_logs(docker, name, 50).await.lines() {
        details.push_str("  ");
        details.push_str(line);
        details.push('\n');
    }
    details
}

/// Polls (every 150 ms) until the container is ready, failing early when it exits or its
/// health turns unhealthy.
pub async fn wait_ready(
    docker: &Docker,
    name: &str,
    readiness: Readiness,
    timeout: Duration,
) -> Result<(), OpError> {
    let started = Instant::now();
    let result = poll_ready(docker, name, readiness, timeout, started).await;
    if result.is_ok() {
        tracing::debug!(container = name, ?readiness, waited = ?started.elapsed(), "ready");
    }
    result
}

async fn poll_ready(
    docker: &Docker,
    name: &str,
    readiness: Readiness,
    timeout: Duration,
    started: Instant,
) -> Result<(), OpError> {
    loop {
        let inspect = docker
            .inspect_container(name, None)
            .await
            .map_err(engine_error("cannot inspect", name))?;
        let state = inspect.state.unwrap_or_default();
        let running = state.running.unwrap_or(false);
        let exit_code = state.exit_code.unwrap_or(0);
        let health = state.health.and_then(|h| h.status);
        let finished = !running
            && state
                .finished_at
                .as_deref()
                .is_some_and(|t| !t.starts_with("0001"));
        match readiness {
            Readiness::CompletedSuccessfully if finished => {
                if exit_code == 0 {
                    return Ok(());
                }
                return Err(OpError::Exited {
                    container: name.to_owned(),
                    code: exit_code,
                    details: failure_details(docker, name).await,
                });
            }
            Readiness::CompletedSuccessfully => {}
            _ if finished && !state.restarting.unwrap_or(false) => {
                return Err(OpError::Exited {
                    container: name.to_owned(),
                    code: exit_code,
                    details: failure_details(docker, name).await,
                })
            }
            Readiness::Running if running => return Ok(()),
            Readiness::Healthy | Readiness::EngineHealthy => match health {
                Some(HealthStatusEnum::HEALTHY) => return Ok(()),
                None | Some(HealthStatusEnum::NONE) | Some(HealthStatusEnum::EMPTY) if running => {
                    return Ok(())
                }
                Some(HealthStatusEnum::UNHEALTHY) => {
                    return Err(OpError::NotHealthy {
                        container: name.to_owned(),
                        status: "unhealthy".to_owned(),
                        waited: started.elapsed(),
                        details: failure_details(docker, name).await,
                    })
                }
                _ if running && readiness == Readiness::Healthy => {
                    let test = inspect
                        .config
                        .as_ref()
                        .and_then(|config| config.healthcheck.as_ref())
                        .and_then(|healthcheck| healthcheck.test.clone())
                        .unwrap_or_default();
                    if passes_healthcheck_now(docker, name, &test).await {
                        return Ok(());
                    }
                }
                _ => {}
            },
            Readiness::Running => {}
        }
        if started.elapsed() >= timeout {
            return Err(OpError::NotHealthy {
                container: name.to_owned(),
                status: health
                    .map(|h| h.to_string())
                    .unwrap_or_else(|| "not running".to_owned()),
                waited: started.elapsed(),
                details: failure_details(docker, name).await,
            });
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Runs the container's own healthcheck command right away. The Engine runs it only once
/// per interval, so a dependent would otherwise wait up to a whole interval after the
/// service is ready; the check itself is the same.
async fn passes_healthcheck_now(docker: &Docker, name: &str, test: &[String]) -> bool {
    let argv: Vec<&str> = match test.split_first() {
        Some((kind, rest)) if kind == "CMD" && !rest.is_empty() => {
            rest.iter().map(String::as_str).collect()
        }
        Some((kind, rest)) if kind == "CMD-SHELL" && rest.len() == 1 => {
            vec!["/bin/sh", "-c", rest[0].as_str()]
        }
        _ => return false,
    };
    match tokio::time::timeout(Duration::from_secs(5), exec_capture(docker, name, &argv)).await {
        Ok(Ok(output)) => output.exit_code == 0,
        _ => false,
    }
}

/// Copies files into a container (which may be created but not started). Paths are
/// relative to `directory` and may name subdirectories, which are created.
pub async fn upload_files(
    docker: &Docker,
    name: &str,
    directory: &str,
    files: &[DeliveredFile],
) -> Result<(), OpError> {
    let pack_error = |error: std::io::Error| OpError::Other {
        container: name.to_owned(),
        message: format!("cannot pack files for {directory}: {error}"),
    };
    let mut archive = tar::Builder::new(Vec::new());
    let mut directories: Vec<&str> = Vec::new();
    for file in files {
        let path = file.path.as_str();
        if let Some((parent, _)) = path.rsplit_once('/') {
            if !directories.contains(&parent) {
                directories.push(parent);
                let mut header = tar::Header::new_gnu();
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
                header.set_mode(0o755);
                header.set_mtime(0);
                header.set_cksum();
                archive
                    .append_data(&mut header, format!("{parent}/"), std::io::empty())
                    .map_err(pack_error)?;
            }
        }
        let mut header = tar::Header::new_gnu();
        header.set_size(file.contents.len() as u64);
        header.set_mode(file.mode);
        header.set_mtime(0);
        header.set_cksum();
        archive
            .append_data(&mut header, path, file.contents.as_slice())
            .map_err(pack_error)?;
    }
    let bytes = archive.into_inner().map_err(pack_error)?;
    let options = UploadToContainerOptionsBuilder::default()
        .path(directory)
        .build();
    docker
        .upload_to_container(name, Some(options), bollard::body_full(bytes.into()))
        .await
        .map_err(engine_error("cannot copy files into", name))
}
