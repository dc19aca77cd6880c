//! `tmctl secrets rotate NAME`: change a generated secret in place, then replace the
//! services that receive it (a release like any other).

use std::time::Instant;

use anyhow::bail;

use super::up::{deploy_and_report, Deployment};
use super::Context;
use crate::audit::{self, AuditRecord};
use crate::cli::{RotateArgs, SecretsCommand};
use crate::deploy::rotate;
use crate::engine::docker::connect;
use crate::lock::engine as lock;
use crate::profile::SecretName;
use crate::releases::ReleaseKind;

pub fn run(context: &Context, command: &SecretsCommand) -> anyhow::Result<()> {
    match command {
        SecretsCommand::Rotate(args) => rotate_secret(context, args),
    }
}

fn rotate_secret(context: &Context, args: &RotateArgs) -> anyhow::Result<()> {
    let Some(name) = SecretName::ALL
        .into_iter()
        .find(|name| name.env_var() == args.name)
    else {
        let known: Vec<&str> = SecretName::ALL.iter().map(|name| name.env_var()).collect();
        bail!(
            "unknown secret `{}`: the generated secrets are {}",
            args.name,
            known.join(", ")
        );
    };
    let project = context.open_project()?;
    super::runtime()?.block_on(async {
        let docker = connect().await?;
        let lock = lock::acquire(
            &docker,
            &project.name,
            "tmctl secrets rotate",
            args.lock_wait,
        )
        .await?;
        let started = Instant::now();
        let result = async {
            rotate::set_new_value(&docker, &project, name).await?;
            if !context.global.quiet && !context.global.json {
                println!(
                    "{}: {} changed; replacing the services that receive it",
                    project.name,
                    name.env_var()
                );
            }
            let deployment = Deployment {
                kind: ReleaseKind::Up,
                target: None,
                wait: true,
                timeout: args.timeout,
            };
            deploy_and_report(context, &docker, &project, &deployment).await
        }
        .await;
        let mut record = AuditRecord::new(&project.name, "secrets rotate").outcome(&result);
        record.duration_ms = Some(started.elapsed().as_millis() as u64);
        record.detail = Some(name.env_var().to_owned());
        audit::record(&docker, &project.state, &record).await;
        lock.release().await;
        result
    })
}
