//! `tmctl ps`: the project's containers.

use chrono::Utc;
use serde_json::json;

use super::{runtime, Context};
use crate::engine::docker::connect;
use crate::engine::status;
use crate::output::table;

pub fn run(context: &Context) -> anyhow::Result<()> {
    let project = context.project()?;
    runtime()?.block_on(async {
        let docker = connect().await?;
        let statuses = status::list(&docker, &project).await?;
        let uptime = |status: &status::ContainerStatus| {
            status
                .running_since
                .map(|since| human(Utc::now().signed_duration_since(since)))
                .unwrap_or_else(|| "-".to_owned())
        };
        if context.global.json {
            let records: Vec<_> = statuses
                .iter()
                .map(|s| {
                    json!({
                        "name": s.name,
                        "service": s.service,
                        "replica": s.replica,
                        "state": s.state,
                        "health": s.health,
                        "ports": s.ports,
                        "uptime": uptime(s),
                        "image": s.image,
                    })
                })
                .collect();
            super::print_json(&records)?;
        } else if statuses.is_empty() {
            println!("{project}: no containers");
        } else {
            let rows: Vec<Vec<String>> = statuses
                .iter()
                .map(|s| {
                    vec![
                        s.service.clone(),
                        s.replica.to_string(),
                        s.state.clone(),
                        s.health.clone(),
                        if s.ports.is_empty() {
                            "-".to_owned()
                        } else {
                            s.ports.join(",")
                        },
                        uptime(s),
                        s.image.clone(),
                    ]
                })
                .collect();
            println!(
                "{}",
                table(
                    &["SERVICE", "REPLICA", "STATE", "HEALTH", "PORTS", "UPTIME", "IMAGE"],
                    &rows
                )
            );
        }
        Ok(())
    })
}

fn human(duration: chrono::Duration) -> String {
    let seconds = duration.num_seconds().max(0);
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h{}m", s / 3600, (s % 3600) / 60),
        s => format!("{}d{}h", s / 86_400, (s % 86_400) / 3600),
    }
}
