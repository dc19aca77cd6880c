//! A deployment as a release: plan, record, execute, and on failure clean up and put the
//! last good release back. `up` deploys the profile; `rollback` deploys a recorded
//! release's profile and images exactly.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{anyhow, bail};
use bollard::Docker;

use super::{images, prepare_for, Pin, Prepared, Project};
use crate::engine::events::EventSink;
use crate::engine::execute::StepFailed;
use crate::engine::reconcile;
use crate::images::progress::Progress;
use crate::profile::FailureAction;
use crate::releases::{self, NewRelease, Outcome, Release, ReleaseKind};
use crate::render::{self, templates, RenderOptions};

/// What a deployment is asked to do.
pub struct Request<'a> {
    pub project: &'a Project,
    pub kind: ReleaseKind,
    /// For a rollback: the release to deploy.
    pub target: Option<&'a Release>,
    pub options: reconcile::Options,
    pub timeout: Duration,
    pub events: &'a dyn EventSink,
    pub progress: &'a Progress,
}

/// How a deployment ended.
pub struct Deployed {
    pub prepared: Prepared,
    /// The release recorded (none when nothing changed).
    pub release: Option<Release>,
}

#[derive(Debug, thiserror::Error)]
#[error("{failure}{}", revert_note(.reverted_to, .revert_error))]
pub struct DeployFailed {
    pub failure: StepFailed,
    pub release: Option<u64>,
    pub reverted_to: Option<u64>,
    pub revert_error: Option<String>,
}

fn revert_note(reverted_to: &Option<u64>, revert_error: &Option<String>) -> String {
    match (reverted_to, revert_error) {
        (Some(id), None) => format!("\nthe update was rolled back: release {id} is deployed again"),
        (Some(id), Some(error)) => format!("\nputting release {id} back failed too: {error}"),
        (None, _) => String::new(),
    }
}

/// Plans and runs one deployment, recording it as a release when it changes anything.
pub async fn deploy(docker: &Docker, request: &Request<'_>) -> anyhow::Result<Deployed> {
    let mut effective = request.project.clone();
    effective.loaded.profile = project_profile(request.project, request.target);
    let project = &effective;
    let pin = request.target.map(Pin::of);
    let mut prepared = prepare_for(docker, project, request.options, pin.as_ref()).await?;
    if !prepared.missing_images.is_empty() {
        if request.target.is_some() {
            bail!(
                "the images of this release are gone from the Engine ({}); `tmctl images prune` keeps those of recent releases",
                prepared.missing_images.join(", ")
            );
        }
        images::provide(
            &prepared.docker,
            &prepared.missing_images,
            &prepared.service_image,
            request.progress,
        )
        .await
        .map_err(|error| leave_out_hint(error, project, &prepared.missing_images))?;
        prepared.refresh_images().await?;
    }
    if !prepared.plan.changes_something() {
        let outcome = prepared.execute(request.timeout, request.events).await;
        outcome.map_err(|failure| anyhow!(failure))?;
        monitoring_role(docker, project, &prepared, false).await;
        return Ok(Deployed {
            prepared,
            release: None,
        });
    }
    let history = releases::list(docker, &project.name).await?;
    let mut release = releases::begin(
        docker,
        &project.name,
        NewRelease {
            kind: request.kind.clone(),
            profile: &project.loaded.profile,
            desired: &prepared.desired,
            service_image: &prepared.service_image,
            rendered: rendered_files(project, &prepared.service_image),
            plan: &prepared.plan,
        },
    )
    .await?;
    let result = prepared.execute(request.timeout, request.events).await;
    let Err(failure) = result else {
        releases::finish(docker, &project.name, &mut release, Outcome::Succeeded).await;
        monitoring_role(docker, project, &prepared, true).await;
        return Ok(Deployed {
            prepared,
            release: Some(release),
        });
    };
    if let Err(error) = prepared.remove_leftovers(request.events).await {
        tracing::warn!("cannot remove the unfinished replacements: {error:#}");
    }
    let policy = failure
        .service
        .as_deref()
        .and_then(|service| project.loaded.profile.services.get(service))
        .map(|service| service.update.failure_action)
        .unwrap_or_default();
    let previous = releases::last_good(&history).filter(|previous| previous.id != release.id);
    let (reverted_to, revert_error) = match (policy, previous) {
        (FailureAction::Rollback, Some(previous)) => {
            tracing::warn!(
                "release {} failed; putting release {} back",
                release.id,
                previous.id
            );
            match revert(docker, request, previous).await {
                Ok(()) => (Some(previous.id), None),
                Err(error) => (Some(previous.id), Some(format!("{error:#}"))),
            }
        }
        _ => (None, None),
    };
    releases::finish(
        docker,
        &project.name,
        &mut release,
        Outcome::Failed {
            error: failure.to_string(),
            reverted_to: reverted_to.filter(|_| revert_error.is_none()),
        },
    )
    .await;
    Err(DeployFailed {
        failure,
        release: Some(release.id),
        reverted_to,
        revert_error,
    }
    .into())
}

/// When images of optional services are missing, says that `--without` brings the rest up.
fn leave_out_hint(error: anyhow::Error, project: &Project, missing: &[String]) -> anyhow::Error {
    let profile = &project.loaded.profile;
    let optional: Vec<&str> = profile
        .services
        .iter()
        .filter(|(name, service)| {
            service
                .image
                .as_ref()
                .is_some_and(|image| missing.contains(image))
                && crate::profile::without::is_optional(profile, name)
        })
        .map(|(name, _)| name.as_str())
        .collect();
    if optional.is_empty() {
        return error;
    }
    let flags: Vec<String> = optional
        .iter()
        .map(|name| format!("--without {name}"))
        .collect();
    anyhow!(
        "{error:#}\nor bring the stack up without it: `tmctl up --profile {} {}` (`tmctl health` then reports {} as not deployed)",
        profile.name,
        flags.join(" "),
        optional.join(", ")
    )
}

/// Keeps the exporter's PostgreSQL role; a failure leaves the stack up, with a warning.
async fn monitoring_role(docker: &Docker, project: &Project, prepared: &Prepared, changed: bool) {
    let result = super::monitor_role::ensure(
        docker,
        &project.name,
        &project.loaded.profile,
        &prepared.desired.secrets,
        changed,
    )
    .await;
    if let Err(error) = result {
        tracing::warn!(
            "{error:#}; the PostgreSQL exporter cannot log in until the next `tmctl up`"
        );
    }
}

/// Deploys `previous` again with the same zero-downtime sequence, without recording a
/// release of its own (the failed release says it was reverted).
async fn revert(docker: &Docker, request: &Request<'_>, previous: &Release) -> anyhow::Result<()> {
    let mut project = request.project.clone();
    project.loaded.profile = previous.profile.clone();
    let pin = Pin::of(previous);
    let prepared = prepare_for(docker, &project, request.options, Some(&pin)).await?;
    if !prepared.missing_images.is_empty() {
        bail!(
            "the images of release {} are gone ({})",
            previous.id,
            prepared.missing_images.join(", ")
        );
    }
    prepared
        .execute(request.timeout, request.events)
        .await
        .map_err(|failure| anyhow!(failure))?;
    Ok(())
}

fn project_profile(project: &Project, target: Option<&Release>) -> crate::profile::Profile {
    target.map_or_else(
        || project.loaded.profile.clone(),
        |release| release.profile.clone(),
    )
}

/// The files `tmctl render` would write for this deployment, for the release record.
fn rendered_files(project: &Project, service_image: &str) -> BTreeMap<String, String> {
    let loaded = &project.loaded;
    let mut options = RenderOptions::new(
        &project.name,
        &project.state.rendered_dir().display().to_string(),
    );
    options.service_image = service_image.to_owned();
    let rendered =
        templates::registry(templates::default_override_dir(&project.working_dir).as_deref())
            .map_err(anyhow::Error::from)
            .and_then(|registry| {
                Ok(render::render_all(
                    &registry,
                    loaded,
                    &project.state,
                    &options,
                )?)
            });
    match rendered {
        Ok(files) => files
            .into_iter()
            .map(|file| (file.name.to_owned(), file.contents))
            .collect(),
        Err(error) => {
            tracing::warn!("cannot render the release's files: {error:#}");
            BTreeMap::new()
        }
    }
}
