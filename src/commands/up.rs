//! `tmctl up`: converge the stack to the profile, as a recorded release.

use std::time::{Duration, Instant};

use serde_json::json;

use super::Context;
use crate::audit::{self, AuditRecord};
use crate::cli::UpArgs;
use crate::deploy::release::{self, Request};
use crate::deploy::{self, Project};
use crate::engine::docker::{connect, Engine};
use crate::engine::reconcile;
use crate::lock::engine as lock;
use crate::output::events::EventPrinter;
use crate::releases::{Release, ReleaseKind};

pub fn run(context: &Context, args: &UpArgs) -> anyhow::Result<()> {
    let mut project = context.open_project()?;
    project.loaded.profile.without(&args.services.without)?;
    project.scale(&args.services.scale)?;
    super::runtime()?.block_on(async {
        let docker = connect().await?;
        let lock = lock::acquire(&docker, &project.name, "tmctl up", args.deploy.lock_wait).await?;
        let deployment = Deployment {
            kind: ReleaseKind::Up,
            target: None,
            wait: args.deploy.wait,
            timeout: args.deploy.timeout,
        };
        let result = deploy_and_report(context, &docker, &project, &deployment).await;
        lock.release().await;
        result
    })
}

/// What `up` and `rollback` deploy.
pub(super) struct Deployment<'a> {
    pub kind: ReleaseKind,
    pub target: Option<&'a Release>,
    pub wait: bool,
    pub timeout: Duration,
}

/// Deploys, prints the outcome (JSON lines with --json) and records it in the audit log.
pub(super) async fn deploy_and_report(
    context: &Context,
    docker: &Engine,
    project: &Project,
    deployment: &Deployment<'_>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let action = match deployment.kind {
        ReleaseKind::Up => "up",
        ReleaseKind::Rollback { .. } => "rollback",
    };
    let result = deploy(context, docker, project, deployment, started).await;
    let mut record = AuditRecord::new(&project.name, action).outcome(&result);
    record.duration_ms = Some(started.elapsed().as_millis() as u64);
    record.detail = match &result {
        Ok(Some(release)) => Some(format!("release {release}")),
        Ok(None) => Some("nothing to do".to_owned()),
        Err(_) => None,
    };
    audit::record(docker, &project.state, &record).await;
    result.map(|_| ())
}

async fn deploy(
    context: &Context,
    docker: &Engine,
    project: &Project,
    deployment: &Deployment<'_>,
    started: Instant,
) -> anyhow::Result<Option<u64>> {
    let printer = EventPrinter::new(context.style, context.global.quiet);
    let progress = super::images::progress(context);
    let request = Request {
        project,
        kind: deployment.kind.clone(),
        target: deployment.target,
        options: reconcile::Options {
            wait: deployment.wait,
        },
        timeout: deployment.timeout,
        events: &printer,
        progress: &progress,
    };
    let result = tokio::select! {
        result = release::deploy(docker, &request) => result,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("interrupted: removing unfinished replacements");
            match deploy::prepare(docker, project, reconcile::Options::default()).await {
                Ok(prepared) => {
                    if let Err(error) = prepared.remove_leftovers(&printer).await {
                        tracing::warn!("{error:#}");
                        deploy::force_remove_leftovers(docker, &project.name).await;
                    }
                }
                Err(_) => deploy::force_remove_leftovers(docker, &project.name).await,
            }
            anyhow::bail!("interrupted; run `tmctl up` again to finish converging");
        }
    };
    let elapsed = started.elapsed();
    let command = match deployment.kind {
        ReleaseKind::Up => "up",
        ReleaseKind::Rollback { .. } => "rollback",
    };
    // One JSON summary line: what ran, how it ended, `fields`, and how long it took.
    let summary = |outcome: &str, fields: serde_json::Value| {
        let mut line = serde_json::Map::new();
        line.insert("event".into(), json!("summary"));
        line.insert("command".into(), json!(command));
        line.insert("outcome".into(), json!(outcome));
        line.insert("project".into(), json!(project.name));
        if let serde_json::Value::Object(fields) = fields {
            line.extend(fields);
        }
        line.insert("elapsed_ms".into(), json!(elapsed.as_millis() as u64));
        serde_json::Value::Object(line)
    };
    let deployed = match result {
        Ok(deployed) => deployed,
        Err(error) => {
            if context.global.json {
                let error = json!({ "error": format!("{error:#}") });
                printer.json_line(&summary("failed", error));
            }
            return Err(error);
        }
    };
    let release = deployed.release.as_ref().map(|release| release.id);
    let prepared = &deployed.prepared;
    let changed = prepared.plan.changes_something();
    if context.global.json {
        let fields = json!({
            "profile": project.loaded.profile.name,
            "release": release,
            "changed": changed,
            "actions": printer.done(),
            "steps": prepared.plan.steps.len(),
            "containers": prepared.desired.containers().len(),
        });
        printer.json_line(&summary("ok", fields));
    } else if !changed && !context.global.quiet {
        println!(
            "{}: nothing to do, {} container(s) up to date ({} ms)",
            project.name,
            prepared.desired.containers().len(),
            elapsed.as_millis()
        );
    } else if !context.global.quiet {
        println!(
            "{}: {} in {:.1}s{}",
            context.style.bold(&project.name),
            context.style.green(if deployment.wait {
                "up and healthy"
            } else {
                "up"
            }),
            elapsed.as_secs_f64(),
            release
                .map(|id| format!(" (release {id})"))
                .unwrap_or_default()
        );
    }
    Ok(release)
}
