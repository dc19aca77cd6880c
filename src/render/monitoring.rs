//! The monitoring files: alert rules, Alertmanager's configuration and Grafana's
//! provisioning with the dashboards (made from `templates/dashboards.yaml`).

use chrono::Utc;
use serde_json::{json, Map, Value};

use super::context::{header, RenderOptions};
use crate::profile::Profile;
use crate::schedule::CronSchedule;

/// Where Prometheus finds the rules, relative to its configuration directory.
pub const RULES_FILE: &str = "rules/tmctl.yml";
/// Grafana's dashboards, relative to its provisioning directory.
pub const DASHBOARDS_DIR: &str = "dashboards/tmctl";

/// The data of `alert-rules.yml`.
pub fn alert_rules(profile: &Profile, options: &RenderOptions) -> Option<Value> {
    let prometheus = profile.monitoring.as_ref()?.prometheus.as_ref()?;
    let mut data = header(profile, options);
    let replicas = profile
        .gateway
        .as_ref()
        .and_then(|gateway| profile.services.get(&gateway.upstream.service))
        .map_or(1, |service| service.replicas.max(1));
    let period = profile
        .backup
        .as_ref()
        .and_then(|backup| CronSchedule::parse(&backup.schedule, &backup.timezone).ok())
        .and_then(|schedule| schedule.period_after(Utc::now()))
        .and_then(|period| period.to_std().ok())
        .unwrap_or(std::time::Duration::from_secs(86_400));
    let max_age = period + period / 2;
    data.insert("service_replicas".into(), json!(replicas));
    data.insert(
        "for_outage".into(),
        json!(prometheus.alerts.for_outage.to_string()),
    );
    data.insert(
        "for_degraded".into(),
        json!(prometheus.alerts.for_degraded.to_string()),
    );
    data.insert("backup_max_age_seconds".into(), json!(max_age.as_secs()));
    data.insert(
        "backup_window".into(),
        json!(format!("{}s", max_age.as_secs())),
    );
    Some(Value::Object(data))
}

/// The data of `alertmanager.yml`.
pub fn alertmanager(profile: &Profile, options: &RenderOptions) -> Option<Value> {
    let settings = profile.monitoring.as_ref()?.alertmanager.as_ref()?;
    let mut data = header(profile, options);
    let webhook = settings
        .webhook_url
        .as_deref()
        .filter(|url| !url.is_empty());
    data.insert("webhook_url".into(), json!(webhook));
    Some(Value::Object(data))
}

/// The data of `grafana-dashboards.yml` (the dashboard provider).
pub fn grafana_dashboards(profile: &Profile, options: &RenderOptions) -> Option<Value> {
    profile.monitoring.as_ref()?.grafana.as_ref()?;
    Some(Value::Object(header(profile, options)))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardSource {
    pub uid: String,
    pub title: String,
    pub panels: Vec<PanelSource>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelSource {
    pub title: String,
    #[serde(default = "default_unit")]
    pub unit: String,
    pub queries: Vec<QuerySource>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuerySource {
    pub expr: String,
    #[serde(default)]
    pub legend: String,
}

fn default_unit() -> String {
    "none".to_owned()
}

/// Reads the dashboards' source (`dashboards.yaml`).
pub fn parse_dashboards(text: &str, origin: &str) -> Result<Vec<DashboardSource>, String> {
    let dashboards: Vec<DashboardSource> =
        serde_yaml::from_str(text).map_err(|error| format!("{origin}: {error}"))?;
    for dashboard in &dashboards {
        let valid = !dashboard.uid.is_empty()
            && dashboard
                .uid
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(format!(
                "{origin}: dashboard uid `{}` may use only letters, digits, `-` and `_`",
                dashboard.uid
            ));
        }
    }
    Ok(dashboards)
}

/// One dashboard as Grafana JSON: time series panels, two per row.
pub fn dashboard_json(dashboard: &DashboardSource) -> String {
    let datasource = json!({ "type": "prometheus", "uid": "prometheus" });
    let panels: Vec<Value> = dashboard
        .panels
        .iter()
        .enumerate()
        .map(|(index, panel)| {
            let targets: Vec<Value> = panel
                .queries
                .iter()
                .zip('A'..='Z')
                .map(|(query, ref_id)| {
                    json!({
                        "datasource": datasource,
                        "expr": query.expr,
                        "legendFormat": query.legend,
                        "refId": ref_id.to_string(),
                    })
                })
                .collect();
            json!({
                "id": index + 1,
                "type": "timeseries",
                "title": panel.title,
                "datasource": datasource,
                "gridPos": { "h": 8, "w": 12, "x": (index % 2) * 12, "y": (index / 2) * 8 },
                "fieldConfig": { "defaults": { "unit": panel.unit }, "overrides": [] },
                "options": { "legend": { "displayMode": "list", "placement": "bottom" } },
                "targets": targets,
            })
        })
        .collect();
    let mut root = Map::new();
    root.insert("uid".into(), json!(dashboard.uid));
    root.insert("title".into(), json!(dashboard.title));
    root.insert("tags".into(), json!(["tmctl"]));
    root.insert("schemaVersion".into(), json!(39));
    root.insert("editable".into(), json!(false));
    root.insert("refresh".into(), json!("30s"));
    root.insert("time".into(), json!({ "from": "now-1h", "to": "now" }));
    root.insert("panels".into(), Value::Array(panels));
    let mut text = serde_json::to_string_pretty(&Value::Object(root)).unwrap_or_default();
    text.push('\n');
    text
}
