//! `tmctl down`: remove the project's containers and networks, and volumes on request.

use serde_json::json;

use super::Context;
use crate::audit::{self, AuditRecord};
use crate::cli::DownArgs;
use crate::deploy::down;
use crate::engine::docker::{connect, Engine};
use crate::lock::engine as lock;
use crate::output::events::EventPrinter;
use crate::profile::LoadedProfile;
use crate::state::ProjectState;

pub fn run(context: &Context, args: &DownArgs) -> anyhow::Result<()> {
    let state = context.project_state()?;
    // The profile only lends its grace periods: `down` works even when it no longer loads.
    let loaded = context.load_profile().ok();
    super::runtime()?.block_on(async {
        let docker = connect().await?;
        let lock = lock::acquire(&docker, &state.project, "tmctl down", args.lock_wait).await?;
        let started = std::time::Instant::now();
        let result = down(context, &docker, &state, loaded.as_ref(), args).await;
        let mut record = AuditRecord::new(&state.project, "down").outcome(&result);
        record.duration_ms = Some(started.elapsed().as_millis() as u64);
        record.detail = args.volumes.then(|| "with volumes".to_owned());
        audit::record(&docker, &state, &record).await;
        lock.release().await;
        if let Err(error) = &result {
            if context.global.json {
                EventPrinter::new(context.style, true).json_line(&json!({
                    "event": "summary",
                    "command": "down",
                    "outcome": "failed",
                    "project": state.project,
                    "error": format!("{error:#}"),
                }));
            }
        }
        result
    })
}

async fn down(
    context: &Context,
    docker: &Engine,
    state: &ProjectState,
    loaded: Option<&LoadedProfile>,
    args: &DownArgs,
) -> anyhow::Result<()> {
    let teardown = down::prepare(docker, state, loaded, args.volumes).await?;
    let project = &teardown.project;
    let volumes = &teardown.observed.volumes;
    if args.volumes && !volumes.is_empty() {
        confirm_volume_deletion(context, args.yes, project, volumes)?;
    }
    let printer = EventPrinter::new(context.style, true);
    teardown.execute(&printer).await?;
    let observed = &teardown.observed;
    if context.global.json {
        printer.json_line(&json!({
            "event": "summary",
            "command": "down",
            "outcome": "ok",
            "project": project,
            "containers": observed.containers.len(),
            "networks": observed.networks.len(),
            "volumes": if args.volumes { volumes.len() } else { 0 },
        }));
    } else if !context.global.quiet {
        println!(
            "{project}: removed {} container(s), {} network(s){}",
            observed.containers.len(),
            observed.networks.len(),
            if args.volumes {
                format!(", {} volume(s)", volumes.len())
            } else if volumes.is_empty() {
                String::new()
            } else {
                format!(
                    "; kept {} volume(s) (use --volumes to delete them)",
                    volumes.len()
                )
            }
        );
    }
    Ok(())
}

/// Says which volumes go; asks on a terminal, needs --yes elsewhere.
fn confirm_volume_deletion(
    context: &Context,
    yes: bool,
    project: &str,
    volumes: &[String],
) -> anyhow::Result<()> {
    let silent = context.global.json || (yes && context.global.quiet);
    if !silent {
        println!(
            "this deletes the volumes of {project}, with all their data: {}",
            volumes.join(", ")
        );
    }
    let refusal = format!(
        "refusing to delete the volumes of {project} ({}) without confirmation: add --yes",
        volumes.join(", ")
    );
    super::confirm(yes, "delete them?", &refusal, "nothing deleted")
}
