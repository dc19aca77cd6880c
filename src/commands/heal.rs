//! `tmctl heal`: restart replicas that stay unhealthy, with backoff and an hourly cap;
//! containers that are not running are left alone. Counts persist in
//! `<state-dir>/<project>/heal.json`, so `--once` from cron builds on earlier runs.

use std::path::Path;

use anyhow::Context as _;

use super::{runtime, Context};
use crate::audit::{self, AuditRecord};
use crate::cli::HealArgs;
use crate::engine::docker::connect;
use crate::health::heal::{HealState, Policy};
use crate::health::healer::{self, Announced};
use crate::state::write_private_file;

pub fn run(context: &Context, args: &HealArgs) -> anyhow::Result<()> {
    let project = context.project()?;
    let project_state = context.project_state()?;
    let file = project_state.dir.join("heal.json");
    let policy = Policy {
        threshold: args.threshold.max(1),
        backoff: args.backoff,
        max_backoff: args.max_backoff.max(args.backoff),
        max_restarts_per_hour: args.max_restarts_per_hour,
    };
    runtime()?.block_on(async {
        let docker = connect().await?;
        let mut state = load(&file);
        let mut announced = Announced::new();
        tracing::info!(
            "healing {project}: restart after {} unhealthy checks, backoff {:?} doubling up to {:?}, at most {} restarts per container per hour",
            policy.threshold,
            policy.backoff,
            policy.max_backoff,
            policy.max_restarts_per_hour
        );
        loop {
            let restarted =
                healer::pass(&docker, &project, &policy, &mut state, &mut announced).await?;
            for container in restarted {
                let mut record = AuditRecord::new(&project, "heal restart");
                record.detail = Some(format!("restarted {container}: unhealthy"));
                audit::record(&docker, &project_state, &record).await;
            }
            save(&file, &state)?;
            if args.once {
                return Ok(());
            }
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {
                    tracing::info!("heal of {project} stopped");
                    return Ok(());
                }
                _ = tokio::time::sleep(args.interval) => {}
            }
        }
    })
}

fn load(file: &Path) -> HealState {
    match std::fs::read_to_string(file) {
        Ok(text) => serde_json::from_str(&text).unwrap_or_else(|error| {
            tracing::warn!("ignoring {}: {error}", file.display());
            HealState::default()
        }),
        Err(_) => HealState::default(),
    }
}

fn save(file: &Path, state: &HealState) -> anyhow::Result<()> {
    let text = serde_json::to_vec_pretty(state)?;
    write_private_file(file, &text).with_context(|| format!("cannot save {}", file.display()))
}
