//! What `ps` shows of each container of a project.

use bollard::Docker;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::observe;

#[derive(Debug, Clone, Serialize)]
pub struct ContainerStatus {
    pub name: String,
    pub service: String,
    pub replica: u32,
    pub state: String,
    /// `healthy`, `unhealthy`, `starting`, or `-` without a healthcheck.
    pub health: String,
    /// `HOST_IP:HOST_PORT->PORT/PROTO`.
    pub ports: Vec<String>,
    /// Since when it runs (absent when not running).
    pub running_since: Option<DateTime<Utc>>,
    pub image: String,
}

pub async fn list(
    docker: &Docker,
    project: &str,
) -> Result<Vec<ContainerStatus>, bollard::errors::Error> {
    let containers = observe::containers(docker, project).await?;
    let mut statuses = Vec::new();
    for container in containers {
        let inspect = docker.inspect_container(&container.name, None).await.ok();
        let state = inspect
            .as_ref()
            .and_then(|i| i.state.clone())
            .unwrap_or_default();
        let health = state
            .health
            .and_then(|h| h.status)
            .map(|s| s.to_string())
            .filter(|s| !s.is_empty() && s != "none")
            .unwrap_or_else(|| "-".to_owned());
        let running_since = state
            .started_at
            .filter(|_| state.running.unwrap_or(false))
            .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc));
        let ports = inspect
            .as_ref()
            .and_then(|i| i.host_config.as_ref())
            .and_then(|h| h.port_bindings.clone())
            .unwrap_or_default()
            .into_iter()
            .flat_map(|(target, bindings)| {
                bindings.unwrap_or_default().into_iter().map(move |b| {
                    format!(
                        "{}:{}->{}",
                        b.host_ip.unwrap_or_default(),
                        b.host_port.unwrap_or_default(),
                        target
                    )
                })
            })
            .collect();
        statuses.push(ContainerStatus {
            name: container.name,
            service: container.service,
            replica: container.number,
            state: container.state,
            health,
            ports,
            running_since,
            image: container.image,
        });
    }
    Ok(statuses)
}
