//! `tmctl exec`: run a command in a service's container; the exit code passes through.

use std::process::ExitCode;

use anyhow::bail;

use super::{runtime, Context};
use crate::cli::ExecArgs;
use crate::engine::docker::connect;
use crate::engine::{labels, observe, ops};

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
        let code = ops::exec_attached(&docker, &container.name, &args.command).await?;
        Ok(ExitCode::from(
            u8::try_from(code.clamp(0, 255)).unwrap_or(1),
        ))
    })
}
