//! Commands in the database container with their output streamed, never held whole:
//! stdout goes to a sink chunk by chunk, a file can be streamed into stdin.

use std::path::Path;

use bollard::container::LogOutput;
use bollard::exec::StartExecResults;
use bollard::models::ExecConfig;
use bollard::Docker;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::error::BackupError;
use super::target::Database;
use crate::hex::hex;

/// Stderr kept for error messages: the tail, at most this many bytes.
const STDERR_LIMIT: usize = 16 * 1024;
const CHUNK: usize = 256 * 1024;

#[derive(Debug)]
pub struct ExecResult {
    /// None when the Engine could not tell (the container went away mid-command).
    pub exit_code: Option<i64>,
    pub stderr: String,
    /// SHA-256 of what was streamed into stdin, when a file was.
    pub input_sha256: Option<String>,
}

impl ExecResult {
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }

    pub fn into_error(self, command: &[String], container: &str) -> BackupError {
        BackupError::Command {
            command: command.join(" "),
            container: container.to_owned(),
            code: self
                .exit_code
                .map(|code| code.to_string())
                .unwrap_or_else(|| "unknown: the container went away".to_owned()),
            stderr: self.stderr.trim().to_owned(),
        }
    }
}

/// Runs `command` as the postgres OS user in the database container; each stdout chunk
/// goes to `sink`; `input` (a file) is streamed into stdin.
pub async fn run(
    docker: &Docker,
    database: &Database,
    command: &[String],
    input: Option<&Path>,
    sink: impl FnMut(&[u8]) -> Result<(), BackupError>,
) -> Result<ExecResult, BackupError> {
    run_feeding(docker, database, command, input, None, sink).await
}

/// [`run`], counting the bytes of `input` fed into the command on `fed`.
pub async fn run_feeding(
    docker: &Docker,
    database: &Database,
    command: &[String],
    input: Option<&Path>,
    fed: Option<indicatif::ProgressBar>,
    mut sink: impl FnMut(&[u8]) -> Result<(), BackupError>,
) -> Result<ExecResult, BackupError> {
    let container = &database.container;
    let exec = docker
        .create_exec(
            container,
            ExecConfig {
                cmd: Some(command.to_vec()),
                user: Some("postgres".to_owned()),
                env: Some(database.exec_env()),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                attach_stdin: Some(input.is_some()),
                ..Default::default()
            },
        )
        .await
        .map_err(BackupError::engine(format!("cannot exec in {container}")))?;
    let started = docker
        .start_exec(&exec.id, None)
        .await
        .map_err(BackupError::engine(format!("cannot exec in {container}")))?;
    let StartExecResults::Attached {
        mut output,
        input: stdin,
    } = started
    else {
        return Err(BackupError::Setting(format!(
            "the Engine started `{}` detached",
            command.join(" ")
        )));
    };
    // Set once the command has exited: the feeder stops writing (nothing reads any more)
    // but keeps reading the file so its checksum still covers all of it.
    let (exited, exited_watch) = tokio::sync::watch::channel(false);
    let feeder = input.map(|path| tokio::spawn(feed(path.to_path_buf(), stdin, exited_watch, fed)));
    let mut stderr: Vec<u8> = Vec::new();
    let mut failure: Option<BackupError> = None;
    while let Some(chunk) = output.next().await {
        match chunk {
            Ok(LogOutput::StdErr { message }) => {
                stderr.extend_from_slice(&message);
                if stderr.len() > STDERR_LIMIT {
                    stderr.drain(..stderr.len() - STDERR_LIMIT);
                }
            }
            Ok(LogOutput::StdOut { message }) | Ok(LogOutput::Console { message }) => {
                if failure.is_none() {
                    if let Err(error) = sink(&message) {
                        failure = Some(error);
                        break;
                    }
                }
            }
            Ok(LogOutput::StdIn { .. }) => {}
            Err(error) => {
                // The stream broke (e.g. the container was killed): the exit code decides.
                tracing::debug!("exec output from {container} ended: {error}");
                break;
            }
        }
    }
    drop(output);
    let _ = exited.send(true);
    let input_sha256 = match feeder {
        Some(task) => match task.await {
            Ok(Ok(digest)) => Some(digest),
            Ok(Err(error)) => {
                failure.get_or_insert(error);
                None
            }
            Err(join) => {
                failure.get_or_insert(BackupError::Setting(format!("stdin feeder: {join}")));
                None
            }
        },
        None => None,
    };
    if let Some(error) = failure {
        return Err(error);
    }
    let exit_code = match docker.inspect_exec(&exec.id).await {
        Ok(inspect) if inspect.running == Some(true) => None,
        Ok(inspect) => inspect.exit_code,
        Err(_) => None,
    };
    Ok(ExecResult {
        exit_code,
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        input_sha256,
    })
}

/// Streams the file into the command's stdin and closes it; returns the file's SHA-256.
async fn feed(
    path: std::path::PathBuf,
    mut stdin: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
    mut exited: tokio::sync::watch::Receiver<bool>,
    fed: Option<indicatif::ProgressBar>,
) -> Result<String, BackupError> {
    let mut file = tokio::fs::File::open(&path)
        .await
        .map_err(BackupError::io("cannot open", &path))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK];
    let mut broken_pipe = false;
    loop {
        let read = file
            .read(&mut buffer)
            .await
            .map_err(BackupError::io("cannot read", &path))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        // Once the command stops reading (it failed, or like `pg_restore --list` needs no
        // more), keep hashing so the checksum covers the whole file; its exit code speaks.
        if !broken_pipe && *exited.borrow() {
            broken_pipe = true;
        }
        if !broken_pipe {
            tokio::select! {
                written = stdin.write_all(&buffer[..read]) => broken_pipe = written.is_err(),
                _ = exited.changed() => broken_pipe = true,
            }
            if let Some(bar) = &fed {
                bar.inc(read as u64);
            }
        }
    }
    let _ = stdin.shutdown().await;
    Ok(hex(&hasher.finalize()))
}
