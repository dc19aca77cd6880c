//! The typed shape of a profile. Every struct rejects unknown fields so a typo is an error,
//! not a silently ignored setting.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use super::monitoring::{
    AlertSettings, AlertmanagerSettings, GrafanaSettings, Monitoring, PrometheusSettings,
};
use super::units::{
    ByteSize, Compression, Cpus, Duration, HostBinding, PortSpec, Protocol, Rate, VolumeMount,
};

/// A deployment profile: the desired state of one TradeMaster stack.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Name of the profile; defaults to the file name without `.yaml`.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Name of a profile this one starts from (maps merged, lists replaced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// Production profiles refuse default or empty passwords and similar shortcuts.
    #[serde(default)]
    pub production: bool,
    pub services: BTreeMap<String, Service>,
    #[serde(default)]
    pub networks: BTreeMap<String, Network>,
    #[serde(default)]
    pub volumes: BTreeMap<String, Volume>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<Gateway>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<Monitoring>,
}

/// One service of the stack; `replicas` containers run from it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `build: service` runs the image tmctl builds from its own binary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildTarget>,
    #[serde(default = "one")]
    pub replicas: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, EnvValue>,
    /// Generated secrets handed to this service as environment variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretName>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<VolumeMount>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub depends_on: BTreeMap<String, Dependency>,
    #[serde(default)]
    pub restart: RestartPolicy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_opt: Vec<String>,
    #[serde(default)]
    pub update: UpdatePolicy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_grace_period: Option<Duration>,
    /// Commands run in a one-off container of the service's new configuration.
    #[serde(default, skip_serializing_if = "Hooks::is_empty")]
    pub hooks: Hooks,
}

/// Deploy hooks of a service.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hooks {
    /// Before any replica of the new configuration starts (e.g. migrations); a failing one
    /// stops the update before any traffic moves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pre_deploy: Vec<HookCommand>,
    /// After the update has finished.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_deploy: Vec<HookCommand>,
}

impl Hooks {
    pub fn is_empty(&self) -> bool {
        self.pre_deploy.is_empty() && self.post_deploy.is_empty()
    }
}

/// A shell line, or an argument list run as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HookCommand {
    Shell(String),
    Argv(Vec<String>),
}

impl HookCommand {
    pub fn is_empty(&self) -> bool {
        match self {
            HookCommand::Shell(line) => line.trim().is_empty(),
            HookCommand::Argv(argv) => argv.first().is_none_or(|first| first.trim().is_empty()),
        }
    }

    pub fn argv(&self) -> Vec<String> {
        match self {
            HookCommand::Shell(line) => vec!["sh".into(), "-c".into(), line.clone()],
            HookCommand::Argv(argv) => argv.clone(),
        }
    }
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuildTarget {
    /// The TradeMaster service image built from the tmctl executable.
    Service,
}

/// An environment value; numbers and booleans are accepted and kept as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EnvValue {
    Text(String),
    Integer(i64),
    Boolean(bool),
    Float(FloatText),
}

/// A float kept as the text it was written with, so it renders back unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FloatText(#[serde(with = "float_text")] pub String);

mod float_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &str, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(value)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        f64::deserialize(deserializer).map(|value| value.to_string())
    }
}

impl fmt::Display for EnvValue {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            EnvValue::Text(text) => f.write_str(text),
            EnvValue::Integer(value) => write!(f, "{value}"),
            EnvValue::Boolean(value) => write!(f, "{value}"),
            EnvValue::Float(value) => f.write_str(&value.0),
        }
    }
}

/// Secrets tmctl generates per project into `.tmctl/<project>/secrets.env`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SecretName {
    #[serde(rename = "POSTGRES_PASSWORD")]
    PostgresPassword,
    #[serde(rename = "REDIS_PASSWORD")]
    RedisPassword,
    #[serde(rename = "TMCTL_TOKEN_KEY")]
    TokenKey,
    #[serde(rename = "GF_SECURITY_ADMIN_PASSWORD")]
    GrafanaAdminPassword,
    /// Password of the read-only `tmctl_monitor` PostgreSQL role the exporter logs in with.
    #[serde(rename = "PG_MONITOR_PASSWORD")]
    PgMonitorPassword,
}

impl SecretName {
    pub const ALL: [SecretName; 5] = [
        SecretName::PostgresPassword,
        SecretName::RedisPassword,
        SecretName::TokenKey,
        SecretName::GrafanaAdminPassword,
        SecretName::PgMonitorPassword,
    ];

    /// The environment variable the secret is delivered as.
    pub fn env_var(self) -> &'static str {
        match self {
            SecretName::PostgresPassword => "POSTGRES_PASSWORD",
            SecretName::RedisPassword => "REDIS_PASSWORD",
            SecretName::TokenKey => "TMCTL_TOKEN_KEY",
            SecretName::GrafanaAdminPassword => "GF_SECURITY_ADMIN_PASSWORD",
            SecretName::PgMonitorPassword => "PG_MONITOR_PASSWORD",
        }
    }
}

/// A container healthcheck, as in compose.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Healthcheck {
    /// `["CMD", ...]`, `["CMD-SHELL", "..."]`, or a shell string.
    pub test: Vec<String>,
    #[serde(default = "default_interval")]
    pub interval: Duration,
    #[serde(default = "default_timeout")]
    pub timeout: Duration,
    #[serde(default = "default_retries")]
    pub retries: u32,
    #[serde(default = "default_start_period")]
    pub start_period: Duration,
}

fn default_interval() -> Duration {
    Duration::from_secs(10)
}
fn default_timeout() -> Duration {
    Duration::from_secs(5)
}
fn default_retries() -> u32 {
    3
}
fn default_start_period() -> Duration {
    Duration::from_secs(0)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    #[serde(default)]
    pub condition: DependencyCondition,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DependencyCondition {
    #[default]
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RestartPolicy {
    #[serde(rename = "no")]
    No,
    #[serde(rename = "always")]
    Always,
    #[serde(rename = "on-failure")]
    OnFailure,
    #[default]
    #[serde(rename = "unless-stopped")]
    UnlessStopped,
}

impl RestartPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            RestartPolicy::No => "no",
            RestartPolicy::Always => "always",
            RestartPolicy::OnFailure => "on-failure",
            RestartPolicy::UnlessStopped => "unless-stopped",
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<ResourceAmounts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservations: Option<ResourceAmounts>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceAmounts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<Cpus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<ByteSize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pids: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdatePolicy {
    #[serde(default)]
    pub order: UpdateOrder,
    /// How many replicas are replaced at a time.
    #[serde(default = "one")]
    pub parallelism: u32,
    /// Wait between two batches.
    #[serde(default = "zero_duration")]
    pub delay: Duration,
    /// How long a new replica must keep running and healthy, with traffic, before the old
    /// one is retired.
    #[serde(default = "zero_duration")]
    pub monitor: Duration,
    #[serde(default)]
    pub failure_action: FailureAction,
    /// Share of new replicas that may fail before `failure_action` applies (0 to 1).
    #[serde(default)]
    pub max_failure_ratio: f64,
}

impl Default for UpdatePolicy {
    fn default() -> Self {
        UpdatePolicy {
            order: UpdateOrder::default(),
            parallelism: 1,
            delay: zero_duration(),
            monitor: zero_duration(),
            failure_action: FailureAction::default(),
            max_failure_ratio: 0.0,
        }
    }
}

fn zero_duration() -> Duration {
    Duration::from_secs(0)
}

/// What an update does when a new replica fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureAction {
    /// Put the previous release back, replicas already replaced included.
    #[default]
    Rollback,
    /// Stop the update where it is; the replicas already replaced stay.
    Pause,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateOrder {
    /// Stop the old container before starting its replacement.
    #[default]
    StopFirst,
    /// Start the replacement, wait for it to be healthy, then stop the old one.
    StartFirst,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// No route out of the host: only containers on the network reach each other.
    #[serde(default)]
    pub internal: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volume {}

/// The nginx gateway in front of the service replicas.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gateway {
    /// The service that runs nginx.
    pub service: String,
    pub upstream: Upstream,
    pub ports: GatewayPorts,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<Tls>,
    #[serde(default = "default_body_size")]
    pub client_max_body_size: ByteSize,
    #[serde(default)]
    pub rate_limits: RateLimits,
    #[serde(default = "yes")]
    pub gzip: bool,
    /// Port of an unpublished listener serving nginx's `stub_status` for the exporter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_port: Option<u16>,
}

fn default_body_size() -> ByteSize {
    ByteSize(200 * 1024 * 1024)
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    pub service: String,
    pub port: u16,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayPorts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HostBinding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https: Option<HostBinding>,
}

/// TLS for the gateway: a certificate tmctl generates, or files you provide.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    #[serde(default)]
    pub self_signed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimits {
    #[serde(default = "default_login_limit")]
    pub login: RateLimit,
    #[serde(default = "default_api_limit")]
    pub api: RateLimit,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            login: default_login_limit(),
            api: default_api_limit(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub rate: Rate,
    #[serde(default)]
    pub burst: u32,
}

fn default_login_limit() -> RateLimit {
    RateLimit {
        rate: Rate {
            requests: 10,
            per_minute: true,
        },
        burst: 5,
    }
}

fn default_api_limit() -> RateLimit {
    RateLimit {
        rate: Rate {
            requests: 200,
            per_minute: false,
        },
        burst: 400,
    }
}

/// Scheduled pg_dump backups.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupPolicy {
    /// The service that runs `tmctl backup schedule`, if the stack schedules its own backups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The service running PostgreSQL.
    #[serde(default = "default_database_service")]
    pub database: String,
    /// Crontab expression (5 fields, or 6 with seconds first).
    pub schedule: String,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    #[serde(default)]
    pub keep_daily: u32,
    #[serde(default)]
    pub keep_weekly: u32,
    #[serde(default)]
    pub keep_monthly: u32,
    #[serde(default = "default_compression")]
    pub compression: Compression,
    /// Host directory the dumps go to; a folder per project is made inside.
    #[serde(default = "default_backup_directory")]
    pub directory: String,
}

fn default_database_service() -> String {
    "postgres".to_owned()
}
fn default_timezone() -> String {
    "UTC".to_owned()
}
fn default_compression() -> Compression {
    Compression::Zstd(3)
}
fn default_backup_directory() -> String {
    "backups".to_owned()
}

impl Profile {
    /// Every port `service` publishes: its own, and for the gateway service the gateway's
    /// http and https bindings on container ports 80 and 443.
    pub fn published_ports(&self, service: &str) -> Vec<PortSpec> {
        let mut ports = self
            .services
            .get(service)
            .map(|spec| spec.ports.clone())
            .unwrap_or_default();
        if let Some(gateway) = self.gateway.as_ref().filter(|g| g.service == service) {
            for (binding, container) in [(gateway.ports.http, 80), (gateway.ports.https, 443)] {
                if let Some(host) = binding {
                    ports.push(PortSpec {
                        host,
                        container,
                        protocol: Protocol::Tcp,
                    });
                }
            }
        }
        ports
    }

    /// Services in dependency order (dependencies first), ties broken by name.
    /// Assumes the profile has been validated (no cycles); leftover services come last.
    pub fn services_in_start_order(&self) -> Vec<&str> {
        let mut ordered: Vec<&str> = Vec::new();
        let mut remaining: Vec<&str> = self.services.keys().map(String::as_str).collect();
        while !remaining.is_empty() {
            let ready: Vec<&str> = remaining
                .iter()
                .copied()
                .filter(|name| {
                    self.services[*name].depends_on.keys().all(|dep| {
                        ordered.contains(&dep.as_str()) || !self.services.contains_key(dep)
                    })
                })
                .collect();
            if ready.is_empty() {
                ordered.append(&mut remaining);
                break;
            }
            remaining.retain(|name| !ready.contains(name));
            ordered.extend(ready);
        }
        ordered
    }
}
