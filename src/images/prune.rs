//! `tmctl images prune`: removes images of the project's older releases, keeping those of
//! the last N releases and any image a container (of any project) is made from.

use std::collections::{BTreeMap, BTreeSet};

use bollard::query_parameters::{ListContainersOptionsBuilder, RemoveImageOptionsBuilder};
use bollard::Docker;
use serde::Serialize;

use super::ImageError;
use crate::releases::Release;

/// An image of an older release that nothing needs any more.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    pub references: Vec<String>,
    /// The releases that ran it.
    pub releases: Vec<u64>,
    pub size: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Removal {
    #[serde(flatten)]
    pub image: Candidate,
    /// `None` when removed; the Engine's refusal otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Images the releases ran outside the last `keep` ones and not in `in_use`, oldest first.
pub fn select(releases: &[Release], keep: usize, in_use: &BTreeSet<String>) -> Vec<Candidate> {
    let mut ordered: Vec<&Release> = releases.iter().collect();
    ordered.sort_by_key(|release| release.id);
    let split = ordered.len().saturating_sub(keep);
    let (old, recent) = ordered.split_at(split);
    let kept: BTreeSet<String> = recent
        .iter()
        .flat_map(|release| release.image_ids().into_values())
        .collect();
    let mut candidates: BTreeMap<String, Candidate> = BTreeMap::new();
    for release in old {
        for (reference, id) in release.image_ids() {
            if kept.contains(&id) || in_use.contains(&id) {
                continue;
            }
            let candidate = candidates.entry(id.clone()).or_insert_with(|| Candidate {
                id,
                references: Vec::new(),
                releases: Vec::new(),
                size: 0,
            });
            if !candidate.references.contains(&reference) {
                candidate.references.push(reference);
            }
            if !candidate.releases.contains(&release.id) {
                candidate.releases.push(release.id);
            }
        }
    }
    let mut list: Vec<Candidate> = candidates.into_values().collect();
    list.sort_by_key(|candidate| candidate.releases.first().copied());
    list
}

/// IDs of the images of every container on the Engine, running or not.
pub async fn images_in_use(docker: &Docker) -> Result<BTreeSet<String>, ImageError> {
    let options = ListContainersOptionsBuilder::default().all(true).build();
    let containers = docker
        .list_containers(Some(options))
        .await
        .map_err(|error| ImageError::docker("listing containers", error))?;
    Ok(containers
        .into_iter()
        .filter_map(|container| container.image_id)
        .collect())
}

/// The candidates still present on the Engine, with their sizes.
pub async fn present(docker: &Docker, candidates: Vec<Candidate>) -> Vec<Candidate> {
    let mut found = Vec::new();
    for mut candidate in candidates {
        if let Ok(inspect) = docker.inspect_image(&candidate.id).await {
            candidate.size = inspect.size.unwrap_or(0);
            found.push(candidate);
        }
    }
    found
}

/// Removes each image (by ID, with all its tags); an image the Engine refuses to remove
/// (e.g. a container was just created from it) is reported, not fatal.
pub async fn remove(docker: &Docker, candidates: Vec<Candidate>) -> Vec<Removal> {
    let mut removals = Vec::new();
    for image in candidates {
        let options = RemoveImageOptionsBuilder::default().force(true).build();
        // Forcing untags an image with several tags; a container using it still blocks it.
        let error = match docker.remove_image(&image.id, Some(options), None).await {
            Ok(_) => None,
            Err(error) => Some(error.to_string()),
        };
        removals.push(Removal { image, error });
    }
    removals
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(id: u64, images: &[(&str, &str)]) -> Release {
        let mut value = serde_json::json!({
            "id": id, "time": "2026-01-01T00:00:00Z", "operator": "t", "tmctl_version": "0",
            "kind": "up", "profile_name": "dev", "profile_digest": "",
            "profile": {"name": "dev", "services": {}}, "service_image": "", "images": {}, "rendered": {},
            "plan": {"steps": 0, "created": 0, "replaced": 0, "removed": 0, "outages": []},
            "outcome": {"status": "succeeded"}
        });
        for (service, image_id) in images {
            value["images"][*service] =
                serde_json::json!({"reference": format!("{service}:{image_id}"), "id": image_id});
        }
        serde_json::from_value(value).expect("release record")
    }

    #[test]
    fn keeps_recent_releases_and_images_in_use() {
        let releases = vec![
            release(1, &[("service", "a"), ("postgres", "pg")]),
            release(2, &[("service", "b"), ("postgres", "pg")]),
            release(3, &[("service", "c"), ("postgres", "pg")]),
            release(4, &[("service", "d"), ("postgres", "pg")]),
        ];
        let in_use = BTreeSet::from(["b".to_owned()]);
        let chosen = select(&releases, 2, &in_use);
        let ids: Vec<&str> = chosen.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            vec!["a"],
            "b is in use, pg and c/d belong to the last two"
        );
        assert_eq!(chosen[0].releases, vec![1]);
        assert!(select(&releases, 10, &BTreeSet::new()).is_empty());
        assert_eq!(select(&releases, 0, &BTreeSet::new()).len(), 5);
    }
}
