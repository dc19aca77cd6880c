//! `tmctl logs`: the logs of the project's containers, multiplexed with prefixes.

use std::io::Write;

use anyhow::{bail, Context as _};
use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::stream::{select_all, StreamExt};

use super::stack::{connect, runtime};
use super::Context;
use crate::cli::LogsArgs;
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
        let streams = containers.iter().map(|container| {
            let mut options = LogsOptionsBuilder::default()
                .stdout(true)
                .stderr(true)
                .follow(args.follow)
                .timestamps(args.timestamps)
                .tail(&args.tail);
            if let Some(since) = since {
                options = options.since(since);
            }
            let prefix = format!(
                "{:<width$}",
                format!("{}-{}", container.service, container.number)
            );
            docker
                .logs(&container.name, Some(options.build()))
                .map(move |chunk| (prefix.clone(), chunk))
                .boxed()
        });
        let mut merged = select_all(streams);
        let stdout = std::io::stdout();
        while let Some((prefix, chunk)) = merged.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => {
                    tracing::warn!("log stream of {prefix} ended: {error}");
                    continue;
                }
            };
            let is_error = matches!(chunk, LogOutput::StdErr { .. });
            let text = String::from_utf8_lossy(&chunk.into_bytes()).into_owned();
            let mut out = stdout.lock();
            for line in text.lines() {
                let shown = if is_error {
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
