//! Labels every object tmctl creates carries: compose's own, so compose tooling recognises
//! the project, plus tmctl's.

pub const PROJECT: &str = "com.docker.compose.project";
pub const SERVICE: &str = "com.docker.compose.service";
pub const CONTAINER_NUMBER: &str = "com.docker.compose.container-number";
pub const CONFIG_HASH: &str = "com.docker.compose.config-hash";
pub const ONEOFF: &str = "com.docker.compose.oneoff";
pub const NETWORK: &str = "com.docker.compose.network";
pub const VOLUME: &str = "com.docker.compose.volume";
pub const COMPOSE_VERSION: &str = "com.docker.compose.version";

pub const TMCTL_PROFILE: &str = "io.tmctl.profile";
pub const TMCTL_VERSION: &str = "io.tmctl.version";
/// The container's configuration as JSON (secret values replaced by digests), so `plan`
/// can name the fields that changed.
pub const TMCTL_CONFIG: &str = "io.tmctl.config";
/// The image ID the container was created from, to notice a re-tagged image.
pub const TMCTL_IMAGE_ID: &str = "io.tmctl.image-id";

/// `label=KEY=VALUE` filter selecting the project's objects.
pub fn project_filter(project: &str) -> String {
    format!("{PROJECT}={project}")
}

pub fn container_name(project: &str, service: &str, number: u32) -> String {
    format!("{project}-{service}-{number}")
}

pub fn network_name(project: &str, network: &str) -> String {
    format!("{project}_{network}")
}

pub fn volume_name(project: &str, volume: &str) -> String {
    format!("{project}_{volume}")
}
