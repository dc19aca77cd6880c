//! An exclusive lock on a file in a directory (the backup catalog's): one writer at a time
//! on this host. The kernel drops the lock when the holder dies, even by SIGKILL.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "project {project} is locked by `{holder}`; wait for it, or retry with --lock-wait 5m"
    )]
    Busy { project: String, holder: String },
    #[error("cannot lock {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct Holder {
    command: String,
    pid: u32,
    host: String,
    since: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "{} (pid {} on {}, since {})",
            self.command, self.pid, self.host, self.since
        )
    }
}

/// Held until dropped.
#[derive(Debug)]
pub struct ProjectLock {
    _file: File,
    pub path: PathBuf,
}

/// Takes the project's lock, waiting up to `wait` for a current holder.
pub fn acquire(
    state_dir: &Path,
    project: &str,
    command: &str,
    wait: Duration,
) -> Result<ProjectLock, LockError> {
    let path = state_dir.join("lock");
    let io = |source| LockError::Io {
        path: path.display().to_string(),
        source,
    };
    crate::state::create_private_dir(state_dir).map_err(|error| LockError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(error.to_string()),
    })?;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    let started = Instant::now();
    let mut announced = false;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.seek(SeekFrom::Start(0));
                let _ = file.read_to_string(&mut text);
                let holder = serde_json::from_str::<Holder>(&text)
                    .map(|holder| holder.to_string())
                    .unwrap_or_else(|_| "another tmctl".to_owned());
                if started.elapsed() >= wait {
                    return Err(LockError::Busy {
                        project: project.to_owned(),
                        holder,
                    });
                }
                if !announced {
                    tracing::info!("waiting for the project lock held by {holder}");
                    announced = true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(std::fs::TryLockError::Error(source)) => return Err(io(source)),
        }
    }
    let holder = Holder {
        command: command.to_owned(),
        pid: std::process::id(),
        host: tmctl_service::util::hostname(),
        since: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    };
    file.set_len(0).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    file.write_all(
        serde_json::to_string(&holder)
            .unwrap_or_default()
            .as_bytes(),
    )
    .map_err(io)?;
    file.flush().map_err(io)?;
    Ok(ProjectLock { _file: file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_taker_is_told_who_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), "tm-x", "tmctl up", Duration::ZERO).unwrap();
        let error =
            acquire(dir.path(), "tm-x", "tmctl down", Duration::from_millis(200)).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("locked by `tmctl up (pid"), "{message}");
        drop(first);
        acquire(dir.path(), "tm-x", "tmctl down", Duration::ZERO).unwrap();
    }
}
