//! `down`: the project's containers and networks removed, and its volumes on request.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context as _;
use bollard::Docker;

use crate::engine::events::EventSink;
use crate::engine::execute::{Executor, Outcome, StepFailed};
use crate::engine::observe::{self, Observed};
use crate::engine::plan::Plan;
use crate::engine::reconcile;
use crate::profile::LoadedProfile;
use crate::state::ProjectState;

pub struct Teardown {
    docker: Docker,
    pub project: String,
    pub observed: Observed,
    pub plan: Plan,
}

/// What `down` removes; `loaded` (when the profile still loads) gives each service's stop
/// grace period.
pub async fn prepare(
    docker: &Docker,
    state: &ProjectState,
    loaded: Option<&LoadedProfile>,
    volumes: bool,
) -> anyhow::Result<Teardown> {
    let project = state.project.as_str();
    let docker = docker.clone();
    let observed = observe::observe(&docker, project)
        .await
        .with_context(|| format!("cannot list the objects of {project}"))?;
    let grace: BTreeMap<String, Duration> = loaded
        .map(|loaded| {
            loaded
                .profile
                .services
                .iter()
                .filter_map(|(name, service)| {
                    Some((name.clone(), service.stop_grace_period?.as_std()))
                })
                .collect()
        })
        .unwrap_or_default();
    let plan = reconcile::teardown(project, &observed, &grace, volumes);
    Ok(Teardown {
        docker,
        project: project.to_owned(),
        observed,
        plan,
    })
}

impl Teardown {
    pub async fn execute(&self, events: &dyn EventSink) -> Result<Outcome, StepFailed> {
        Executor::new(
            &self.docker,
            &self.project,
            None,
            Duration::from_secs(60),
            events,
        )
        .run(&self.plan)
        .await
    }
}
