//! `tmctl logs`: the logs of the project's containers, multiplexed with prefixes.

use std::io::Write;

use anyhow::{bail, Context as _};
use futures_util::StreamExt;

use super::runtime;
use super::Context;
use crate::cli::LogsArgs;
use crate::engine::docker::connect;
use crate::engine::logs::{self, LogOptions};
use crate::engine::observe;

/// `10m` ago, or an RFC 3339 timestamp, as Unix seconds.
fn since_seconds(text: &str) -> anyhow::Result<i32> {
    let instant = match text.parse::<crate::profile::units::Duration>() {
        Ok(ago) => chrono::Utc::now() - chrono::Duration::from_std(ago.as_std())?,
        Err(_) => chrono::DateTime::parse_from_rfc3339(text)
            .with_context(|| format!("--since {text}: give a duration such as 10m or a timestamp such as 2026-01-31T12:00:00Z"))?
            .with_timezone(&chrono::Utc),
    };
    Ok(i32::try_from(instant.timestamp()).unwrap_or(0))
}

pub fn run(context: &Context, args: &LogsArgs) -> anyhow::Result<()> {
    let project = context.project()?;
    let since = args.since.as_deref().map(since_seconds).transpose()?;
    runtime()?.block_on(async {
        let docker = connect().await?;
        let containers: Vec<_> = observe::containers(&docker, &project)
            .await?
            .into_iter()
            .filter(|c| args.service.as_ref().is_none_or(|s| &c.service == s))
            .collect();
        if containers.is_empty() {
            match &args.service {
                Some(service) => bail!("{project} has no container of service `{service}`"),
                None => bail!("{project} has no containers; start it with `tmctl up`"),
            }
        }
        let width = containers
            .iter()
            .map(|c| c.service.len() + 3)
            .max()
            .unwrap_or(0);
        let options = LogOptions {
            follow: args.follow,
            timestamps: args.timestamps,
            tail: args.tail.clone(),
            since,
        };
        let mut merged = logs::merged(&docker, &containers, &options);
        let stdout = std::io::stdout();
        while let Some(chunk) = merged.next().await {
            let prefix = format!("{:<width$}", chunk.prefix);
            let mut out = stdout.lock();
            for line in chunk.text.lines() {
                let shown = if chunk.stderr {
                    context.style.dim(&prefix)
                } else {
                    prefix.clone()
                };
                writeln!(out, "{shown} | {line}")?;
            }
        }
        Ok(())
    })
}
