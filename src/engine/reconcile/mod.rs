//! Desired state against observed state: the plan. Pure: no Engine call, no clock, no I/O.
//!
//! Order of a plan: networks, volumes and directories; orphans and stale leftovers removed
//! (they may hold host ports); then each service in dependency order. New containers are
//! created right away and started once their dependencies are ready. Replacements go in
//! batches of the service's `update.parallelism`: start-first ones start the new replica
//! under a temporary name, wait for it, put it behind the gateway, retire the old one and
//! rename the new one; stop-first ones stop the old replica first (an outage when no other
//! replica serves). Surplus replicas leave the gateway before they are stopped.

mod builder;
mod cleanup;
mod gateway;
mod hooks;
mod replace;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use super::desired::{DesiredService, DesiredState};
use super::observe::{Observed, ObservedContainer};
use super::plan::{Action, Cause, Plan, Readiness, ReloadKind, StepId};
use super::spec::changed_fields;
use crate::profile::UpdateOrder;
use builder::Builder;
pub use cleanup::{leftover_cleanup, teardown};
use gateway::Gateway;

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Wait at the end until every container is healthy (or running, without a check).
    pub wait: bool,
}

/// The suffix of a replacement's temporary name.
pub const NEXT_SUFFIX: &str = "-next";

pub fn reconcile(desired: &DesiredState, observed: &Observed, options: Options) -> Plan {
    let mut run = Run::new(desired, observed);
    run.infrastructure(observed);
    run.remove_strays(observed);
    for service in &desired.services {
        run.service(service, observed);
    }
    run.gateway_files(observed);
    run.post_deploy_hooks();
    if options.wait {
        run.final_waits();
    }
    run.builder.finish()
}

struct Run<'a> {
    desired: &'a DesiredState,
    builder: Builder,
    /// Network, volume and directory creation: every container step comes after them.
    infra: Vec<StepId>,
    /// Removals that free host ports: every start comes after them.
    early: Vec<StepId>,
    /// Per service, the steps after which its changed containers are ready for dependents.
    ready: BTreeMap<String, Vec<StepId>>,
    gateway: Gateway,
    /// Per container name, the step that removes it: a new container of that name is
    /// created only after it.
    freed: BTreeMap<String, StepId>,
    /// Steps every start and stop of the service at hand waits for (its pre-deploy hooks).
    gate: Vec<StepId>,
    /// Services that changed and have post-deploy hooks.
    post_deploy: Vec<&'a DesiredService>,
}

/// One replica slot of a service and what happens to it.
enum Slot<'o> {
    New(u32),
    Replace(u32, &'o ObservedContainer, Cause),
    Restart(&'o ObservedContainer),
    Unchanged(u32, &'o ObservedContainer),
}

impl<'a> Run<'a> {
    fn new(desired: &'a DesiredState, observed: &Observed) -> Run<'a> {
        Run {
            desired,
            builder: Builder::default(),
            infra: Vec::new(),
            early: Vec::new(),
            ready: BTreeMap::new(),
            gateway: Gateway::new(desired, observed),
            freed: BTreeMap::new(),
            gate: Vec::new(),
            post_deploy: Vec::new(),
        }
    }

    fn infrastructure(&mut self, observed: &Observed) {
        let missing_networks = self
            .desired
            .networks
            .iter()
            .filter(|network| !observed.networks.contains(&network.name))
            .map(|network| Action::CreateNetwork {
                network: network.name.clone(),
            });
        let missing_volumes = self
            .desired
            .volumes
            .iter()
            .filter(|volume| !observed.volumes.contains(&volume.name))
            .map(|volume| Action::CreateVolume {
                volume: volume.name.clone(),
            });
        for action in missing_networks.chain(missing_volumes).collect::<Vec<_>>() {
            let id = self.builder.push(action, None, vec![], Cause::Missing);
            self.infra.push(id);
        }
        for directory in &self.desired.directories {
            if !observed.missing_directories.contains(&directory.path) {
                continue;
            }
            let id = self.builder.push(
                Action::CreateDirectory {
                    path: directory.path.clone(),
                    mode: if directory.owner.is_some() {
                        0o750
                    } else {
                        0o755
                    },
                    owner: directory.owner,
                },
                None,
                vec![],
                Cause::Missing,
            );
            self.infra.push(id);
        }
    }

    /// Containers of services no longer in the profile, and leftovers of interrupted
    /// updates that no gateway sends requests to.
    fn remove_strays(&mut self, observed: &Observed) {
        for container in &observed.containers {
            let cause = match self.desired.service(&container.service) {
                None => Cause::Orphan,
                Some(service)
                    if is_leftover(self.desired, container)
                        && !self.gateway.is_in_front_of(&service.name)
                        && self.adoptable(service, container, observed).is_none() =>
                {
                    Cause::Leftover
                }
                Some(_) => continue,
            };
            let ids = self.stop_and_remove(container, None, vec![], cause);
            self.early.extend(ids);
        }
    }

    fn service(&mut self, service: &'a DesiredService, observed: &'a Observed) {
        let mine: Vec<&ObservedContainer> = observed
            .containers
            .iter()
            .filter(|c| c.service == service.name)
            .collect();
        let mut canonical: BTreeMap<u32, &ObservedContainer> = BTreeMap::new();
        let mut adopted: Vec<StepId> = Vec::new();
        let mut leftovers: Vec<&ObservedContainer> = Vec::new();
        for container in &mine {
            if !is_leftover(self.desired, container) {
                canonical.insert(container.number, container);
            } else if let Some(number) = self.adoptable(service, container, observed) {
                let to = self.desired.container_name(&service.name, number);
                let id = self.builder.push(
                    Action::Rename {
                        container: container.name.clone(),
                        to,
                    },
                    Some(&service.name),
                    self.infra.clone(),
                    Cause::Adopted,
                );
                adopted.push(id);
                canonical.insert(number, container);
            } else if self.gateway.is_in_front_of(&service.name) {
                leftovers.push(container);
            }
        }
        let slots: Vec<Slot> = (1..=service.replicas)
            .map(|number| match canonical.get(&number) {
                None => Slot::New(number),
                Some(container) if container.hash != service.hash => {
                    Slot::Replace(number, container, replacement_cause(container, service))
                }
                Some(container) if !container.is_running() => Slot::Restart(container),
                Some(container) => Slot::Unchanged(number, container),
            })
            .collect();
        let surplus: Vec<&ObservedContainer> = canonical
            .values()
            .filter(|c| c.number > service.replicas)
            .copied()
            .collect();
        let changes = slots
            .iter()
            .any(|slot| matches!(slot, Slot::New(_) | Slot::Replace(..)));
        self.gate = if changes {
            self.pre_deploy_hooks(service)
        } else {
            Vec::new()
        };
        if changes && !service.hooks.post_deploy.is_empty() {
            self.post_deploy.push(service);
        }
        if self.gateway.is_in_front_of(&service.name) {
            self.upstream_service(service, &slots, &surplus, &leftovers, adopted);
        } else {
            self.plain_service(service, &slots, &surplus);
        }
        self.gate.clear();
    }

    /// A service no gateway sends requests to.
    fn plain_service(
        &mut self,
        service: &'a DesiredService,
        slots: &[Slot],
        surplus: &[&ObservedContainer],
    ) {
        let is_gateway = self.gateway.service() == Some(service.name.as_str());
        for slot in slots {
            match slot {
                Slot::New(number) => {
                    let name = self.desired.container_name(&service.name, *number);
                    self.start_new(service, *number, &name, Cause::Missing, vec![]);
                }
                Slot::Restart(container) => {
                    self.restart(service, container);
                }
                Slot::Unchanged(_, container) if !is_gateway => {
                    self.sync_files(service, container);
                }
                Slot::Unchanged(..) | Slot::Replace(..) => {}
            }
        }
        let replacements: Vec<(u32, &ObservedContainer, Cause)> = slots
            .iter()
            .filter_map(|slot| match slot {
                Slot::Replace(number, container, cause) => {
                    Some((*number, *container, cause.clone()))
                }
                _ => None,
            })
            .collect();
        let mut previous: Vec<StepId> = if is_gateway {
            self.gateway.chain()
        } else {
            vec![]
        };
        let running = slots
            .iter()
            .filter(|slot| !matches!(slot, Slot::New(_)))
            .count();
        for batch in replacements.chunks(service.update.parallelism.max(1) as usize) {
            let mut ends = Vec::new();
            for (number, old, cause) in batch {
                let end = match service.update.order {
                    UpdateOrder::StartFirst => {
                        self.replace_start_first(service, *number, old, cause, previous.clone())
                    }
                    UpdateOrder::StopFirst => {
                        let outage = batch.len() >= running;
                        self.replace_stop_first(service, *number, old, cause, &previous, outage)
                    }
                };
                ends.extend(end);
            }
            previous = self.pause_after(service, ends);
        }
        for container in surplus {
            let cause = Cause::ScaleDown {
                replicas: service.replicas,
            };
            self.stop_and_remove(
                container,
                service.spec.stop_grace(),
                previous.clone(),
                cause,
            );
        }
    }

    /// Creates (and copies files into) a new container, starts it once its dependencies are
    /// ready, and waits for it when dependents need it. Returns the step after which it is
    /// ready (or started).
    fn start_new(
        &mut self,
        service: &DesiredService,
        number: u32,
        name: &str,
        cause: Cause,
        after: Vec<StepId>,
    ) -> StepId {
        let service_name = Some(service.name.as_str());
        let mut before_create = self.infra.clone();
        before_create.extend(self.freed.get(name));
        let create = self.builder.push(
            Action::Create {
                container: name.to_owned(),
                replica: number,
            },
            service_name,
            before_create,
            cause.clone(),
        );
        let mut before_start = vec![create];
        if let Some(copy) = self.copy_files_into_new(service, name, create, &cause) {
            before_start.push(copy);
        }
        before_start.extend(self.dependencies_ready(service));
        before_start.extend(self.early.iter().copied());
        before_start.extend(self.gate.iter().copied());
        before_start.extend(after);
        let start = self.builder.push(
            Action::Start {
                container: name.to_owned(),
            },
            service_name,
            before_start,
            cause,
        );
        self.wait_for_dependents(service, name, start)
    }

    fn copy_files_into_new(
        &mut self,
        service: &DesiredService,
        name: &str,
        create: StepId,
        cause: &Cause,
    ) -> Option<StepId> {
        let upstreams = if self.gateway.service() == Some(service.name.as_str()) {
            Some(self.gateway.final_upstreams(self.desired))
        } else if service.files.is_some() {
            None
        } else {
            return None;
        };
        Some(self.builder.push(
            Action::CopyFiles {
                container: name.to_owned(),
                upstreams,
                staged: false,
            },
            Some(&service.name),
            vec![create],
            cause.clone(),
        ))
    }

    /// A stopped container with the right configuration: fresh files, then start.
    fn restart(&mut self, service: &DesiredService, container: &ObservedContainer) -> StepId {
        let mut before = self.dependencies_ready(service);
        before.extend(self.early.iter().copied());
        before.extend(self.infra.iter().copied());
        if let Some(copy) = self.copy_files_if_changed(service, container, before.clone(), false) {
            before.push(copy);
        }
        let start = self.builder.push(
            Action::Start {
                container: container.name.clone(),
            },
            Some(&service.name),
            before,
            Cause::Stopped,
        );
        self.wait_for_dependents(service, &container.name, start)
    }

    /// Copies the service's files into `container` when what it has differs; `staged` for
    /// a running container (a reload applies them).
    fn copy_files_if_changed(
        &mut self,
        service: &DesiredService,
        container: &ObservedContainer,
        after: Vec<StepId>,
        staged: bool,
    ) -> Option<StepId> {
        if self.gateway.service() == Some(service.name.as_str()) {
            let wanted = self.gateway.final_digest();
            if container.files_digest.is_some() && container.files_digest == wanted {
                return None;
            }
            return Some(self.builder.push(
                Action::CopyFiles {
                    container: container.name.clone(),
                    upstreams: Some(self.gateway.final_upstreams(self.desired)),
                    staged,
                },
                Some(&service.name),
                after,
                Cause::FilesChanged,
            ));
        }
        let files = service.files.as_ref()?;
        if container.files_digest.as_deref() == Some(files.digest().as_str()) {
            return None;
        }
        Some(self.builder.push(
            Action::CopyFiles {
                container: container.name.clone(),
                upstreams: None,
                staged,
            },
            Some(&service.name),
            after,
            Cause::FilesChanged,
        ))
    }

    /// A running, up-to-date container whose delivered files changed: copy and reload.
    fn sync_files(&mut self, service: &DesiredService, container: &ObservedContainer) {
        let Some(copy) = self.copy_files_if_changed(service, container, vec![], true) else {
            return;
        };
        if self.gateway.service() == Some(service.name.as_str()) {
            self.reload_gateway_files(&container.name, copy);
            return;
        }
        let how = service
            .files
            .as_ref()
            .map_or(ReloadKind::Restart, |files| files.reload.clone());
        self.builder.push(
            Action::Reload {
                container: container.name.clone(),
                how,
            },
            Some(&service.name),
            vec![copy],
            Cause::FilesChanged,
        );
    }

    /// After `start`, waits until the container is what its dependents need (if any).
    fn wait_for_dependents(
        &mut self,
        service: &DesiredService,
        name: &str,
        start: StepId,
    ) -> StepId {
        let Some((until, dependents)) = self.desired.needed_by_dependents(&service.name) else {
            return start;
        };
        let wait = self.builder.push(
            Action::WaitReady {
                container: name.to_owned(),
                until,
            },
            Some(&service.name),
            vec![start],
            Cause::Dependency { dependents },
        );
        self.ready
            .entry(service.name.clone())
            .or_default()
            .push(wait);
        wait
    }

    /// Steps after which every dependency of `service` is ready as it requires. A
    /// dependency this plan does not touch gets a wait of its own, once, in case it is
    /// still starting.
    fn dependencies_ready(&mut self, service: &DesiredService) -> Vec<StepId> {
        let mut after = Vec::new();
        for (dependency, _) in &service.depends_on {
            if !self.ready.contains_key(dependency) {
                let Some(dependency) = self.desired.service(dependency) else {
                    continue;
                };
                let Some((until, dependents)) = self.desired.needed_by_dependents(&dependency.name)
                else {
                    continue;
                };
                let waits: Vec<StepId> = (1..=dependency.replicas)
                    .map(|number| {
                        self.builder.push(
                            Action::WaitReady {
                                container: self.desired.container_name(&dependency.name, number),
                                until,
                            },
                            Some(&dependency.name),
                            self.infra.clone(),
                            Cause::Dependency {
                                dependents: dependents.clone(),
                            },
                        )
                    })
                    .collect();
                self.ready.insert(dependency.name.clone(), waits);
            }
            after.extend(self.ready[dependency].iter().copied());
        }
        after
    }

    /// Stop (when running) and remove; returns the remove step.
    fn stop_and_remove(
        &mut self,
        container: &ObservedContainer,
        grace: Option<std::time::Duration>,
        after: Vec<StepId>,
        cause: Cause,
    ) -> Vec<StepId> {
        let service = Some(container.service.as_str());
        let mut before = after;
        // Set only while the service being planned has pre-deploy hooks.
        before.extend(self.gate.iter().copied());
        if container.is_running() {
            let grace_seconds = grace.map_or(10, |g| g.as_secs());
            before = vec![self.builder.push(
                Action::Stop {
                    container: container.name.clone(),
                    grace_seconds,
                },
                service,
                before,
                cause.clone(),
            )];
        }
        let removed = self.builder.push(
            Action::Remove {
                container: container.name.clone(),
            },
            service,
            before,
            cause,
        );
        self.freed.insert(container.name.clone(), removed);
        vec![removed]
    }

    /// A leftover replacement that already runs the wanted configuration and whose slot is
    /// free takes that slot instead of being replaced again.
    fn adoptable(
        &self,
        service: &DesiredService,
        container: &ObservedContainer,
        observed: &Observed,
    ) -> Option<u32> {
        let number = container.number;
        let slot = self.desired.container_name(&service.name, number);
        let slot_free = !observed.containers.iter().any(|c| c.name == slot);
        // Files are copied by container name; such containers are simply replaced again.
        let has_files =
            service.files.is_some() || self.gateway.service() == Some(service.name.as_str());
        (!has_files
            && container.hash == service.hash
            && container.is_running()
            && number >= 1
            && number <= service.replicas
            && slot_free)
            .then_some(number)
    }

    /// Waits at the end for every desired container (`up --wait`).
    fn final_waits(&mut self) {
        let leaves = self.builder.leaves();
        for (service, _, name) in self.desired.containers() {
            let until = if service.spec.healthcheck.is_some() {
                Readiness::EngineHealthy
            } else {
                Readiness::Running
            };
            self.builder.push(
                Action::WaitReady {
                    container: name,
                    until,
                },
                Some(&service.name),
                leaves.clone(),
                Cause::WaitRequested,
            );
        }
    }
}

fn replacement_cause(container: &ObservedContainer, service: &DesiredService) -> Cause {
    let fields = changed_fields(&container.config, &service.record);
    if !fields.is_empty() && fields.iter().all(|field| field == "image_id") {
        Cause::ImageChanged
    } else {
        Cause::ConfigChanged { fields }
    }
}

/// A container under a temporary name: the replacement an interrupted update was starting.
pub fn is_leftover(desired: &DesiredState, container: &ObservedContainer) -> bool {
    container.name != desired.container_name(&container.service, container.number)
}
