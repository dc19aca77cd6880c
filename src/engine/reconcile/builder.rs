//! Collects plan steps; ids count from 1 in the order steps are added.

use crate::engine::plan::{Action, Cause, Plan, Step, StepId};

#[derive(Debug, Default)]
pub(super) struct Builder {
    steps: Vec<Step>,
}

impl Builder {
    pub fn push(
        &mut self,
        action: Action,
        service: Option<&str>,
        mut after: Vec<StepId>,
        cause: Cause,
    ) -> StepId {
        after.sort_unstable();
        after.dedup();
        let id = self.steps.len() + 1;
        self.steps.push(Step {
            id,
            action,
            service: service.map(str::to_owned),
            after,
            cause,
            outage: false,
        });
        id
    }

    pub fn get(&self, id: StepId) -> Option<&Step> {
        self.steps.get(id.checked_sub(1)?)
    }

    /// Marks the steps that stop or remove `container` as the start of an outage.
    pub fn mark_outage(&mut self, container: &str) {
        for step in &mut self.steps {
            if matches!(&step.action, Action::Stop { container: c, .. } | Action::Remove { container: c } if c == container)
            {
                step.outage = true;
            }
        }
    }

    /// Steps no other step waits for.
    pub fn leaves(&self) -> Vec<StepId> {
        self.steps
            .iter()
            .map(|step| step.id)
            .filter(|id| !self.steps.iter().any(|other| other.after.contains(id)))
            .collect()
    }

    pub fn finish(self) -> Plan {
        Plan { steps: self.steps }
    }
}
