use std::path::PathBuf;

use thiserror::Error;

use crate::engine::docker::EngineError;

#[derive(Debug, Error)]
pub enum ImageError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("Docker Engine request failed while {action}: {source}")]
    Docker {
        action: String,
        #[source]
        source: bollard::errors::Error,
    },
    #[error("cannot pull {image}: the registry cannot be reached ({reason})")]
    RegistryUnreachable { image: String, reason: String },
    #[error("cannot pull {image}: {reason}")]
    PullFailed { image: String, reason: String },
    #[error("building {image} failed: {reason}")]
    BuildFailed { image: String, reason: String },
    #[error("no Debian stand-in is known for {image}; images that can be bootstrapped: {known}")]
    NotBootstrappable { image: String, known: String },
    #[error("bootstrap of {image} failed at `{step}`: {reason}")]
    BootstrapFailed {
        image: String,
        step: String,
        reason: String,
    },
    #[error(
        "image {image} is missing: pulling failed ({pull_error}) and bootstrapping failed ({bootstrap_error}); \
         on a host with a registry run `tmctl images pull` then `tmctl images save FILE`, copy FILE here \
         and run `tmctl images load FILE`, or run `tmctl images bootstrap --mirror URL` with a reachable Debian mirror"
    )]
    Unobtainable {
        image: String,
        pull_error: String,
        bootstrap_error: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("rendering template {template}: {reason}")]
    Template { template: String, reason: String },
    #[error("{tool} is required for bootstrapping but was not found; install it with `apt-get install {package}`")]
    ToolMissing { tool: String, package: String },
    #[error("no Debian mirror found in {searched}; pass --mirror URL (e.g. http://deb.debian.org/debian)")]
    NoMirror { searched: String },
    #[error("{path} is not an image archive made by `tmctl images save`: {reason}")]
    BadArchive { path: PathBuf, reason: String },
}

impl ImageError {
    pub(crate) fn docker(action: impl Into<String>, source: bollard::errors::Error) -> Self {
        ImageError::Docker {
            action: action.into(),
            source,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ImageError::Io {
            path: path.into(),
            source,
        }
    }
}
