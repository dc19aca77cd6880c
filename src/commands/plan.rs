//! `tmctl plan`: every step `up` would take, with causes. Exit 0 = nothing to do,
//! 2 = changes pending.

use std::process::ExitCode;

use serde_json::json;

use super::Context;
use crate::cli::PlanArgs;
use crate::deploy;
use crate::engine::docker::connect;
use crate::engine::reconcile;
use crate::output::table;

pub fn run(context: &Context, args: &PlanArgs) -> anyhow::Result<ExitCode> {
    let mut project = context.open_project()?;
    project.loaded.profile.without(&args.services.without)?;
    project.scale(&args.services.scale)?;
    super::runtime()?.block_on(async {
        let docker = connect().await?;
        let prepared = deploy::prepare(&docker, &project, reconcile::Options::default()).await?;
        let plan = &prepared.plan;
        let pending = plan.changes_something();
        if context.global.json {
            super::print_json(&json!({
                "project": project.name,
                "changes_pending": pending,
                "steps": plan.steps,
                "outages": plan.outages(),
                "missing_images": prepared.missing_images,
            }))?;
        } else if !pending {
            println!("{}: nothing to do", project.name);
        } else {
            let rows: Vec<Vec<String>> = plan
                .steps
                .iter()
                .map(|step| {
                    let after: Vec<String> = step.after.iter().map(|id| format!("#{id}")).collect();
                    vec![
                        format!("#{}", step.id),
                        step.action.describe(),
                        step.action.target().to_owned(),
                        after.join(","),
                        format!(
                            "{}{}",
                            step.cause,
                            if step.outage { " [outage]" } else { "" }
                        ),
                    ]
                })
                .collect();
            println!(
                "{}",
                table(&["STEP", "ACTION", "TARGET", "AFTER", "CAUSE"], &rows)
            );
            let outages = plan.outages();
            if !outages.is_empty() {
                println!(
                    "outage: {} stop before their replacement starts",
                    outages.join(", ")
                );
            }
            if !prepared.missing_images.is_empty() {
                println!("missing images: {}", prepared.missing_images.join(", "));
            }
        }
        Ok(if pending {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        })
    })
}
