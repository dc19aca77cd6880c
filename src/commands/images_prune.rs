//! `tmctl images prune [--keep N] [--dry-run] [--yes]`: says which images of older releases
//! go, asks (or needs --yes off a terminal), removes them and records it in the audit log.

use std::time::Instant;

use anyhow::bail;
use serde_json::json;

use super::Context;
use crate::audit::{self, AuditRecord};
use crate::cli::PruneArgs;
use crate::engine::docker::Engine;
use crate::images::inventory::{human_size, short_id};
use crate::images::prune::{self, Candidate};
use crate::output::table;
use crate::releases;

pub async fn run(context: &Context, docker: &Engine, args: &PruneArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let state = context.project_state()?;
    let project = state.project.clone();
    let history = releases::list(docker, &project).await?;
    let in_use = prune::images_in_use(docker).await?;
    let candidates = prune::present(docker, prune::select(&history, args.keep, &in_use)).await;
    let total: i64 = candidates.iter().map(|c| c.size).sum();
    if candidates.is_empty() {
        if context.global.json {
            let key = if args.dry_run {
                "would_remove"
            } else {
                "removed"
            };
            println!(
                "{}",
                json!({"project": project, "dry_run": args.dry_run, key: [], "bytes": 0})
            );
        } else if !context.global.quiet {
            println!(
                "{project}: nothing to prune ({} release(s), keeping the last {})",
                history.len(),
                args.keep
            );
        }
        return Ok(());
    }
    let silent = context.global.json || (args.yes && context.global.quiet);
    if !silent {
        let verb = if args.dry_run {
            "would remove"
        } else {
            "removes"
        };
        println!(
            "{project}: {verb} {} image(s) of releases before the last {}, {}:",
            candidates.len(),
            args.keep,
            human_size(total)
        );
        println!("{}", listing(&candidates));
    }
    if args.dry_run {
        if context.global.json {
            super::print_json(&json!({
                "project": project, "dry_run": true, "would_remove": candidates, "bytes": total,
            }))?;
        }
        return Ok(());
    }
    confirm(args.yes, &project, candidates.len())?;
    let removals = prune::remove(docker, candidates).await;
    let failed: Vec<String> = removals
        .iter()
        .filter_map(|r| Some(format!("{}: {}", short_id(&r.image.id), r.error.as_ref()?)))
        .collect();
    let freed: i64 = removals
        .iter()
        .filter(|r| r.error.is_none())
        .map(|r| r.image.size)
        .sum();
    let removed = removals.iter().filter(|r| r.error.is_none()).count();
    let result: Result<(), String> = if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    };
    let mut record = AuditRecord::new(&project, "images prune").outcome(&result);
    record.duration_ms = Some(started.elapsed().as_millis() as u64);
    record.detail = Some(format!(
        "removed {removed} image(s), {} (kept the last {} releases)",
        human_size(freed),
        args.keep
    ));
    audit::record(docker, &state, &record).await;
    if context.global.json {
        super::print_json(&json!({
            "project": project, "dry_run": false, "removed": removals, "bytes": freed,
        }))?;
    } else if !context.global.quiet {
        println!("removed {removed} image(s), {} freed", human_size(freed));
    }
    if let Err(error) = result {
        bail!("some images could not be removed: {error}");
    }
    Ok(())
}

fn listing(candidates: &[Candidate]) -> String {
    let rows: Vec<Vec<String>> = candidates
        .iter()
        .map(|c| {
            let releases: Vec<String> = c.releases.iter().map(u64::to_string).collect();
            vec![
                short_id(&c.id),
                c.references.join(", "),
                releases.join(","),
                human_size(c.size),
            ]
        })
        .collect();
    table(&["IMAGE ID", "REFERENCES", "RELEASES", "SIZE"], &rows)
}

/// Asks on a terminal; off a terminal only --yes removes.
fn confirm(yes: bool, project: &str, count: usize) -> anyhow::Result<()> {
    let refusal = format!("refusing to remove {count} image(s) of {project} without confirmation: add --yes (or look first with --dry-run)");
    super::confirm(yes, "remove them?", &refusal, "nothing removed")
}
