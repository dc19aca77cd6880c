//! `tmctl audit [--since D]`: the project's audit log.

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::Context;
use crate::audit;
use crate::engine::docker::connect;
use crate::output::table;

pub fn run(context: &Context, args: &crate::cli::AuditArgs) -> anyhow::Result<()> {
    let state = context.project_state()?;
    let since = args.since.as_deref().map(since).transpose()?;
    super::runtime()?.block_on(async {
        let docker = connect().await?;
        let records: Vec<_> = audit::read(&docker, &state)
            .await?
            .into_iter()
            .filter(|record| since.is_none_or(|since| record.time >= since))
            .collect();
        if context.global.json {
            super::print_json(&records)?;
        } else if records.is_empty() {
            println!("{}: no audit records", state.project);
        } else {
            let rows: Vec<Vec<String>> = records
                .iter()
                .map(|record| {
                    vec![
                        record.time.format("%Y-%m-%d %H:%M:%S").to_string(),
                        record.operator.clone(),
                        record.action.clone(),
                        brief(&record.outcome),
                        record.detail.clone().unwrap_or_default(),
                        record.command.clone(),
                    ]
                })
                .collect();
            println!(
                "{}",
                table(
                    &["TIME (UTC)", "BY", "ACTION", "OUTCOME", "DETAIL", "COMMAND"],
                    &rows
                )
            );
        }
        Ok(())
    })
}

/// The first line, at most 80 characters (the JSON output has it whole).
fn brief(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    match line.char_indices().nth(80) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line.to_owned(),
    }
}

/// `24h` ago, or an RFC 3339 timestamp.
fn since(text: &str) -> anyhow::Result<DateTime<Utc>> {
    match text.parse::<crate::profile::units::Duration>() {
        Ok(ago) => Ok(Utc::now() - chrono::Duration::from_std(ago.as_std())?),
        Err(_) => Ok(DateTime::parse_from_rfc3339(text)
            .with_context(|| {
                format!("--since {text}: give a duration such as 24h or a timestamp such as 2026-01-31T12:00:00Z")
            })?
            .with_timezone(&Utc)),
    }
}
