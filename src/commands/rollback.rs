//! `tmctl rollback [RELEASE]`: deploy an earlier release again, exactly.

use super::up::{deploy_and_report, Deployment};
use super::Context;
use crate::cli::RollbackArgs;
use crate::engine::docker::connect;
use crate::lock::engine as lock;
use crate::releases::{self, ReleaseKind};

pub fn run(context: &Context, args: &RollbackArgs) -> anyhow::Result<()> {
    let project = context.open_project()?;
    let waits = &args.deploy;
    super::runtime()?.block_on(async {
        let docker = connect().await?;
        let lock = lock::acquire(&docker, &project.name, "tmctl rollback", waits.lock_wait).await?;
        let result = async {
            let history = releases::list(&docker, &project.name).await?;
            let target = releases::rollback_target(&history, args.release)?;
            if !context.global.quiet && !context.global.json {
                println!(
                    "{}: rolling back to release {} ({} by {}, profile digest {})",
                    project.name,
                    target.id,
                    target.time.format("%Y-%m-%d %H:%M:%SZ"),
                    target.operator,
                    &target.profile_digest[..12]
                );
            }
            let deployment = Deployment {
                kind: ReleaseKind::Rollback { to: target.id },
                target: Some(target),
                wait: waits.wait,
                timeout: waits.timeout,
            };
            deploy_and_report(context, &docker, &project, &deployment).await
        }
        .await;
        lock.release().await;
        result
    })
}
