//! `tmctl exec`: run a command in a service's container; the exit code passes through.

use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;
use bollard::container::LogOutput;
use bollard::exec::StartExecResults;
use bollard::models::ExecConfig;
use futures_util::StreamExt;

use super::stack::{connect, runtime};
use super::Context;
use crate::cli::ExecArgs;
use crate::engine::{labels, observe};

pub fn run(context: &Context, args: &ExecArgs) -> anyhow::Result<ExitCode> {
    let project = context.project()?;
    runtime()?.block_on(async {
        let docker = connect().await?;
        let name = labels::container_name(&project, &args.service, args.replica);
        let containers = observe::containers(&docker, &project).await?;
        let Some(container) = containers.iter().find(|c| c.name == name) else {
            let known: Vec<String> = containers
                .iter()
                .map(|c| format!("{} (replica {})", c.service, c.number))
                .collect();
            bail!(
                "{project} has no replica {} of service `{}`; running: {}",
                args.replica,
                args.service,
                if known.is_empty() {
                    "nothing".to_owned()
                } else {
                    known.join(", ")
                }
            );
        };
        if !container.is_running() {
            bail!(
                "{} is {}; start it with `tmctl up`",
                container.name,
                container.state
            );
        }
        let exec = docker
            .create_exec(
                &container.name,
                ExecConfig {
                    cmd: Some(args.command.clone()),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    ..Default::default()
                },
            )
            .await?;
        if let StartExecResults::Attached { mut output, .. } =
            docker.start_exec(&exec.id, None).await?
        {
            while let Some(chunk) = output.next().await {
                match chunk? {
                    LogOutput::StdErr { message } => std::io::stderr().write_all(&message)?,
                    other => std::io::stdout().write_all(&other.into_bytes())?,
                }
            }
        }
        std::io::stdout().flush()?;
        let code = docker.inspect_exec(&exec.id).await?.exit_code.unwrap_or(1);
        Ok(ExitCode::from(
            u8::try_from(code.clamp(0, 255)).unwrap_or(1),
        ))
    })
}
