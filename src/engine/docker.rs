//! Connection to the Docker Engine.

use bollard::Docker;
use thiserror::Error;

/// A connection to the Engine, as commands hold it and hand it to the library.
pub type Engine = Docker;

const DEFAULT_ENDPOINT: &str = "unix:///var/run/docker.sock";

#[derive(Debug, Error)]
pub enum EngineError {
    #[error(
        "cannot use DOCKER_HOST={endpoint}: {reason}; set DOCKER_HOST to unix:///path/to/docker.sock or tcp://host:port, or unset it"
    )]
    InvalidHost { endpoint: String, reason: String },
    #[error("{}", unreachable_message(.endpoint, .from_env, .reason))]
    Unreachable {
        endpoint: String,
        from_env: bool,
        reason: String,
    },
}

fn unreachable_message(endpoint: &str, from_env: &bool, reason: &str) -> String {
    let fix = if *from_env {
        "check that the Engine listens there or correct DOCKER_HOST"
    } else {
        "start it (systemctl start docker) or point DOCKER_HOST at a running Engine"
    };
    let source = if *from_env { "DOCKER_HOST=" } else { "" };
    format!("Docker Engine unreachable at {source}{endpoint} ({reason}): {fix}")
}

/// Where the Engine is expected: `DOCKER_HOST` when set, otherwise the default unix socket.
pub fn endpoint() -> (String, bool) {
    match std::env::var("DOCKER_HOST") {
        Ok(host) if !host.trim().is_empty() => (host, true),
        _ => (DEFAULT_ENDPOINT.to_string(), false),
    }
}

/// Whether the Engine runs on this host (its ports and paths are this host's).
pub fn engine_is_local() -> bool {
    endpoint().0.starts_with("unix://")
}

/// Connects to the Engine and negotiates the API version down to the server's.
pub async fn connect() -> Result<Docker, EngineError> {
    let (endpoint, from_env) = endpoint();
    let docker = Docker::connect_with_host(&endpoint).map_err(|err| match err {
        bollard::errors::Error::SocketNotFoundError(path) => EngineError::Unreachable {
            endpoint: endpoint.clone(),
            from_env,
            reason: format!("no socket at {path}"),
        },
        other => EngineError::InvalidHost {
            endpoint: endpoint.clone(),
            reason: other.to_string(),
        },
    })?;
    let docker = docker
        .negotiate_version()
        .await
        .map_err(|err| EngineError::Unreachable {
            endpoint: endpoint.clone(),
            from_env,
            reason: err.to_string(),
        })?;
    tracing::debug!(%endpoint, api = %docker.client_version(), "connected to the Docker Engine");
    Ok(docker)
}
