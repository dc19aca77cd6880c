//! Plans that only remove: the leftovers of a failed or interrupted run, and `down`.

use std::collections::BTreeMap;

use super::builder::Builder;
use super::{is_leftover, Run};
use crate::engine::desired::DesiredState;
use crate::engine::observe::{Observed, ObservedContainer};
use crate::engine::plan::{Action, Cause, Plan};

/// After a failed or interrupted run: every container under a temporary name goes, the
/// ones behind the gateway after it stopped sending them requests.
pub fn leftover_cleanup(desired: &DesiredState, observed: &Observed) -> Plan {
    let mut run = Run::new(desired, observed);
    let leftovers: Vec<&ObservedContainer> = observed
        .containers
        .iter()
        .filter(|c| is_leftover(desired, c))
        .collect();
    let mut after = Vec::new();
    if let Some(upstream) = run.gateway.upstream_service().map(str::to_owned) {
        let behind: Vec<&&ObservedContainer> =
            leftovers.iter().filter(|c| c.service == upstream).collect();
        if run.gateway.is_in_front_of(&upstream) && !behind.is_empty() {
            let serving: Vec<String> = observed
                .containers
                .iter()
                .filter(|c| c.service == upstream && c.is_running() && !is_leftover(desired, c))
                .map(|c| c.name.clone())
                .collect();
            after = run.update_gateway(serving, true, vec![]);
        }
    }
    for container in leftovers {
        run.stop_and_remove(container, None, after.clone(), Cause::Leftover);
    }
    run.builder.finish()
}

/// `tmctl down`: every container stopped (with its service's grace period) and removed,
/// then the networks, and the volumes when asked.
pub fn teardown(
    project: &str,
    observed: &Observed,
    grace: &BTreeMap<String, std::time::Duration>,
    volumes: bool,
) -> Plan {
    let mut builder = Builder::default();
    let mut removed = Vec::new();
    for container in &observed.containers {
        let service = Some(container.service.as_str());
        let mut after = vec![];
        if container.is_running() {
            let grace_seconds = grace.get(&container.service).map_or(10, |g| g.as_secs());
            after.push(builder.push(
                Action::Stop {
                    container: container.name.clone(),
                    grace_seconds,
                },
                service,
                vec![],
                Cause::Down,
            ));
        }
        removed.push(builder.push(
            Action::Remove {
                container: container.name.clone(),
            },
            service,
            after,
            Cause::Down,
        ));
    }
    for network in &observed.networks {
        builder.push(
            Action::RemoveNetwork {
                network: network.clone(),
            },
            None,
            removed.clone(),
            Cause::Down,
        );
    }
    if volumes {
        // The project's state (secrets, releases, audit) lives in a volume held by a
        // container of its own; it goes with the other volumes.
        let state_volume = crate::engine::project_store::volume_name(project);
        if observed.volumes.contains(&state_volume) {
            removed.push(builder.push(
                Action::Remove {
                    container: crate::engine::project_store::keeper_name(project),
                },
                None,
                vec![],
                Cause::DownVolumes,
            ));
        }
        for volume in &observed.volumes {
            builder.push(
                Action::RemoveVolume {
                    volume: volume.clone(),
                },
                None,
                removed.clone(),
                Cause::DownVolumes,
            );
        }
    }
    builder.finish()
}
