//! One pass of `tmctl heal` over the Engine: look at every container of the project, decide
//! with [`HealState`], restart the ones the policy says to.

use std::collections::HashMap;

use anyhow::Context as _;
use bollard::models::HealthStatusEnum;
use bollard::query_parameters::{InspectContainerOptions, RestartContainerOptionsBuilder};
use bollard::Docker;

use super::heal::{Decision, HealState, Policy, Seen};
use crate::engine::observe;

/// What heal has logged per container, so each situation is logged once, not every check.
pub type Announced = HashMap<String, String>;

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

/// Checks every container once; returns the names of the containers restarted.
pub async fn pass(
    docker: &Docker,
    project: &str,
    policy: &Policy,
    state: &mut HealState,
    announced: &mut Announced,
) -> anyhow::Result<Vec<String>> {
    let containers = observe::containers(docker, project)
        .await
        .with_context(|| format!("cannot list the containers of {project}"))?;
    let names: Vec<String> = containers.iter().map(|c| c.name.clone()).collect();
    state.retain(&names);
    let now = chrono::Utc::now().timestamp();
    let mut restarted = Vec::new();
    for name in &names {
        let Some((id, seen)) = seen(docker, name).await else {
            continue;
        };
        let decision = state.check(name, &id, seen, now, policy);
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
                if restart(docker, name, attempt, checks, policy, state).await {
                    restarted.push(name.clone());
                }
            }
        }
    }
    Ok(restarted)
}

async fn restart(
    docker: &Docker,
    name: &str,
    attempt: u32,
    checks: u32,
    policy: &Policy,
    state: &mut HealState,
) -> bool {
    // Someone may have stopped it since the check; a restart would start it again.
    if !matches!(seen(docker, name).await, Some((_, Seen::Unhealthy))) {
        state.restart_failed(name);
        tracing::info!("{name} changed since the check; not restarting it");
        return false;
    }
    let options = RestartContainerOptionsBuilder::default().t(10).build();
    match docker.restart_container(name, Some(options)).await {
        Ok(()) => {
            tracing::info!(
                "restarted {name}: unhealthy for {checks} consecutive checks (restart {attempt} of at most {} this hour)",
                policy.max_restarts_per_hour
            );
            true
        }
        Err(error) => {
            state.restart_failed(name);
            tracing::error!("cannot restart {name}: {error}");
            false
        }
    }
}
