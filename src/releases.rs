//! Releases: every `up` (and `rollback`) that changes something is recorded in the project
//! store: who, when, with which tmctl, the resolved profile and its digest, the rendered
//! files, the image of each service (reference and ID), a summary of the plan, and how it
//! ended. `rollback` redeploys a recorded release exactly: its profile and its images.

use std::collections::BTreeMap;

use anyhow::{bail, Context as _};
use bollard::Docker;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::engine::desired::DesiredState;
use crate::engine::plan::{Action, Cause, Plan, Step};
use crate::engine::project_store::ProjectStore;
use crate::profile::Profile;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReleaseKind {
    Up,
    /// `tmctl rollback` to an earlier release.
    Rollback {
        to: u64,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Running, or interrupted (the process died before it could say).
    InProgress,
    Succeeded,
    Failed {
        error: String,
        /// The release put back automatically after the failure.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reverted_to: Option<u64>,
    },
}

/// The image a service ran in a release.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ImageRecord {
    pub reference: String,
    pub id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PlanSummary {
    pub steps: usize,
    pub created: usize,
    pub replaced: usize,
    pub removed: usize,
    /// Services unavailable during part of the release (stop-first replacements).
    pub outages: Vec<String>,
}

impl PlanSummary {
    pub fn of(plan: &Plan) -> PlanSummary {
        let count =
            |wanted: &dyn Fn(&Step) -> bool| plan.steps.iter().filter(|s| wanted(s)).count();
        let creates = |step: &Step| matches!(step.action, Action::Create { .. });
        PlanSummary {
            steps: plan.steps.len(),
            created: count(&|s| creates(s) && s.cause == Cause::Missing),
            replaced: count(&|s| {
                creates(s) && matches!(s.cause, Cause::ConfigChanged { .. } | Cause::ImageChanged)
            }),
            removed: count(&|s| {
                matches!(s.action, Action::Remove { .. })
                    && matches!(s.cause, Cause::ScaleDown { .. } | Cause::Orphan)
            }),
            outages: plan.outages(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Release {
    pub id: u64,
    pub time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<DateTime<Utc>>,
    pub operator: String,
    pub tmctl_version: String,
    #[serde(flatten)]
    pub kind: ReleaseKind,
    pub profile_name: String,
    /// SHA-256 of the resolved profile.
    pub profile_digest: String,
    /// The resolved profile (after `extends` and `${VAR}`), to redeploy it exactly.
    pub profile: Profile,
    /// The image tmctl built from its own binary (`build: service`).
    pub service_image: String,
    pub images: BTreeMap<String, ImageRecord>,
    /// The rendered files (compose, nginx, ...), which hold no secret values.
    pub rendered: BTreeMap<String, String>,
    pub plan: PlanSummary,
    pub outcome: Outcome,
}

impl Release {
    pub fn succeeded(&self) -> bool {
        self.outcome == Outcome::Succeeded
    }

    /// IDs of the images this release ran, by reference.
    pub fn image_ids(&self) -> BTreeMap<String, String> {
        self.images
            .values()
            .filter_map(|image| Some((image.reference.clone(), image.id.clone()?)))
            .collect()
    }
}

/// What a new release is made from.
pub struct NewRelease<'a> {
    pub kind: ReleaseKind,
    pub profile: &'a Profile,
    pub desired: &'a DesiredState,
    pub service_image: &'a str,
    pub rendered: BTreeMap<String, String>,
    pub plan: &'a Plan,
}

pub fn profile_digest(profile: &Profile) -> String {
    let text = serde_json::to_string(profile).unwrap_or_default();
    crate::hex::hex(&Sha256::digest(text.as_bytes()))
}

const DIR: &str = "releases";

fn file_name(id: u64) -> String {
    format!("{DIR}/{id:06}.json")
}

/// Every release of the project, oldest first (none when it has no store yet).
pub async fn list(docker: &Docker, project: &str) -> anyhow::Result<Vec<Release>> {
    let Some(store) = ProjectStore::open(docker, project).await? else {
        return Ok(Vec::new());
    };
    let mut releases: Vec<Release> = Vec::new();
    for (name, bytes) in store.read_dir(DIR).await? {
        match serde_json::from_slice(&bytes) {
            Ok(release) => releases.push(release),
            Err(error) => tracing::warn!("ignoring release record {name}: {error}"),
        }
    }
    releases.sort_by_key(|release| release.id);
    Ok(releases)
}

/// Records a new release (in progress) and returns it.
pub async fn begin(docker: &Docker, project: &str, new: NewRelease<'_>) -> anyhow::Result<Release> {
    let store = ProjectStore::open_or_create(docker, project).await?;
    let id = list(docker, project)
        .await?
        .last()
        .map_or(1, |release| release.id + 1);
    let images = new
        .desired
        .services
        .iter()
        .map(|service| {
            (
                service.name.clone(),
                ImageRecord {
                    reference: service.spec.image.clone(),
                    id: service.spec.image_id.clone(),
                },
            )
        })
        .collect();
    let release = Release {
        id,
        time: Utc::now(),
        finished: None,
        operator: crate::operator::current(),
        tmctl_version: env!("CARGO_PKG_VERSION").to_owned(),
        kind: new.kind,
        profile_name: new.profile.name.clone(),
        profile_digest: profile_digest(new.profile),
        profile: new.profile.clone(),
        service_image: new.service_image.to_owned(),
        images,
        rendered: new.rendered,
        plan: PlanSummary::of(new.plan),
        outcome: Outcome::InProgress,
    };
    save(&store, &release).await?;
    Ok(release)
}

/// Records how a release ended.
pub async fn finish(docker: &Docker, project: &str, release: &mut Release, outcome: Outcome) {
    release.outcome = outcome;
    release.finished = Some(Utc::now());
    let saved = match ProjectStore::open_or_create(docker, project).await {
        Ok(store) => save(&store, release).await,
        Err(error) => Err(error.into()),
    };
    if let Err(error) = saved {
        tracing::warn!(
            "cannot record the outcome of release {}: {error:#}",
            release.id
        );
    }
}

async fn save(store: &ProjectStore, release: &Release) -> anyhow::Result<()> {
    let text = serde_json::to_vec_pretty(release)?;
    store
        .write(&[(&file_name(release.id), &text)])
        .await
        .with_context(|| format!("cannot record release {}", release.id))
}

/// The release `rollback` goes back to: the one asked for (it must have succeeded), or the
/// newest successful one before the current deployment.
pub fn rollback_target(releases: &[Release], wanted: Option<u64>) -> anyhow::Result<&Release> {
    if let Some(id) = wanted {
        let Some(release) = releases.iter().find(|release| release.id == id) else {
            let known: Vec<String> = releases.iter().map(|r| r.id.to_string()).collect();
            bail!(
                "no release {id}; releases: {}",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            );
        };
        if !release.succeeded() {
            bail!("release {id} did not succeed; roll back to a release that did (see `tmctl releases`)");
        }
        return Ok(release);
    }
    let mut good = releases.iter().rev().filter(|release| release.succeeded());
    let current = good.next();
    match (current, good.next()) {
        (Some(_), Some(previous)) => Ok(previous),
        _ => bail!("there is no earlier successful release to roll back to (see `tmctl releases`)"),
    }
}

/// The release deployed last, if it succeeded: what an automatic revert goes back to.
pub fn last_good(releases: &[Release]) -> Option<&Release> {
    releases.iter().rev().find(|release| release.succeeded())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(id: u64, outcome: Outcome) -> Release {
        let profile: Profile =
            serde_yaml::from_str("services: { s: { image: x } }").expect("profile");
        Release {
            id,
            time: Utc::now(),
            finished: None,
            operator: "test".into(),
            tmctl_version: "0".into(),
            kind: ReleaseKind::Up,
            profile_name: "p".into(),
            profile_digest: profile_digest(&profile),
            profile,
            service_image: "tmctl:t".into(),
            images: BTreeMap::new(),
            rendered: BTreeMap::new(),
            plan: PlanSummary::default(),
            outcome,
        }
    }

    fn failed() -> Outcome {
        Outcome::Failed {
            error: "x".into(),
            reverted_to: None,
        }
    }

    #[test]
    fn rollback_goes_to_the_good_release_before_the_current_one() {
        let releases = vec![
            release(1, Outcome::Succeeded),
            release(2, Outcome::Succeeded),
            release(3, failed()),
            release(4, Outcome::Succeeded),
        ];
        assert_eq!(rollback_target(&releases, None).expect("target").id, 2);
        assert_eq!(rollback_target(&releases, Some(1)).expect("target").id, 1);
        let error = rollback_target(&releases, Some(3)).expect_err("failed release");
        assert!(error.to_string().contains("did not succeed"), "{error}");
        let error = rollback_target(&releases, Some(9)).expect_err("unknown release");
        assert!(error.to_string().contains("no release 9"), "{error}");
        assert!(rollback_target(&releases[..1], None).is_err());
        assert_eq!(last_good(&releases).expect("good").id, 4);
    }
}
