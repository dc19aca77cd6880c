//! The service behind the gateway: its replicas join the gateway's upstreams only once
//! ready and leave them (with a drain) before they are stopped, so no request goes to a
//! replica that is not there.

use super::{Run, Slot};
use crate::engine::desired::{DesiredService, DesiredState};
use crate::engine::observe::{Observed, ObservedContainer};
use crate::engine::plan::{Action, Cause, ReloadKind, StepId};
use crate::profile::UpdateOrder;

/// What the plan knows and does about the gateway.
#[derive(Debug, Default)]
pub(super) struct Gateway {
    service: Option<String>,
    upstream: Option<String>,
    /// Running gateway containers, which reload in place.
    live: Vec<String>,
    /// The last steps that touched the gateway: its steps run one after another.
    chain: Vec<StepId>,
    /// The final upstream set has been written by an upstream change.
    final_written: bool,
    final_upstreams: Vec<String>,
    final_digest: Option<String>,
}

impl Gateway {
    pub fn new(desired: &DesiredState, observed: &Observed) -> Gateway {
        let Some(gateway) = &desired.gateway else {
            return Gateway::default();
        };
        let live = observed
            .containers
            .iter()
            .filter(|c| c.service == gateway.service && c.is_running())
            .filter(|c| !super::is_leftover(desired, c))
            .map(|c| c.name.clone())
            .collect();
        let replicas = desired
            .service(&gateway.upstream_service)
            .map_or(0, |service| service.replicas);
        Gateway {
            service: Some(gateway.service.clone()),
            upstream: Some(gateway.upstream_service.clone()),
            live,
            chain: Vec::new(),
            final_written: false,
            final_upstreams: (1..=replicas)
                .map(|number| desired.container_name(&gateway.upstream_service, number))
                .collect(),
            final_digest: desired
                .final_gateway_files()
                .and_then(Result::ok)
                .map(|files| files.digest()),
        }
    }

    pub fn service(&self) -> Option<&str> {
        self.service.as_deref()
    }

    pub fn upstream_service(&self) -> Option<&str> {
        self.upstream.as_deref()
    }

    /// Whether a running gateway sends requests to `service`.
    pub fn is_in_front_of(&self, service: &str) -> bool {
        !self.live.is_empty() && self.upstream.as_deref() == Some(service)
    }

    pub fn chain(&self) -> Vec<StepId> {
        self.chain.clone()
    }

    pub fn final_upstreams(&self, _desired: &DesiredState) -> Vec<String> {
        self.final_upstreams.clone()
    }

    pub fn final_digest(&self) -> Option<String> {
        self.final_digest.clone()
    }
}

impl Run<'_> {
    /// Writes a gateway config naming exactly `upstreams` into every running gateway and
    /// reloads it; returns the reload steps.
    pub(super) fn update_gateway(
        &mut self,
        mut upstreams: Vec<String>,
        drain: bool,
        after: Vec<StepId>,
    ) -> Vec<StepId> {
        upstreams.sort();
        upstreams.dedup();
        let service = self.gateway.service.clone();
        let mut reloads = Vec::new();
        for container in self.gateway.live.clone() {
            let copy = self.builder.push(
                Action::CopyFiles {
                    container: container.clone(),
                    upstreams: Some(upstreams.clone()),
                    staged: true,
                },
                service.as_deref(),
                [after.clone(), self.gateway.chain.clone()].concat(),
                Cause::Upstreams,
            );
            reloads.push(self.builder.push(
                Action::Reload {
                    container,
                    how: ReloadKind::NginxRouter { drain },
                },
                service.as_deref(),
                vec![copy],
                Cause::Upstreams,
            ));
        }
        self.gateway.chain = reloads.clone();
        self.gateway.final_written = upstreams == self.gateway.final_upstreams;
        reloads
    }

    pub(super) fn upstream_service(
        &mut self,
        service: &DesiredService,
        slots: &[Slot],
        surplus: &[&ObservedContainer],
        leftovers: &[&ObservedContainer],
        adopted: Vec<StepId>,
    ) {
        // Replicas that serve now and keep serving until replaced (adopted ones under the
        // name they are about to get).
        let mut serving: Vec<String> = slots
            .iter()
            .filter_map(|slot| match slot {
                Slot::Unchanged(number, c) | Slot::Replace(number, c, _) if c.is_running() => {
                    Some(self.desired.container_name(&service.name, *number))
                }
                _ => None,
            })
            .collect();
        let mut joined_after = adopted;
        for slot in slots {
            match slot {
                Slot::New(number) => {
                    let name = self.desired.container_name(&service.name, *number);
                    joined_after.push(self.start_replacement(
                        service,
                        *number,
                        &name,
                        &Cause::Missing,
                        vec![],
                    ));
                    serving.push(name);
                }
                Slot::Restart(container) => {
                    let started = self.restart(service, container);
                    joined_after.push(self.healthy(service, &container.name, started));
                    serving.push(container.name.clone());
                }
                Slot::Unchanged(..) | Slot::Replace(..) => {}
            }
        }
        let removals: Vec<(&ObservedContainer, Cause)> = surplus
            .iter()
            .map(|c| {
                (
                    *c,
                    Cause::ScaleDown {
                        replicas: service.replicas,
                    },
                )
            })
            .chain(leftovers.iter().map(|c| (*c, Cause::Leftover)))
            .collect();
        if !joined_after.is_empty() || !removals.is_empty() {
            let reloads = self.update_gateway(serving.clone(), !removals.is_empty(), joined_after);
            for (container, cause) in removals {
                self.stop_and_remove(container, service.spec.stop_grace(), reloads.clone(), cause);
            }
        }
        let replacements: Vec<(u32, &ObservedContainer, Cause)> = slots
            .iter()
            .filter_map(|slot| match slot {
                Slot::Replace(number, c, cause) => Some((*number, *c, cause.clone())),
                _ => None,
            })
            .collect();
        let mut previous: Vec<StepId> = Vec::new();
        let mut renamed = false;
        for batch in replacements.chunks(service.update.parallelism.max(1) as usize) {
            let ends = match service.update.order {
                UpdateOrder::StartFirst => {
                    renamed = true;
                    self.rolling_batch(service, batch, &mut serving, previous)
                }
                UpdateOrder::StopFirst => {
                    let outage = batch.len() >= serving.len();
                    self.stop_first_batch(service, batch, &mut serving, previous, outage)
                }
            };
            previous = self.pause_after(service, ends);
        }
        if renamed {
            let canonical = self.gateway.final_upstreams.clone();
            self.update_gateway(canonical, false, previous);
        }
    }

    /// Start-first batch: new replicas ready → added to the gateway → monitored → old ones
    /// out of the gateway (drained) → stopped, removed → new ones renamed.
    fn rolling_batch(
        &mut self,
        service: &DesiredService,
        batch: &[(u32, &ObservedContainer, Cause)],
        serving: &mut Vec<String>,
        previous: Vec<StepId>,
    ) -> Vec<StepId> {
        let mut ready = Vec::new();
        let mut nexts = Vec::new();
        for (number, old, cause) in batch {
            let next = format!("{}{}", old.name, super::NEXT_SUFFIX);
            ready.push(self.start_replacement(service, *number, &next, cause, previous.clone()));
            nexts.push(next);
        }
        serving.extend(nexts.iter().cloned());
        let added = self.update_gateway(serving.clone(), false, ready);
        let mut monitored = Vec::new();
        for ((_, _, cause), next) in batch.iter().zip(&nexts) {
            monitored.extend(self.monitor(service, next, added.clone(), cause));
        }
        serving.retain(|name| !batch.iter().any(|(_, old, _)| old.name == *name));
        let drained = self.update_gateway(serving.clone(), true, monitored);
        let mut ends = Vec::new();
        for ((_, old, cause), next) in batch.iter().zip(nexts) {
            ends.push(self.take_over(service, old, next, drained.clone(), cause));
        }
        ends
    }

    /// Stop-first batch: old replicas out of the gateway (drained) → stopped, removed →
    /// new ones under the same names, ready → back in the gateway.
    fn stop_first_batch(
        &mut self,
        service: &DesiredService,
        batch: &[(u32, &ObservedContainer, Cause)],
        serving: &mut Vec<String>,
        previous: Vec<StepId>,
        outage: bool,
    ) -> Vec<StepId> {
        serving.retain(|name| !batch.iter().any(|(_, old, _)| old.name == *name));
        let drained = self.update_gateway(serving.clone(), true, previous);
        let mut ready = Vec::new();
        for (number, old, cause) in batch {
            let removed = self.retire(service, old, drained.clone(), cause, outage);
            let started = self.start_new(service, *number, &old.name, cause.clone(), removed);
            ready.push(self.healthy(service, &old.name, started));
            serving.push(old.name.clone());
        }
        self.update_gateway(serving.clone(), false, ready)
    }

    /// Waits after `after` until the container is healthy (running, without a check),
    /// unless `after` already is that wait.
    fn healthy(&mut self, service: &DesiredService, name: &str, after: StepId) -> StepId {
        let until = if service.spec.healthcheck.is_some() {
            crate::engine::plan::Readiness::Healthy
        } else {
            crate::engine::plan::Readiness::Running
        };
        if self.builder.get(after).is_some_and(
            |step| matches!(step.action, Action::WaitReady { until: u, .. } if u == until),
        ) {
            return after;
        }
        self.builder.push(
            Action::WaitReady {
                container: name.to_owned(),
                until,
            },
            Some(&service.name),
            vec![after],
            Cause::Upstreams,
        )
    }

    /// The gateway's own containers that run and are up to date get the final files when
    /// no upstream change wrote them already.
    pub(super) fn gateway_files(&mut self, observed: &Observed) {
        if self.gateway.final_written {
            return;
        }
        let Some(service) = self.gateway.service.clone() else {
            return;
        };
        let Some(desired) = self.desired.service(&service) else {
            return;
        };
        let wanted = self.gateway.final_digest.clone();
        for container in &observed.containers {
            let up_to_date = container.service == service
                && container.is_running()
                && container.hash == desired.hash
                && !super::is_leftover(self.desired, container);
            if !up_to_date || (wanted.is_some() && container.files_digest == wanted) {
                continue;
            }
            let copy = self.builder.push(
                Action::CopyFiles {
                    container: container.name.clone(),
                    upstreams: Some(self.gateway.final_upstreams.clone()),
                    staged: true,
                },
                Some(&service),
                self.gateway.chain.clone(),
                Cause::FilesChanged,
            );
            let chain = self.reload_gateway_files(&container.name, copy);
            self.gateway.chain = vec![chain];
        }
    }

    /// After the gateway's files changed: the router and the edge both reload. Returns the
    /// last step.
    pub(super) fn reload_gateway_files(&mut self, container: &str, after: StepId) -> StepId {
        let service = self.gateway.service().map(str::to_owned);
        let router = self.builder.push(
            Action::Reload {
                container: container.to_owned(),
                how: ReloadKind::NginxRouter { drain: false },
            },
            service.as_deref(),
            vec![after],
            Cause::FilesChanged,
        );
        self.builder.push(
            Action::Reload {
                container: container.to_owned(),
                how: ReloadKind::Nginx,
            },
            service.as_deref(),
            vec![router],
            Cause::FilesChanged,
        )
    }
}
