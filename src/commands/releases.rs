//! `tmctl releases`: what was deployed, by whom, when, and how it ended.

use super::Context;
use crate::engine::docker::connect;
use crate::output::table;
use crate::releases::{self, Outcome, Release, ReleaseKind};

pub fn run(context: &Context) -> anyhow::Result<()> {
    let project = context.project()?;
    super::runtime()?.block_on(async {
        let docker = connect().await?;
        let history = releases::list(&docker, &project).await?;
        if context.global.json {
            let brief: Vec<serde_json::Value> = history.iter().map(summary).collect();
            super::print_json(&brief)?;
            return Ok(());
        }
        if history.is_empty() {
            println!(
                "{project}: no releases yet (`tmctl up` records one when it changes something)"
            );
            return Ok(());
        }
        let rows: Vec<Vec<String>> = history
            .iter()
            .map(|release| {
                vec![
                    release.id.to_string(),
                    release.time.format("%Y-%m-%d %H:%M:%S").to_string(),
                    release.operator.clone(),
                    match release.kind {
                        ReleaseKind::Up => "up".to_owned(),
                        ReleaseKind::Rollback { to } => format!("rollback to {to}"),
                    },
                    outcome(release),
                    release.service_image.clone(),
                    format!(
                        "{} steps: {} new, {} replaced, {} removed{}",
                        release.plan.steps,
                        release.plan.created,
                        release.plan.replaced,
                        release.plan.removed,
                        if release.plan.outages.is_empty() {
                            String::new()
                        } else {
                            format!("; outage: {}", release.plan.outages.join(", "))
                        }
                    ),
                ]
            })
            .collect();
        println!(
            "{}",
            table(
                &[
                    "ID",
                    "TIME (UTC)",
                    "BY",
                    "KIND",
                    "OUTCOME",
                    "SERVICE IMAGE",
                    "PLAN"
                ],
                &rows
            )
        );
        Ok(())
    })
}

fn outcome(release: &Release) -> String {
    match &release.outcome {
        Outcome::InProgress => "in progress or interrupted".to_owned(),
        Outcome::Succeeded => "succeeded".to_owned(),
        Outcome::Failed {
            reverted_to: Some(id),
            ..
        } => format!("failed, reverted to {id}"),
        Outcome::Failed { .. } => "failed".to_owned(),
    }
}

/// A release without its rendered files and profile body.
fn summary(release: &Release) -> serde_json::Value {
    serde_json::json!({
        "id": release.id,
        "time": release.time,
        "finished": release.finished,
        "operator": release.operator,
        "tmctl_version": release.tmctl_version,
        "kind": match release.kind {
            ReleaseKind::Up => "up",
            ReleaseKind::Rollback { .. } => "rollback",
        },
        "rollback_to": match release.kind {
            ReleaseKind::Rollback { to } => Some(to),
            ReleaseKind::Up => None,
        },
        "profile": release.profile_name,
        "profile_digest": release.profile_digest,
        "service_image": release.service_image,
        "images": release.images,
        "rendered_files": release.rendered.keys().collect::<Vec<_>>(),
        "plan": release.plan,
        "outcome": release.outcome,
    })
}
