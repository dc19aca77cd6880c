//! The `monitoring` section of a profile: Prometheus (scrape jobs, alert timing),
//! Alertmanager and Grafana.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::units::Duration;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<PrometheusSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alertmanager: Option<AlertmanagerSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grafana: Option<GrafanaSettings>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusSettings {
    pub service: String,
    #[serde(default = "default_scrape_interval")]
    pub scrape_interval: Duration,
    /// How often the alert rules are evaluated; the scrape interval by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation_interval: Option<Duration>,
    /// Scrape jobs of the stack's exporters: job name → `service:port`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub jobs: BTreeMap<String, String>,
    /// Extra `host:port` targets, e.g. the Docker Engine's metrics address.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_targets: Vec<String>,
    #[serde(default)]
    pub alerts: AlertSettings,
}

impl PrometheusSettings {
    pub fn evaluation_interval(&self) -> Duration {
        self.evaluation_interval.unwrap_or(self.scrape_interval)
    }
}

/// How long a condition must hold before its alert fires.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSettings {
    /// For the alerts on outages (replica down, PostgreSQL down, backup failed).
    #[serde(default = "default_alert_for_outage", rename = "for_outage")]
    pub for_outage: Duration,
    /// For the alerts on degradations (errors, latency, queue, capacity).
    #[serde(default = "default_alert_for_degraded", rename = "for_degraded")]
    pub for_degraded: Duration,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            for_outage: default_alert_for_outage(),
            for_degraded: default_alert_for_degraded(),
        }
    }
}

fn default_alert_for_outage() -> Duration {
    Duration::from_secs(60)
}
fn default_alert_for_degraded() -> Duration {
    Duration::from_secs(300)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerSettings {
    pub service: String,
    /// Where notifications go: a webhook URL; none keeps alerts in Alertmanager's UI/API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
}

fn default_scrape_interval() -> Duration {
    Duration::from_secs(15)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrafanaSettings {
    pub service: String,
}
