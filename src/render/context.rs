//! The data each template sees, built from a validated profile.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::engine::spec::ContainerSpec;
use crate::profile::{LoadedProfile, Profile, Service, UpdateOrder};
use crate::state::ProjectState;

/// Choices that come from the caller rather than the profile.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub project: String,
    /// Image used for `build: service` services.
    pub service_image: String,
    /// nginx upstream entries; `None` means the service name (compose's DNS round robin).
    pub upstream_servers: Option<Vec<String>>,
    /// Directory where nginx.conf and the other mounted files live on the host.
    pub config_dir: String,
}

impl RenderOptions {
    pub fn new(project: &str, config_dir: &str) -> Self {
        RenderOptions {
            project: project.to_owned(),
            service_image: default_service_image(),
            upstream_servers: None,
            config_dir: config_dir.to_owned(),
        }
    }
}

/// The tag `tmctl images build` gives the service image (besides its content-hash tag).
pub fn default_service_image() -> String {
    format!("tmctl:{}", env!("CARGO_PKG_VERSION"))
}

pub(crate) fn header(profile: &Profile, options: &RenderOptions) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("version".into(), json!(env!("CARGO_PKG_VERSION")));
    map.insert("profile".into(), json!(profile.name));
    map.insert("project".into(), json!(options.project));
    map
}

fn service_context(
    profile: &Profile,
    name: &str,
    service: &Service,
    state: &ProjectState,
    options: &RenderOptions,
) -> Value {
    // The same description the Engine's create request is made from.
    let spec = ContainerSpec::of_service(
        profile,
        name,
        service,
        &options.service_image,
        &HashMap::new(),
    );
    let ports: Vec<String> = spec.ports.iter().map(ToString::to_string).collect();
    let mut volumes: Vec<String> = spec.mounts.iter().map(ToString::to_string).collect();
    if let Some(gateway) = profile.gateway.as_ref().filter(|g| g.service == name) {
        volumes.push(format!(
            "{}/nginx.conf:/etc/nginx/nginx.conf:ro",
            options.config_dir
        ));
        volumes.push(format!(
            "{}/router.conf:/etc/nginx/router.conf:ro",
            options.config_dir
        ));
        if let Some(tls) = &gateway.tls {
            match (&tls.cert, &tls.key) {
                (Some(cert), Some(key)) => {
                    volumes.push(format!("{cert}:/etc/nginx/tls/tls.crt:ro"));
                    volumes.push(format!("{key}:/etc/nginx/tls/tls.key:ro"));
                }
                _ => volumes.push(format!("{}:/etc/nginx/tls:ro", state.tls_dir().display())),
            }
        }
    }
    volumes.extend(monitoring_mounts(profile, name, &options.config_dir));
    let environment: Map<String, Value> = spec
        .environment
        .iter()
        .map(|(key, value)| (key.clone(), json!(value)))
        .collect();
    let depends_on: Vec<Value> = service
        .depends_on
        .iter()
        .map(|(dependency, spec)| {
            json!({
                "name": dependency,
                "condition": serde_json::to_value(spec.condition).unwrap_or(Value::Null),
            })
        })
        .collect();
    let resources = spec.resources.as_ref().map(|resources| {
        let amounts = |amounts: &Option<crate::profile::ResourceAmounts>| {
            amounts.as_ref().map(|a| {
                let mut map = Map::new();
                if let Some(cpus) = a.cpus {
                    map.insert("cpus".into(), json!(cpus.to_string()));
                }
                if let Some(memory) = a.memory {
                    map.insert("memory".into(), json!(memory.to_string()));
                }
                Value::Object(map)
            })
        };
        json!({
            "limits": amounts(&resources.limits),
            "reservations": amounts(&resources.reservations),
        })
    });
    let pids_limit = spec
        .resources
        .as_ref()
        .and_then(|r| r.limits.as_ref())
        .and_then(|l| l.pids);
    let env_file =
        (!spec.secrets.is_empty()).then(|| state.service_env_file(name).display().to_string());
    json!({
        "name": name,
        "image": spec.image,
        "entrypoint": spec.entrypoint,
        "command": spec.command,
        "user": spec.user,
        "environment": if environment.is_empty() { Value::Null } else { Value::Object(environment) },
        "env_file": env_file,
        "ports": ports,
        "volumes": volumes,
        "tmpfs": spec.tmpfs,
        "networks": spec.networks,
        "depends_on": depends_on,
        "healthcheck": spec.healthcheck.as_ref().map(|h| json!({
            "test": h.test,
            "interval": h.interval.to_string(),
            "timeout": h.timeout.to_string(),
            "retries": h.retries,
            "start_period": h.start_period.to_string(),
        })),
        "restart": spec.restart.as_str(),
        "read_only": spec.read_only,
        "cap_drop": spec.cap_drop,
        "cap_add": spec.cap_add,
        "security_opt": spec.security_opt,
        "stop_grace_period": spec.stop_grace_period.map(|d| d.to_string()),
        "init": spec.init,
        "pids_limit": pids_limit,
        "replicas": service.replicas,
        "resources": resources,
        "update_order": match service.update.order {
            UpdateOrder::StartFirst => "start-first",
            UpdateOrder::StopFirst => "stop-first",
        },
    })
}

pub fn compose(profile: &Profile, state: &ProjectState, options: &RenderOptions) -> Value {
    let mut data = header(profile, options);
    let services: Vec<Value> = profile
        .services_in_start_order()
        .into_iter()
        .map(|name| service_context(profile, name, &profile.services[name], state, options))
        .collect();
    let networks: Vec<Value> = profile
        .networks
        .iter()
        .map(|(name, network)| {
            json!({ "name": name, "internal": network.internal, "subnet": network.subnet })
        })
        .collect();
    let volumes: Vec<&String> = profile.volumes.keys().collect();
    data.insert("services".into(), json!(services));
    data.insert("networks".into(), json!(networks));
    data.insert("volumes".into(), json!(volumes));
    Value::Object(data)
}

/// Connections each nginx worker of the gateway may hold at once.
const WORKER_CONNECTIONS: u32 = 4096;
/// Idle upstream connections a worker keeps: at most a quarter of its connections, so
/// hundreds of concurrent clients never make the gateway open a fresh TCP connection per
/// request (which exhausts ephemeral ports under load).
const MAX_UPSTREAM_KEEPALIVE: u32 = WORKER_CONNECTIONS / 4;
/// Idle connections the router keeps per service replica and worker.
const KEEPALIVE_PER_REPLICA: u32 = 256;

/// The router's idle-connection cache: `KEEPALIVE_PER_REPLICA` per replica, capped at a
/// quarter of the worker connections.
fn router_keepalive(replicas: usize) -> u32 {
    let replicas = u32::try_from(replicas.max(1)).unwrap_or(u32::MAX);
    KEEPALIVE_PER_REPLICA
        .saturating_mul(replicas)
        .min(MAX_UPSTREAM_KEEPALIVE)
}

/// The router's data: the replicas it sends requests to.
pub fn router(profile: &Profile, options: &RenderOptions) -> Option<Value> {
    let gateway = profile.gateway.as_ref()?;
    let mut data = header(profile, options);
    let upstream = options.upstream_servers.clone().unwrap_or_else(|| {
        vec![format!(
            "{}:{}",
            gateway.upstream.service, gateway.upstream.port
        )]
    });
    let replicas = match &options.upstream_servers {
        Some(servers) => servers.len(),
        None => profile
            .services
            .get(&gateway.upstream.service)
            .map_or(1, |service| service.replicas as usize),
    };
    data.insert("router_keepalive".into(), json!(router_keepalive(replicas)));
    data.insert("upstream_servers".into(), json!(upstream));
    Some(Value::Object(data))
}

pub fn nginx(profile: &Profile, _state: &ProjectState, options: &RenderOptions) -> Option<Value> {
    let gateway = profile.gateway.as_ref()?;
    let mut data = header(profile, options);
    data.insert("edge_keepalive".into(), json!(MAX_UPSTREAM_KEEPALIVE));
    data.insert("worker_connections".into(), json!(WORKER_CONNECTIONS));
    let https_suffix = match gateway.ports.https {
        Some(binding) if binding.port != 443 => format!(":{}", binding.port),
        _ => String::new(),
    };
    data.insert("tls".into(), json!(gateway.tls.is_some()));
    data.insert("https_port_suffix".into(), json!(https_suffix));
    data.insert(
        "client_max_body_size".into(),
        json!(gateway.client_max_body_size.to_string()),
    );
    data.insert("gzip".into(), json!(gateway.gzip));
    data.insert("status_port".into(), json!(gateway.status_port));
    data.insert(
        "rate_limits".into(),
        json!({
            "login": { "rate": gateway.rate_limits.login.rate.to_string(), "burst": gateway.rate_limits.login.burst },
            "api": { "rate": gateway.rate_limits.api.rate.to_string(), "burst": gateway.rate_limits.api.burst },
        }),
    );
    Some(Value::Object(data))
}

/// Port the backup scheduler serves `/metrics` and `/health` on.
pub const BACKUP_METRICS_PORT: u16 = 9187;

pub fn prometheus(
    profile: &Profile,
    _state: &ProjectState,
    options: &RenderOptions,
) -> Option<Value> {
    let settings = profile.monitoring.as_ref()?.prometheus.as_ref()?;
    let mut data = header(profile, options);
    let (upstream_service, upstream_port) = profile
        .gateway
        .as_ref()
        .map(|g| (g.upstream.service.clone(), g.upstream.port))
        .unwrap_or_else(|| ("service".to_owned(), 8000));
    let backup_target = profile
        .backup
        .as_ref()
        .and_then(|b| b.service.as_ref())
        .map(|service| format!("{service}:{BACKUP_METRICS_PORT}"));
    data.insert(
        "scrape_interval".into(),
        json!(settings.scrape_interval.to_string()),
    );
    data.insert("upstream_service".into(), json!(upstream_service));
    data.insert("upstream_port".into(), json!(upstream_port));
    data.insert("backup_target".into(), json!(backup_target));
    data.insert("extra_targets".into(), json!(settings.extra_targets));
    data.insert(
        "evaluation_interval".into(),
        json!(settings.evaluation_interval().to_string()),
    );
    let jobs: Vec<Value> = settings
        .jobs
        .iter()
        .map(|(name, target)| json!({ "name": name, "target": target }))
        .collect();
    data.insert("jobs".into(), json!(jobs));
    let alertmanager_target = profile
        .monitoring
        .as_ref()
        .and_then(|m| m.alertmanager.as_ref())
        .map(|a| format!("{}:9093", a.service));
    data.insert("alertmanager_target".into(), json!(alertmanager_target));
    Some(Value::Object(data))
}

pub fn grafana(profile: &Profile, _state: &ProjectState, options: &RenderOptions) -> Option<Value> {
    let monitoring = profile.monitoring.as_ref()?;
    monitoring.grafana.as_ref()?;
    let prometheus = monitoring.prometheus.as_ref()?;
    let mut data = header(profile, options);
    data.insert("prometheus_service".into(), json!(prometheus.service));
    Some(Value::Object(data))
}

/// The `${VAR:-default}` variables the profile files read, with their defaults.
pub fn env_example(loaded: &LoadedProfile, state: &ProjectState, options: &RenderOptions) -> Value {
    let mut data = header(&loaded.profile, options);
    let mut variables: Vec<(String, String)> = Vec::new();
    for document in &loaded.documents {
        for (name, default) in scan_variables(&document.text) {
            if !variables.iter().any(|(known, _)| *known == name) {
                variables.push((name, default));
            }
        }
    }
    variables.sort();
    data.insert(
        "variables".into(),
        json!(variables
            .into_iter()
            .map(|(name, default)| json!({ "name": name, "default": default }))
            .collect::<Vec<_>>()),
    );
    data.insert(
        "secrets_file".into(),
        json!(state.secrets_file().display().to_string()),
    );
    Value::Object(data)
}

fn scan_variables(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        if at > 0 && rest.as_bytes()[at - 1] == b'$' {
            rest = &rest[at + 2..];
            continue;
        }
        let body = &rest[at + 2..];
        let Some(end) = body.find('}') else { break };
        let inner = &body[..end];
        let name_end = inner
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(inner.len());
        let name = &inner[..name_end];
        let default = inner[name_end..]
            .strip_prefix(":-")
            .or_else(|| inner[name_end..].strip_prefix('-'))
            .unwrap_or("");
        if !name.is_empty() {
            found.push((name.to_owned(), default.to_owned()));
        }
        rest = &body[end..];
    }
    found
}

/// The rendered monitoring files `name` reads, as compose bind mounts of `config_dir`.
fn monitoring_mounts(profile: &Profile, name: &str, config_dir: &str) -> Vec<String> {
    use super::monitoring::{DASHBOARDS_DIR, RULES_FILE};
    let Some(monitoring) = profile.monitoring.as_ref() else {
        return Vec::new();
    };
    let is = |service: Option<&String>| service.is_some_and(|service| service == name);
    let files: Vec<(&str, String)> = if is(monitoring.prometheus.as_ref().map(|p| &p.service)) {
        vec![
            (
                "prometheus.yml",
                "/etc/prometheus/prometheus.yml".to_owned(),
            ),
            ("alert-rules.yml", format!("/etc/prometheus/{RULES_FILE}")),
        ]
    } else if is(monitoring.alertmanager.as_ref().map(|a| &a.service)) {
        vec![(
            "alertmanager.yml",
            "/etc/alertmanager/alertmanager.yml".to_owned(),
        )]
    } else if is(monitoring.grafana.as_ref().map(|g| &g.service)) {
        vec![
            (
                "grafana-datasource.yml",
                "/etc/grafana/provisioning/datasources/tmctl.yml".to_owned(),
            ),
            (
                "grafana-dashboards.yml",
                "/etc/grafana/provisioning/dashboards/tmctl.yml".to_owned(),
            ),
            (
                "dashboards",
                format!("/etc/grafana/provisioning/{DASHBOARDS_DIR}"),
            ),
        ]
    } else {
        Vec::new()
    };
    files
        .into_iter()
        .map(|(file, target)| format!("{config_dir}/{file}:{target}:ro"))
        .collect()
}
