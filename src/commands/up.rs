//! `tmctl up`: converge the stack to the profile.

use std::time::Instant;

use serde_json::json;

use super::stack::{prepare, runtime};
use super::Context;
use crate::cli::UpArgs;
use crate::engine::apply::{apply, ApplyInput};
use crate::engine::{lock, observe, ops, plan};
use crate::images::bootstrap::{self, BootstrapOptions};
use crate::images::catalog::DEBIAN_BASE;
use crate::images::ensure::ensure_images;
use crate::images::service_image::{build_service_image, ServiceImageSpec};

pub fn run(context: &Context, args: &UpArgs) -> anyhow::Result<()> {
    let state = context.project_state()?;
    let _lock = lock::acquire(&state.dir, &state.project, "tmctl up", args.lock_wait)?;
    runtime()?.block_on(up(context, args))
}

async fn up(context: &Context, args: &UpArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut stack = prepare(context, &args.scale).await?;
    if !stack.missing_images.is_empty() {
        provide_images(context, &stack).await?;
        stack = prepare(context, &args.scale).await?;
    }
    let input = ApplyInput {
        docker: &stack.docker,
        project: &stack.project,
        profile: &stack.loaded.profile,
        desired: &stack.desired,
        plan: &stack.plan,
        timeout: args.timeout,
        gateway: stack.gateway.clone(),
        wait: args.wait,
        state_dir: &stack.state.dir,
    };
    let report = tokio::select! {
        report = apply(&input) => report?,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("interrupted: removing unfinished replacements");
            remove_leftovers(&stack.docker, &stack.project).await;
            anyhow::bail!("interrupted; run `tmctl up` again to finish converging");
        }
    };
    let elapsed = started.elapsed();
    let nothing = report.done.is_empty() && !report.gateway_reloaded;
    if context.global.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "project": stack.project,
                "profile": stack.loaded.profile.name,
                "changed": !nothing,
                "actions": report.done,
                "gateway_reloaded": report.gateway_reloaded,
                "containers": stack.desired.len(),
                "elapsed_ms": elapsed.as_millis() as u64,
            }))?
        );
    } else if nothing && !context.global.quiet {
        println!(
            "{}: nothing to do, {} container(s) up to date ({} ms)",
            stack.project,
            stack.desired.len(),
            elapsed.as_millis()
        );
    } else if !context.global.quiet {
        for line in &report.done {
            println!("  {line}");
        }
        if report.gateway_reloaded {
            println!("  reloaded the gateway configuration");
        }
        println!(
            "{}: {} in {:.1}s",
            context.style.bold(&stack.project),
            context
                .style
                .green(if args.wait { "up and healthy" } else { "up" }),
            elapsed.as_secs_f64()
        );
    }
    Ok(())
}

/// Removes containers under temporary names, so an interrupted `up` leaves every container
/// under its own name.
async fn remove_leftovers(docker: &bollard::Docker, project: &str) {
    let Ok(containers) = observe::containers(docker, project).await else {
        return;
    };
    for container in containers.iter().filter(|c| plan::is_leftover(project, c)) {
        if let Err(error) = ops::stop_and_remove(docker, &container.name, None).await {
            tracing::warn!(container = %container.name, %error, "cannot remove");
        }
    }
}

/// Builds the service image and pulls, or else bootstraps, the others.
async fn provide_images(context: &Context, stack: &super::stack::Stack) -> anyhow::Result<()> {
    let progress = super::images::progress(context);
    let (service, others): (Vec<&String>, Vec<&String>) = stack
        .missing_images
        .iter()
        .partition(|image| **image == stack.service_image);
    if !others.is_empty() {
        let refs: Vec<&str> = others.iter().map(|image| image.as_str()).collect();
        ensure_images(
            &stack.docker,
            &refs,
            &BootstrapOptions::default(),
            &progress,
        )
        .await?;
    }
    if !service.is_empty() {
        if bootstrap::inspect(&stack.docker, DEBIAN_BASE)
            .await?
            .is_none()
        {
            ensure_images(
                &stack.docker,
                &[DEBIAN_BASE],
                &BootstrapOptions::default(),
                &progress,
            )
            .await?;
        }
        build_service_image(
            &stack.docker,
            &ServiceImageSpec::from_current_exe()?,
            &progress,
        )
        .await?;
    }
    Ok(())
}
