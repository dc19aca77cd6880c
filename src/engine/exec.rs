//! Running a command inside a container: its output captured, or passed through.

use std::io::Write;

use bollard::container::LogOutput;
use bollard::exec::StartExecResults;
use bollard::models::ExecConfig;
use bollard::Docker;
use futures_util::StreamExt;

use super::ops::{engine_error, OpError};

/// Output and exit code of a command run inside a container.
#[derive(Debug)]
pub struct ExecOutput {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i64,
}

/// Runs `command` in the container, handing each chunk of output to `output` (`true` for
/// stderr); returns the exit code.
async fn exec(
    docker: &Docker,
    name: &str,
    user: Option<&str>,
    command: Vec<String>,
    env: Vec<String>,
    mut output: impl FnMut(bool, &[u8]) -> Result<(), OpError>,
) -> Result<i64, OpError> {
    let exec = docker
        .create_exec(
            name,
            ExecConfig {
                cmd: Some(command),
                user: user.map(str::to_owned),
                env: (!env.is_empty()).then_some(env),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await
        .map_err(engine_error("cannot exec in", name))?;
    if let StartExecResults::Attached {
        output: mut chunks, ..
    } = docker
        .start_exec(&exec.id, None)
        .await
        .map_err(engine_error("cannot exec in", name))?
    {
        while let Some(chunk) = chunks.next().await {
            match chunk.map_err(engine_error("exec output from", name))? {
                LogOutput::StdErr { message } => output(true, &message)?,
                other => output(false, &other.into_bytes())?,
            }
        }
    }
    Ok(docker
        .inspect_exec(&exec.id)
        .await
        .map_err(engine_error("cannot inspect exec in", name))?
        .exit_code
        .unwrap_or(-1))
}

pub async fn exec_capture(
    docker: &Docker,
    name: &str,
    command: &[&str],
) -> Result<ExecOutput, OpError> {
    exec_capture_with_env(docker, name, command, &[]).await
}

/// [`exec_capture`] with extra `NAME=value` environment variables for the command (the way
/// to hand it a secret: never on its command line).
pub async fn exec_capture_with_env(
    docker: &Docker,
    name: &str,
    command: &[&str],
    env: &[String],
) -> Result<ExecOutput, OpError> {
    let argv = command.iter().map(|part| (*part).to_owned()).collect();
    exec_collect(docker, name, None, argv, env.to_vec()).await
}

/// [`exec_capture`] as root, whatever user the container runs as (to replace files its
/// own user may not write).
pub async fn exec_capture_as_root(
    docker: &Docker,
    name: &str,
    command: &[&str],
) -> Result<ExecOutput, OpError> {
    let argv = command.iter().map(|part| (*part).to_owned()).collect();
    exec_collect(docker, name, Some("0"), argv, Vec::new()).await
}

async fn exec_collect(
    docker: &Docker,
    name: &str,
    user: Option<&str>,
    argv: Vec<String>,
    env: Vec<String>,
) -> Result<ExecOutput, OpError> {
    let mut stdout = String::new();
    let mut stderr = String::new();
    let exit_code = exec(docker, name, user, argv, env, |is_stderr, bytes| {
        let text = String::from_utf8_lossy(bytes);
        if is_stderr {
            stderr.push_str(&text);
        } else {
            stdout.push_str(&text);
        }
        Ok(())
    })
    .await?;
    Ok(ExecOutput {
        stdout,
        stderr,
        exit_code,
    })
}

/// Runs a command with its output passed through to this process's stdout and stderr;
/// returns its exit code.
pub async fn exec_attached(
    docker: &Docker,
    name: &str,
    command: &[String],
) -> Result<i64, OpError> {
    let write_failed = |error: std::io::Error| OpError::Other {
        container: name.to_owned(),
        message: format!("cannot write the command's output: {error}"),
    };
    let code = exec(
        docker,
        name,
        None,
        command.to_vec(),
        vec![],
        |is_stderr, bytes| {
            if is_stderr {
                std::io::stderr().write_all(bytes).map_err(write_failed)
            } else {
                std::io::stdout().write_all(bytes).map_err(write_failed)
            }
        },
    )
    .await?;
    std::io::stdout().flush().map_err(write_failed)?;
    Ok(code)
}
