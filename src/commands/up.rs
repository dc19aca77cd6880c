//! `tmctl up`: converge the stack to the profile.

use std::time::Instant;

use serde_json::json;

use super::Context;
use crate::cli::UpArgs;
use crate::deploy::{self, Project};
use crate::engine::{lock, reconcile};
use crate::output::events::EventPrinter;

pub fn run(context: &Context, args: &UpArgs) -> anyhow::Result<()> {
    let mut project = context.open_project()?;
    project.scale(&args.scale)?;
    let _lock = lock::acquire(
        &project.state.dir,
        &project.name,
        "tmctl up",
        args.lock_wait,
    )?;
    super::runtime()?.block_on(up(context, &project, args))
}

async fn up(context: &Context, project: &Project, args: &UpArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let printer = EventPrinter::new(context.style, context.global.quiet);
    let options = reconcile::Options { wait: args.wait };
    let mut prepared = deploy::prepare(project, options).await?;
    if !prepared.missing_images.is_empty() {
        let progress = super::images::progress(context);
        deploy::images::provide(
            &prepared.docker,
            &prepared.missing_images,
            &prepared.service_image,
            &progress,
        )
        .await?;
        prepared.refresh_images().await?;
    }
    let result = tokio::select! {
        result = prepared.execute(args.timeout, &printer) => result,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("interrupted: removing unfinished replacements");
            if let Err(error) = prepared.remove_leftovers(&printer).await {
                tracing::warn!("{error:#}");
                deploy::force_remove_leftovers(&prepared.docker, &project.name).await;
            }
            anyhow::bail!("interrupted; run `tmctl up` again to finish converging");
        }
    };
    let elapsed = started.elapsed();
    let changed = prepared.plan.changes_something();
    if let Err(failure) = result {
        if let Err(error) = prepared.remove_leftovers(&printer).await {
            tracing::warn!("cannot remove the unfinished replacements: {error:#}");
        }
        if context.global.json {
            printer.json_line(&json!({
                "event": "summary",
                "outcome": "failed",
                "project": project.name,
                "failed_step": failure.step,
                "error": failure.to_string(),
                "elapsed_ms": elapsed.as_millis() as u64,
            }));
        }
        return Err(failure.into());
    }
    let done = printer.done();
    if context.global.json {
        printer.json_line(&json!({
            "event": "summary",
            "outcome": "ok",
            "project": project.name,
            "profile": project.loaded.profile.name,
            "changed": changed,
            "actions": done,
            "steps": prepared.plan.steps.len(),
            "containers": prepared.desired.containers().len(),
            "elapsed_ms": elapsed.as_millis() as u64,
        }));
    } else if !changed && !context.global.quiet {
        println!(
            "{}: nothing to do, {} container(s) up to date ({} ms)",
            project.name,
            prepared.desired.containers().len(),
            elapsed.as_millis()
        );
    } else if !context.global.quiet {
        println!(
            "{}: {} in {:.1}s",
            context.style.bold(&project.name),
            context
                .style
                .green(if args.wait { "up and healthy" } else { "up" }),
            elapsed.as_secs_f64()
        );
    }
    Ok(())
}
