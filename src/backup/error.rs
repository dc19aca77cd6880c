//! What can go wrong while backing up, checking and restoring.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("Docker Engine: {context}: {source}")]
    Engine {
        context: String,
        #[source]
        source: bollard::errors::Error,
    },
    #[error("project {project} has no running `{service}` container (start it with `tmctl up`)")]
    NoDatabase { project: String, service: String },
    #[error("`{command}` in {container} failed (exit code {code}): {stderr}")]
    Command {
        command: String,
        container: String,
        code: String,
        stderr: String,
    },
    #[error("checksum mismatch for {path}: expected {expected}, found {found}")]
    Checksum {
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error("the catalog {path} is malformed: {message}")]
    Catalog { path: PathBuf, message: String },
    #[error("no backup `{wanted}` in {dir}; `tmctl backup list` shows the ones there are")]
    NotFound { wanted: String, dir: PathBuf },
    #[error("backup {id} is not a good backup (outcome: {outcome})")]
    NotGood { id: String, outcome: String },
    #[error("{0}")]
    Lock(#[from] crate::lock::file::LockError),
    #[error("{0}")]
    Op(#[from] crate::engine::ops::OpError),
    #[error("invalid backup setting: {0}")]
    Setting(String),
}

impl BackupError {
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| BackupError::Io {
            action,
            path,
            source,
        }
    }

    pub fn engine(context: impl Into<String>) -> impl FnOnce(bollard::errors::Error) -> Self {
        let context = context.into();
        move |source| BackupError::Engine { context, source }
    }
}
