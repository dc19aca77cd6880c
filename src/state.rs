//! The per-project state directory (`.tmctl/<project>/`): what Docker cannot hold.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot create {path}: {source}")]
    Create {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path} is malformed: {message}; fix or delete it (tmctl regenerates missing secrets)"
    )]
    Malformed { path: String, message: String },
}

/// Paths of one project's state.
#[derive(Debug, Clone)]
pub struct ProjectState {
    pub project: String,
    pub dir: PathBuf,
}

impl ProjectState {
    pub fn new(state_dir: &Path, project: &str) -> Self {
        ProjectState {
            project: project.to_owned(),
            dir: state_dir.join(project),
        }
    }

    pub fn secrets_file(&self) -> PathBuf {
        self.dir.join("secrets.env")
    }

    /// The env file holding only the secrets one service lists.
    pub fn service_env_file(&self, service: &str) -> PathBuf {
        self.dir.join("env").join(format!("{service}.env"))
    }

    pub fn tls_dir(&self) -> PathBuf {
        self.dir.join("tls")
    }

    pub fn rendered_dir(&self) -> PathBuf {
        self.dir.join("rendered")
    }
}

/// `path` resolved against `base` when relative.
pub fn absolute(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// Creates `path` (and parents) readable by the owner only.
pub fn create_private_dir(path: &Path) -> Result<(), StateError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(path).map_err(|source| StateError::Create {
        path: path.display().to_string(),
        source,
    })?;
    #[cfg(unix)]
    fs::set_permissions(path, fs::Permissions::from_mode(0o700)).map_err(|source| {
        StateError::Create {
            path: path.display().to_string(),
            source,
        }
    })?;
    Ok(())
}

fn write_error(path: &Path) -> impl Fn(std::io::Error) -> StateError + Copy + '_ {
    move |source| StateError::Write {
        path: path.display().to_string(),
        source,
    }
}

/// Writes `contents` to `path` with mode 0600, atomically (temp file, fsync, rename).
pub fn write_private_file(path: &Path, contents: &[u8]) -> Result<(), StateError> {
    let error = write_error(path);
    if let Some(parent) = path.parent() {
        create_private_dir(parent)?;
    }
    let temporary = path.with_extension(format!("tmp.{}", std::process::id()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(&temporary).map_err(error)?;
    file.write_all(contents).map_err(error)?;
    file.sync_all().map_err(error)?;
    drop(file);
    fs::rename(&temporary, path).map_err(error)?;
    Ok(())
}

/// Writes a file meant to be read and reviewed (rendered configuration), atomically.
pub fn write_public_file(path: &Path, contents: &[u8]) -> Result<(), StateError> {
    let error = write_error(path);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(error)?;
    }
    let temporary = path.with_extension(format!("tmp.{}", std::process::id()));
    fs::write(&temporary, contents).map_err(error)?;
    fs::rename(&temporary, path).map_err(error)?;
    Ok(())
}
