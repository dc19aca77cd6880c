//! `tmctl version`: what runs — tmctl itself, the Engine, and each service's image.

use std::collections::BTreeMap;

use bollard::Docker;
use serde::Serialize;

use crate::engine::observe;

#[derive(Debug, Clone, Serialize)]
pub struct Versions {
    pub tmctl: &'static str,
    pub project: String,
    /// `None` when the Engine cannot be reached; `engine_error` says why.
    pub engine: Option<EngineVersion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine_error: Option<String>,
    /// The project's services as they run, by name.
    pub services: Vec<ServiceImage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EngineVersion {
    pub version: String,
    pub api_version: String,
    pub os: String,
    pub arch: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceImage {
    pub service: String,
    pub containers: u32,
    pub image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
}

pub async fn collect(docker: Result<Docker, String>, project: &str) -> Versions {
    let mut versions = Versions {
        tmctl: env!("CARGO_PKG_VERSION"),
        project: project.to_owned(),
        engine: None,
        engine_error: None,
        services: Vec::new(),
    };
    let docker = match docker {
        Ok(docker) => docker,
        Err(error) => {
            versions.engine_error = Some(error);
            return versions;
        }
    };
    match docker.version().await {
        Ok(version) => {
            versions.engine = Some(EngineVersion {
                version: version.version.unwrap_or_default(),
                api_version: version.api_version.unwrap_or_default(),
                os: version.os.unwrap_or_default(),
                arch: version.arch.unwrap_or_default(),
            })
        }
        Err(error) => versions.engine_error = Some(error.to_string()),
    }
    let containers = match observe::containers(&docker, project).await {
        Ok(containers) => containers,
        Err(error) => {
            versions.engine_error = Some(error.to_string());
            return versions;
        }
    };
    let mut by_service: BTreeMap<(String, String), u32> = BTreeMap::new();
    for container in containers.iter().filter(|c| !c.service.is_empty()) {
        *by_service
            .entry((container.service.clone(), container.image.clone()))
            .or_default() += 1;
    }
    for ((service, image), count) in by_service {
        let image_id = docker
            .inspect_image(&image)
            .await
            .ok()
            .and_then(|inspect| inspect.id);
        versions.services.push(ServiceImage {
            service,
            containers: count,
            image,
            image_id,
        });
    }
    versions
}
