//! What runs: the project's containers, networks and volumes, found by label.

use std::collections::HashMap;

use bollard::models::ContainerSummaryStateEnum;
use bollard::query_parameters::{
    ListContainersOptionsBuilder, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
};
use bollard::Docker;
use serde_json::Value;

use super::labels;

/// One of the project's containers as the Engine reports it.
#[derive(Debug, Clone)]
pub struct ObservedContainer {
    pub id: String,
    pub name: String,
    pub service: String,
    pub number: u32,
    pub hash: String,
    pub config: Value,
    pub image: String,
    pub state: String,
    pub status: String,
    pub created: i64,
    /// Digest of the files tmctl copied into it, when known (see `deployed_files`).
    pub files_digest: Option<String>,
}

impl ObservedContainer {
    pub fn is_running(&self) -> bool {
        self.state == "running" || self.state == "restarting"
    }
}

#[derive(Debug, Default, Clone)]
pub struct Observed {
    pub containers: Vec<ObservedContainer>,
    pub networks: Vec<String>,
    pub volumes: Vec<String>,
    /// Bind-mount sources of the desired state that do not exist on the Engine's host.
    pub missing_directories: Vec<String>,
}

impl Observed {
    /// `containers` with every network and volume of `desired` present (plan tests).
    #[cfg(test)]
    pub(crate) fn with_infrastructure_of(
        desired: &crate::engine::desired::DesiredState,
        containers: Vec<ObservedContainer>,
    ) -> Observed {
        Observed {
            containers,
            networks: desired.networks.iter().map(|n| n.name.clone()).collect(),
            volumes: desired.volumes.iter().map(|v| v.name.clone()).collect(),
            missing_directories: vec![],
        }
    }
}

fn filters(project: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_owned(), vec![labels::project_filter(project)])])
}

pub async fn containers(
    docker: &Docker,
    project: &str,
) -> Result<Vec<ObservedContainer>, bollard::errors::Error> {
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters(project))
        .build();
    let summaries = docker.list_containers(Some(options)).await?;
    let mut containers: Vec<ObservedContainer> = summaries
        .into_iter()
        .map(|summary| {
            let labels_map = summary.labels.unwrap_or_default();
            let label = |key: &str| labels_map.get(key).cloned().unwrap_or_default();
            ObservedContainer {
                id: summary.id.unwrap_or_default(),
                name: summary
                    .names
                    .and_then(|names| names.into_iter().next())
                    .map(|name| name.trim_start_matches('/').to_owned())
                    .unwrap_or_default(),
                service: label(labels::SERVICE),
                number: label(labels::CONTAINER_NUMBER).parse().unwrap_or(0),
                hash: label(labels::CONFIG_HASH),
                config: serde_json::from_str(&label(labels::TMCTL_CONFIG)).unwrap_or(Value::Null),
                image: summary.image.unwrap_or_default(),
                state: summary
                    .state
                    .map(|state| match state {
                        ContainerSummaryStateEnum::EMPTY => String::new(),
                        other => other.to_string(),
                    })
                    .unwrap_or_default(),
                status: summary.status.unwrap_or_default(),
                created: summary.created.unwrap_or(0),
                files_digest: None,
            }
        })
        .collect();
    containers
        .sort_by(|a, b| (&a.service, a.number, &a.name).cmp(&(&b.service, b.number, &b.name)));
    Ok(containers)
}

pub async fn observe(docker: &Docker, project: &str) -> Result<Observed, bollard::errors::Error> {
    let containers = containers(docker, project).await?;
    let networks = docker
        .list_networks(Some(
            ListNetworksOptionsBuilder::default()
                .filters(&filters(project))
                .build(),
        ))
        .await?
        .into_iter()
        .filter_map(|network| network.name)
        .collect();
    let volumes = docker
        .list_volumes(Some(
            ListVolumesOptionsBuilder::default()
                .filters(&filters(project))
                .build(),
        ))
        .await?
        .volumes
        .unwrap_or_default()
        .into_iter()
        .map(|volume| volume.name)
        .collect();
    Ok(Observed {
        containers,
        networks,
        volumes,
        missing_directories: Vec::new(),
    })
}
