//! Replacing a replica whose configuration changed, when no gateway sends it requests:
//! start-first (new one under a temporary name, ready, old one retired, new one renamed)
//! or stop-first.

use super::{Run, NEXT_SUFFIX};
use crate::engine::desired::DesiredService;
use crate::engine::observe::ObservedContainer;
use crate::engine::plan::{Action, Cause, Readiness, StepId};

impl Run<'_> {
    /// New replica under a temporary name, ready, then the old one retired and the new
    /// one renamed. Returns the batch-end steps.
    pub(super) fn replace_start_first(
        &mut self,
        service: &DesiredService,
        number: u32,
        old: &ObservedContainer,
        cause: &Cause,
        after: Vec<StepId>,
    ) -> Vec<StepId> {
        let next = format!("{}{NEXT_SUFFIX}", old.name);
        let ready = self.start_replacement(service, number, &next, cause, after);
        let retire = self.monitor(service, &next, vec![ready], cause);
        vec![self.take_over(service, old, next, retire, cause)]
    }

    /// After `after`: the old replica stops and goes, and its replacement `next` takes its
    /// name.
    pub(super) fn take_over(
        &mut self,
        service: &DesiredService,
        old: &ObservedContainer,
        next: String,
        after: Vec<StepId>,
        cause: &Cause,
    ) -> StepId {
        let removed = self.stop_and_remove(old, service.spec.stop_grace(), after, cause.clone());
        self.builder.push(
            Action::Rename {
                container: next,
                to: old.name.clone(),
            },
            Some(&service.name),
            removed,
            cause.clone(),
        )
    }

    /// Creates and starts a replacement and waits until it is healthy (running, without a
    /// healthcheck). Returns the wait step.
    pub(super) fn start_replacement(
        &mut self,
        service: &DesiredService,
        number: u32,
        name: &str,
        cause: &Cause,
        after: Vec<StepId>,
    ) -> StepId {
        let started = self.start_new(service, number, name, cause.clone(), after);
        let until = if service.spec.healthcheck.is_some() {
            Readiness::Healthy
        } else {
            Readiness::Running
        };
        let already_waited = self.builder.get(started).is_some_and(
            |step| matches!(step.action, Action::WaitReady { until: u, .. } if u == until),
        );
        if already_waited {
            return started;
        }
        let wait = self.builder.push(
            Action::WaitReady {
                container: name.to_owned(),
                until,
            },
            Some(&service.name),
            vec![started],
            cause.clone(),
        );
        self.ready
            .entry(service.name.clone())
            .or_default()
            .push(wait);
        wait
    }

    /// Watches a new replica for the service's `update.monitor` time (when set).
    pub(super) fn monitor(
        &mut self,
        service: &DesiredService,
        name: &str,
        after: Vec<StepId>,
        cause: &Cause,
    ) -> Vec<StepId> {
        let seconds = service.update.monitor.as_std().as_secs();
        if seconds == 0 {
            return after;
        }
        vec![self.builder.push(
            Action::Monitor {
                container: name.to_owned(),
                seconds,
            },
            Some(&service.name),
            after,
            cause.clone(),
        )]
    }

    /// Stops and removes an old replica of `service`, after `after`; marks the outage it
    /// causes when nothing else serves meanwhile.
    pub(super) fn retire(
        &mut self,
        service: &DesiredService,
        old: &ObservedContainer,
        after: Vec<StepId>,
        cause: &Cause,
        outage: bool,
    ) -> Vec<StepId> {
        let removed = self.stop_and_remove(old, service.spec.stop_grace(), after, cause.clone());
        if outage {
            self.builder.mark_outage(&old.name);
        }
        removed
    }

    /// Old replica stopped and removed first, then the new one under the same name.
    pub(super) fn replace_stop_first(
        &mut self,
        service: &DesiredService,
        number: u32,
        old: &ObservedContainer,
        cause: &Cause,
        after: &[StepId],
        outage: bool,
    ) -> Vec<StepId> {
        let removed = self.retire(service, old, after.to_vec(), cause, outage);
        let name = old.name.clone();
        let create = self.builder.push(
            Action::Create {
                container: name.clone(),
                replica: number,
            },
            Some(&service.name),
            [self.infra.clone(), removed].concat(),
            cause.clone(),
        );
        let mut before_start = vec![create];
        if let Some(copy) = self.copy_files_into_new(service, &name, create, cause) {
            before_start.push(copy);
        }
        before_start.extend(self.dependencies_ready(service));
        before_start.extend(self.early.iter().copied());
        let start = self.builder.push(
            Action::Start {
                container: name.clone(),
            },
            Some(&service.name),
            before_start,
            cause.clone(),
        );
        vec![self.wait_for_dependents(service, &name, start)]
    }

    /// A pause after a batch when the service asks for one; returns what the next batch
    /// waits for.
    pub(super) fn pause_after(
        &mut self,
        service: &DesiredService,
        ends: Vec<StepId>,
    ) -> Vec<StepId> {
        let seconds = service.update.delay.as_std().as_secs();
        if seconds == 0 || ends.is_empty() {
            return ends;
        }
        vec![self.builder.push(
            Action::Pause { seconds },
            Some(&service.name),
            ends,
            Cause::ConfigChanged {
                fields: vec!["update.delay".into()],
            },
        )]
    }
}
