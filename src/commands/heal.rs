//! `tmctl heal`: restart replicas that stay unhealthy, with backoff and an hourly cap;
//! containers that are not running are left alone. Counts persist in
//! `<state-dir>/<project>/heal.json`, so `--once` from cron builds on earlier runs.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context as _;
use bollard::models::HealthStatusEnum;
use bollard::query_parameters::{InspectContainerOptions, RestartContainerOptionsBuilder};
use bollard::Docker;

use super::stack::{connect, runtime};
use super::Context;
use crate::cli::HealArgs;
use crate::engine::observe;
use crate::health::heal::{Decision, HealState, Policy, Seen};
use crate::state::write_private_file;

pub fn run(context: &Context, args: &HealArgs) -> anyhow::Result<()> {
    let project = context.project()?;
    let file = context.project_state()?.dir.join("heal.json");
    let policy = Policy {
        threshold: args.threshold.max(1),
        backoff: args.backoff,
        max_backoff: args.max_backoff.max(args.backoff),
        max_restarts_per_hour: args.max_restarts_per_hour,
    };
    runtime()?.block_on(async {
        let docker = connect().await?;
        let mut state = load(&file);
        let mut announced: HashMap<String, String> = HashMap::new();
        tracing::info!(
            "healing {project}: restart after {} unhealthy checks, backoff {:?} doubling up to {:?}, at most {} restarts per container per hour",
            policy.threshold,
            policy.backoff,
            policy.max_backoff,
            policy.max_restarts_per_hour
        );
        loop {
            pass(&docker, &project, &policy, &mut state, &mut announced).await?;
            save(&file, &state)?;
            if args.once {
                return Ok(());
            }
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {
                    tracing::info!("heal of {project} stopped");
                    return Ok(());
                }
                _ = tokio::time::sleep(args.interval) => {}
            }
        }
    })
}

fn load(file: &Path) -> HealState {
    match std::fs::read_to_string(file) {
        Ok(text) => serde_json::from_str(&text).unwrap_or_else(|error| {
            tracing::warn!("ignoring {}: {error}", file.display());
            HealState::default()
        }),
        Err(_) => HealState::default(),
    }
}

fn save(file: &Path, state: &HealState) -> anyhow::Result<()> {
    let text = serde_json::to_vec_pretty(state)?;
    write_private_file(file, &text).with_context(|| format!("cannot save {}", file.display()))
}

async fn seen(docker: &Docker, name: &str) -> Option<(String, Seen)> {
    let inspect = docker
        .inspect_container(name, None::<InspectContainerOptions>)
        .await
        .ok()?;
    let state = inspect.state.unwrap_or_default();
    let seen = if !state.running.unwrap_or(false) || state.restarting.unwrap_or(false) {
        Seen::Stopped
    } else {
        match state.health.and_then(|health| health.status) {
            Some(HealthStatusEnum::UNHEALTHY) => Seen::Unhealthy,
            Some(HealthStatusEnum::STARTING) => Seen::Starting,
            _ => Seen::Healthy,
        }
    };
    Some((inspect.id.unwrap_or_default(), seen))
}

async fn pass(
    docker: &Docker,
    project: &str,
    policy: &Policy,
    state: &mut HealState,
    announced: &mut HashMap<String, String>,
) -> anyhow::Result<()> {
    let containers = observe::containers(docker, project)
        .await
        .with_context(|| format!("cannot list the containers of {project}"))?;
    let names: Vec<String> = containers.iter().map(|c| c.name.clone()).collect();
    state.retain(&names);
    let now = chrono::Utc::now().timestamp();
    for name in &names {
        let Some((id, seen)) = seen(docker, name).await else {
            continue;
        };
        let decision = state.check(name, &id, seen, now, policy);
        // Log each situation once, not on every check.
        let situation = match &decision {
            Decision::Fine => "fine".to_owned(),
            Decision::LeaveStopped => "stopped".to_owned(),
            Decision::Counting { .. } => "counting".to_owned(),
            Decision::Restart { attempt, .. } => format!("restart {attempt}"),
            Decision::BackingOff { .. } => "backoff".to_owned(),
            Decision::Capped { .. } => "capped".to_owned(),
        };
        let first_time = announced.insert(name.clone(), situation.clone()) != Some(situation);
        match decision {
            Decision::Fine => {}
            Decision::LeaveStopped if first_time => {
                tracing::info!("{name} is not running: left alone (stopped on purpose)")
            }
            Decision::LeaveStopped => {}
            Decision::Counting { checks } => {
                tracing::info!("{name} is unhealthy ({checks}/{} checks)", policy.threshold)
            }
            Decision::BackingOff { wait } if first_time => tracing::info!(
                "{name} is still unhealthy; backing off, next restart in {}s at the earliest",
                wait.as_secs()
            ),
            Decision::BackingOff { .. } => {}
            Decision::Capped { restarts } if first_time => tracing::warn!(
                "{name} is still unhealthy but was restarted {restarts} times within the hour (cap {}); leaving it alone",
                policy.max_restarts_per_hour
            ),
            Decision::Capped { .. } => {}
            Decision::Restart { attempt, checks } => {
                restart(docker, name, attempt, checks, policy, state).await;
            }
        }
    }
    Ok(())
}

async fn restart(
    docker: &Docker,
    name: &str,
    attempt: u32,
    checks: u32,
    policy: &Policy,
    state: &mut HealState,
) {
    // Someone may have stopped it since the check; a restart would start it again.
    if !matches!(seen(docker, name).await, Some((_, Seen::Unhealthy))) {
        state.restart_failed(name);
        tracing::info!("{name} changed since the check; not restarting it");
        return;
    }
    let options = RestartContainerOptionsBuilder::default().t(10).build();
    match docker.restart_container(name, Some(options)).await {
        Ok(()) => tracing::info!(
            "restarted {name}: unhealthy for {checks} consecutive checks (restart {attempt} of at most {} this hour)",
            policy.max_restarts_per_hour
        ),
        Err(error) => {
            state.restart_failed(name);
            tracing::error!("cannot restart {name}: {error}");
        }
    }
}
