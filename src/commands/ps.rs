//! `tmctl ps`: the project's containers.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::stack::{connect, runtime};
use super::Context;
use crate::engine::observe;
use crate::output::table;

pub fn run(context: &Context) -> anyhow::Result<()> {
    let project = context.project()?;
    runtime()?.block_on(async {
        let docker = connect().await?;
        let containers = observe::containers(&docker, &project).await?;
        let mut rows = Vec::new();
        let mut records = Vec::new();
        for container in &containers {
            let inspect = docker.inspect_container(&container.name, None).await.ok();
            let state = inspect
                .as_ref()
                .and_then(|i| i.state.clone())
                .unwrap_or_default();
            let health = state
                .health
                .and_then(|h| h.status)
                .map(|s| s.to_string())
                .filter(|s| !s.is_empty() && s != "none")
                .unwrap_or_else(|| "-".to_owned());
            let uptime = state
                .started_at
                .filter(|_| state.running.unwrap_or(false))
                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| human(Utc::now().signed_duration_since(t.with_timezone(&Utc))))
                .unwrap_or_else(|| "-".to_owned());
            let ports: Vec<String> = inspect
                .as_ref()
                .and_then(|i| i.host_config.as_ref())
                .and_then(|h| h.port_bindings.clone())
                .unwrap_or_default()
                .into_iter()
                .flat_map(|(target, bindings)| {
                    bindings.unwrap_or_default().into_iter().map(move |b| {
                        format!(
                            "{}:{}->{}",
                            b.host_ip.unwrap_or_default(),
                            b.host_port.unwrap_or_default(),
                            target
                        )
                    })
                })
                .collect();
            rows.push(vec![
                container.service.clone(),
                container.number.to_string(),
                container.state.clone(),
                health.clone(),
                if ports.is_empty() {
                    "-".to_owned()
                } else {
                    ports.join(",")
                },
                uptime.clone(),
                container.image.clone(),
            ]);
            records.push(json!({
                "name": container.name,
                "service": container.service,
                "replica": container.number,
                "state": container.state,
                "health": health,
                "ports": ports,
                "uptime": uptime,
                "image": container.image,
            }));
        }
        if context.global.json {
            println!("{}", serde_json::to_string_pretty(&records)?);
        } else if rows.is_empty() {
            println!("{project}: no containers");
        } else {
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
