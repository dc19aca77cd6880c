//! Deploy hooks: pre-deploy commands run (one after the other) once the service's
//! dependencies are ready and before any of its new replicas starts or old ones stop;
//! post-deploy commands run after everything else.

use super::Run;
use crate::engine::desired::DesiredService;
use crate::engine::plan::{Action, Cause, StepId};
use crate::profile::HookCommand;

pub fn hook_container(project: &str, service: &str, phase: &str, number: usize) -> String {
    format!("{project}-{service}-{phase}-hook-{number}")
}

impl Run<'_> {
    /// The service's pre-deploy hooks; returns what its starts and stops wait for.
    pub(super) fn pre_deploy_hooks(&mut self, service: &DesiredService) -> Vec<StepId> {
        if service.hooks.pre_deploy.is_empty() {
            return Vec::new();
        }
        let mut after = self.infra.clone();
        after.extend(self.dependencies_ready(service));
        after.extend(self.early.iter().copied());
        self.hook_chain(service, "pre-deploy", &service.hooks.pre_deploy, after)
    }

    /// Post-deploy hooks of the services that changed, after every other step.
    pub(super) fn post_deploy_hooks(&mut self) {
        let services = std::mem::take(&mut self.post_deploy);
        let mut after = self.builder.leaves();
        for service in services {
            after = self.hook_chain(service, "post-deploy", &service.hooks.post_deploy, after);
        }
    }

    fn hook_chain(
        &mut self,
        service: &DesiredService,
        phase: &str,
        commands: &[HookCommand],
        mut after: Vec<StepId>,
    ) -> Vec<StepId> {
        for (index, command) in commands.iter().enumerate() {
            let id = self.builder.push(
                Action::RunHook {
                    container: hook_container(
                        &self.desired.project,
                        &service.name,
                        phase,
                        index + 1,
                    ),
                    phase: phase.to_owned(),
                    command: command.argv(),
                },
                Some(&service.name),
                after,
                Cause::Hook,
            );
            after = vec![id];
        }
        after
    }
}
