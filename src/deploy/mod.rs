//! Deploying a project: desired state from the profile, what runs, the plan between them,
//! and its execution. Commands call this; the Engine work itself is in `engine`.

pub mod down;
pub mod files;
#[cfg(test)]
mod files_tests;
pub mod images;
pub mod monitor_role;
mod project;
pub mod release;
pub mod rotate;
pub mod state;

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context as _;
use bollard::Docker;

use crate::engine::deployed_files;
use crate::engine::desired::{DesiredInput, DesiredState};
use crate::engine::events::EventSink;
use crate::engine::execute::{Executor, Outcome, StepFailed};
use crate::engine::observe::{self, Observed};
use crate::engine::plan::Plan;
use crate::engine::{docker, ops, reconcile};
pub use project::{Project, ScaleError};

/// Everything `up` and `plan` work from.
pub struct Prepared {
    pub docker: Docker,
    pub desired: DesiredState,
    pub observed: Observed,
    pub plan: Plan,
    /// Images the profile runs that the Engine does not have.
    pub missing_images: Vec<String>,
    /// The content-hash tag of this executable's service image.
    pub service_image: String,
    pub options: reconcile::Options,
}

/// A recorded release's images: `prepare_for` deploys exactly these.
pub struct Pin {
    pub service_image: String,
    /// Image IDs by reference.
    pub image_ids: std::collections::BTreeMap<String, String>,
}

impl Pin {
    pub fn of(release: &crate::releases::Release) -> Pin {
        Pin {
            service_image: release.service_image.clone(),
            image_ids: release.image_ids(),
        }
    }
}

/// Loads secrets, the images present, the desired and the observed state, and the plan.
pub async fn prepare(
    docker: &Docker,
    project: &Project,
    options: reconcile::Options,
) -> anyhow::Result<Prepared> {
    prepare_for(docker, project, options, None).await
}

/// [`prepare`], with a release's images pinned when given.
pub async fn prepare_for(
    docker: &Docker,
    project: &Project,
    options: reconcile::Options,
    pin: Option<&Pin>,
) -> anyhow::Result<Prepared> {
    let docker = docker.clone();
    let mut observed = observe::observe(&docker, &project.name)
        .await
        .context("cannot list the project's containers")?;
    let secrets = state::secrets(&docker, project, &observed.volumes).await?;
    let service_image = match pin {
        Some(pin) => pin.service_image.clone(),
        None => images::cached_service_image_tag(&project.state_root).await?,
    };
    let gateway = files::gateway(&docker, project).await?;
    let mut desired = DesiredState::build(DesiredInput {
        project: &project.name,
        profile: &project.loaded.profile,
        secrets,
        service_image: &service_image,
        image_ids: &HashMap::new(),
        gateway,
        files: files::monitoring(project)?,
    });
    let (image_ids, mut missing_images) = images::present(&docker, &desired.images()).await?;
    desired.set_image_ids(&image_ids);
    if let Some(pin) = pin {
        missing_images.extend(images::pin(&docker, &mut desired, &image_ids, &pin.image_ids).await);
    }
    annotate(&docker, &mut observed, &desired).await;
    let plan = reconcile::reconcile(&desired, &observed, options);
    Ok(Prepared {
        docker,
        desired,
        observed,
        plan,
        missing_images,
        service_image,
        options,
    })
}

/// What runs, with the digests of the files copied into containers and the bind-mount
/// sources that are missing.
pub async fn observe_for(docker: &Docker, desired: &DesiredState) -> anyhow::Result<Observed> {
    let mut observed = observe::observe(docker, &desired.project)
        .await
        .context("cannot list the project's containers")?;
    annotate(docker, &mut observed, desired).await;
    Ok(observed)
}

/// Adds to what runs the digests of the files copied into containers and the bind-mount
/// sources that are missing.
async fn annotate(docker: &Docker, observed: &mut Observed, desired: &DesiredState) {
    for container in &mut observed.containers {
        let directory = match &desired.gateway {
            Some(gateway) if gateway.service == container.service => Some(&gateway.directory),
            _ => desired
                .service(&container.service)
                .and_then(|service| service.files.as_ref())
                .map(|files| &files.directory),
        };
        if let Some(directory) = directory {
            container.files_digest =
                deployed_files::read_digest(docker, &container.name, directory).await;
        }
    }
    if docker::engine_is_local() {
        observed.missing_directories = desired
            .directories
            .iter()
            .filter(|directory| !std::path::Path::new(&directory.path).exists())
            .map(|directory| directory.path.clone())
            .collect();
    }
}

impl Prepared {
    /// After images were provided: their IDs, and the plan again (what runs is unchanged).
    pub async fn refresh_images(&mut self) -> anyhow::Result<()> {
        let (image_ids, missing) = images::present(&self.docker, &self.desired.images()).await?;
        self.desired.set_image_ids(&image_ids);
        self.missing_images = missing;
        self.plan = reconcile::reconcile(&self.desired, &self.observed, self.options);
        Ok(())
    }

    pub async fn execute(
        &self,
        timeout: Duration,
        events: &dyn EventSink,
    ) -> Result<Outcome, StepFailed> {
        Executor::new(
            &self.docker,
            &self.desired.project,
            Some(&self.desired),
            timeout,
            events,
        )
        .run(&self.plan)
        .await
    }

    /// After a failed or interrupted run: containers under temporary names leave the
    /// gateway and go, so every container is under its own name again.
    pub async fn remove_leftovers(&self, events: &dyn EventSink) -> anyhow::Result<()> {
        let observed = observe_for(&self.docker, &self.desired).await?;
        let plan = reconcile::leftover_cleanup(&self.desired, &observed);
        if plan.steps.is_empty() {
            return Ok(());
        }
        Executor::new(
            &self.docker,
            &self.desired.project,
            Some(&self.desired),
            Duration::from_secs(30),
            events,
        )
        .run(&plan)
        .await?;
        Ok(())
    }
}

/// The project's containers under temporary names, removed without regard to the gateway
/// (used when no desired state can be built).
pub async fn force_remove_leftovers(docker: &Docker, project: &str) {
    let Ok(containers) = observe::containers(docker, project).await else {
        return;
    };
    for container in containers
        .iter()
        .filter(|c| c.name != crate::engine::labels::container_name(project, &c.service, c.number))
    {
        if let Err(error) = ops::stop_and_remove(docker, &container.name, None).await {
            tracing::warn!(container = %container.name, %error, "cannot remove");
        }
    }
}
