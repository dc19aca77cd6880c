//! `tmctl down`: remove the project's containers and networks, and volumes on request.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};

use anyhow::bail;
use bollard::query_parameters::RemoveVolumeOptionsBuilder;
use futures_util::future::try_join_all;

use super::stack::{connect, runtime};
use super::Context;
use crate::cli::DownArgs;
use crate::engine::{lock, observe, ops};

pub fn run(context: &Context, args: &DownArgs) -> anyhow::Result<()> {
    let state = context.project_state()?;
    let _lock = lock::acquire(&state.dir, &state.project, "tmctl down", args.lock_wait)?;
    runtime()?.block_on(down(context, args, &state.project))
}

async fn down(context: &Context, args: &DownArgs, project: &str) -> anyhow::Result<()> {
    let docker = connect().await?;
    let observed = observe::observe(&docker, project).await?;
    if args.volumes && !observed.volumes.is_empty() && !(args.yes && context.global.quiet) {
        println!(
            "this deletes the volumes of {project}, with all their data: {}",
            observed.volumes.join(", ")
        );
        if !args.yes {
            if !std::io::stdin().is_terminal() {
                bail!("refusing to delete volumes without confirmation: add --yes");
            }
            print!("delete them? [y/N] ");
            std::io::stdout().flush()?;
            let mut answer = String::new();
            std::io::stdin().lock().read_line(&mut answer)?;
            if !matches!(answer.trim(), "y" | "Y" | "yes") {
                bail!("nothing deleted");
            }
        }
    }
    let grace: HashMap<String, Option<std::time::Duration>> = context
        .load_profile()
        .map(|loaded| {
            loaded
                .profile
                .services
                .iter()
                .map(|(name, service)| {
                    (name.clone(), service.stop_grace_period.map(|d| d.as_std()))
                })
                .collect()
        })
        .unwrap_or_default();
    try_join_all(observed.containers.iter().map(|container| {
        let grace = grace.get(&container.service).copied().flatten();
        ops::stop_and_remove(&docker, &container.name, grace)
    }))
    .await?;
    for network in &observed.networks {
        if let Err(error) = docker.remove_network(network).await {
            if !ops::is_not_found(&error) {
                return Err(error.into());
            }
        }
    }
    if args.volumes {
        for volume in &observed.volumes {
            let options = RemoveVolumeOptionsBuilder::default().force(true).build();
            if let Err(error) = docker.remove_volume(volume, Some(options)).await {
                if !ops::is_not_found(&error) {
                    return Err(error.into());
                }
            }
        }
    }
    if !context.global.quiet {
        println!(
            "{project}: removed {} container(s), {} network(s){}",
            observed.containers.len(),
            observed.networks.len(),
            if args.volumes {
                format!(", {} volume(s)", observed.volumes.len())
            } else if observed.volumes.is_empty() {
                String::new()
            } else {
                format!(
                    "; kept {} volume(s) (use --volumes to delete them)",
                    observed.volumes.len()
                )
            }
        );
    }
    Ok(())
}
