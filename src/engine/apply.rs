//! Executes a plan: removals first, then networks and volumes, then containers one
//! dependency level at a time (services of a level in parallel, the next level's new
//! containers created meanwhile), gated on the conditions their dependents declare.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bollard::models::{Ipam, IpamConfig, NetworkCreateRequest, VolumeCreateRequest};
use bollard::query_parameters::RenameContainerOptionsBuilder;
use bollard::Docker;
use futures_util::future::try_join_all;

use super::labels;
use super::ops::{self, engine_error, OpError, Readiness};
use super::plan::{Action, ActionKind, Cause, Plan};
use super::spec::DesiredContainer;
use crate::profile::{DependencyCondition, Profile, UpdateOrder};

/// Files copied into the gateway container before it starts and whenever they change.
#[derive(Debug, Clone)]
pub struct GatewayFiles {
    pub service: String,
    pub nginx_conf: String,
    /// PEM certificate and key, when TLS is on.
    pub tls: Option<(String, String)>,
}

pub struct ApplyInput<'a> {
    pub docker: &'a Docker,
    pub project: &'a str,
    pub profile: &'a Profile,
    pub desired: &'a [DesiredContainer],
    pub plan: &'a Plan,
    pub timeout: Duration,
    pub gateway: Option<GatewayFiles>,
    /// Wait until every container is healthy (or running, without a healthcheck).
    pub wait: bool,
    /// The project's state directory, where the deployed gateway config is recorded.
    pub state_dir: &'a std::path::Path,
}

#[derive(Debug, Default)]
pub struct ApplyReport {
    pub done: Vec<String>,
    pub gateway_reloaded: bool,
}

impl GatewayFiles {
    /// A digest of everything copied into the gateway.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(self.nginx_conf.as_bytes());
        if let Some((cert, key)) = &self.tls {
            hasher.update(cert.as_bytes());
            hasher.update(key.as_bytes());
        }
        crate::hex::hex(&hasher.finalize())
    }
}

fn remember(record: &std::path::Path, fingerprint: &str) {
    if let Err(error) = crate::state::write_private_file(record, fingerprint.as_bytes()) {
        tracing::warn!("cannot record the deployed gateway config: {error}");
    }
}

/// Dependency depth of every service: 0 for none, else one more than its deepest dependency.
pub fn levels(profile: &Profile) -> BTreeMap<usize, Vec<String>> {
    let mut depth: BTreeMap<&str, usize> = BTreeMap::new();
    for name in profile.services_in_start_order() {
        let level = profile.services[name]
            .depends_on
            .keys()
            .filter_map(|dependency| depth.get(dependency.as_str()))
            .map(|level| level + 1)
            .max()
            .unwrap_or(0);
        depth.insert(name, level);
    }
    let mut levels: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (name, level) in depth {
        levels.entry(level).or_default().push(name.to_owned());
    }
    levels
}

/// What dependents need of `service` before they may start.
fn readiness_needed(profile: &Profile, service: &str) -> Option<Readiness> {
    let mut needed: Option<Readiness> = None;
    for other in profile.services.values() {
        if let Some(dependency) = other.depends_on.get(service) {
            let readiness = match dependency.condition {
                DependencyCondition::ServiceStarted => Readiness::Running,
                DependencyCondition::ServiceHealthy => Readiness::Healthy,
                DependencyCondition::ServiceCompletedSuccessfully => {
                    Readiness::CompletedSuccessfully
                }
            };
            needed = Some(match (needed, readiness) {
                (Some(Readiness::CompletedSuccessfully), _)
                | (_, Readiness::CompletedSuccessfully) => Readiness::CompletedSuccessfully,
                (Some(Readiness::Healthy), _) | (_, Readiness::Healthy) => Readiness::Healthy,
                _ => Readiness::Running,
            });
        }
    }
    needed
}

pub async fn apply(input: &ApplyInput<'_>) -> Result<ApplyReport, OpError> {
    let docker = input.docker;
    let mut report = ApplyReport::default();

    // Orphans and leftovers go first (they may hold host ports); surplus replicas go last,
    // after the gateway stopped sending them requests.
    let (scale_downs, removals): (Vec<&Action>, Vec<&Action>) = input
        .plan
        .actions
        .iter()
        .filter(|action| action.kind == ActionKind::Remove)
        .partition(|action| matches!(action.cause, Cause::ScaleDown { .. }));
    remove_all(docker, &removals, &mut report).await?;

    // Networks and volumes are independent of each other: all at once.
    let of_kind = |kind: ActionKind| {
        input
            .plan
            .actions
            .iter()
            .filter(move |action| action.kind == kind)
    };
    let networks = try_join_all(of_kind(ActionKind::CreateNetwork).map(|action| async move {
        create_network(docker, input.project, input.profile, &action.target).await?;
        Ok::<_, OpError>(format!("created network {}", action.target))
    }));
    let volumes = try_join_all(of_kind(ActionKind::CreateVolume).map(|action| async move {
        create_volume(docker, input.project, &action.target).await?;
        Ok::<_, OpError>(format!("created volume {}", action.target))
    }));
    let (networks, volumes) = futures_util::try_join!(networks, volumes)?;
    report.done.extend(networks);
    report.done.extend(volumes);

    // While a level starts and becomes ready, the next level's new containers are created
    // (not started), so creating them never sits on the dependency chain.
    let levels: Vec<Vec<String>> = levels(input.profile).into_values().collect();
    let mut touched_services: BTreeSet<String> = BTreeSet::new();
    let mut created_ahead: BTreeSet<String> = BTreeSet::new();
    for (index, services) in levels.iter().enumerate() {
        let current = async {
            let results = try_join_all(
                services
                    .iter()
                    .map(|service| converge_service(input, service, &created_ahead)),
            )
            .await?;
            try_join_all(services.iter().filter_map(|service| {
                let readiness = readiness_needed(input.profile, service)?;
                Some(wait_service(input, service, readiness))
            }))
            .await?;
            Ok::<_, OpError>(results)
        };
        let next = create_ahead(input, levels.get(index + 1).map_or(&[], Vec::as_slice));
        let (results, created_next) = futures_util::try_join!(current, next)?;
        for (service, done) in services.iter().zip(results) {
            if !done.is_empty() {
                touched_services.insert(service.clone());
            }
            report.done.extend(done);
        }
        created_ahead = created_next;
    }

    if let Some(gateway) = &input.gateway {
        let upstream_changed = input
            .profile
            .gateway
            .as_ref()
            .is_some_and(|g| touched_services.contains(&g.upstream.service))
            || scale_downs.iter().chain(&removals).any(|a| {
                a.service.as_deref()
                    == input
                        .profile
                        .gateway
                        .as_ref()
                        .map(|g| g.upstream.service.as_str())
            });
        if !touched_services.contains(&gateway.service) {
            report.gateway_reloaded =
                sync_gateway(docker, input, gateway, upstream_changed).await?;
        }
    }
    remove_all(docker, &scale_downs, &mut report).await?;

    if input.wait {
        try_join_all(input.desired.iter().map(|want| async move {
            let readiness = if want.body.healthcheck.is_some() {
                Readiness::EngineHealthy
            } else {
                Readiness::Running
            };
            ops::wait_ready(docker, &want.name, readiness, input.timeout).await
        }))
        .await?;
    }
    Ok(report)
}

async fn remove_all(
    docker: &Docker,
    actions: &[&Action],
    report: &mut ApplyReport,
) -> Result<(), OpError> {
    try_join_all(actions.iter().map(|action| async move {
        tracing::info!(container = %action.target, cause = %action.cause, "removing");
        ops::stop_and_remove(docker, &action.target, None).await
    }))
    .await?;
    report.done.extend(
        actions
            .iter()
            .map(|a| format!("removed {} ({})", a.target, a.cause)),
    );
    Ok(())
}

async fn create_network(
    docker: &Docker,
    project: &str,
    profile: &Profile,
    full_name: &str,
) -> Result<(), OpError> {
    let short = full_name
        .strip_prefix(&format!("{project}_"))
        .unwrap_or(full_name)
        .to_owned();
    let settings = profile.networks.get(&short).cloned().unwrap_or_default();
    let request = NetworkCreateRequest {
        name: full_name.to_owned(),
        driver: Some("bridge".to_owned()),
        internal: Some(settings.internal),
        ipam: settings.subnet.map(|subnet| Ipam {
            config: Some(vec![IpamConfig {
                subnet: Some(subnet),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        labels: Some(std::collections::HashMap::from([
            (labels::PROJECT.to_owned(), project.to_owned()),
            (labels::NETWORK.to_owned(), short),
            (
                labels::TMCTL_VERSION.to_owned(),
                env!("CARGO_PKG_VERSION").to_owned(),
            ),
        ])),
        ..Default::default()
    };
    docker
        .create_network(request)
        .await
        .map(|_| ())
        .map_err(engine_error("cannot create network", full_name))
}

async fn create_volume(docker: &Docker, project: &str, full_name: &str) -> Result<(), OpError> {
    let short = full_name
        .strip_prefix(&format!("{project}_"))
        .unwrap_or(full_name)
        .to_owned();
    let request = VolumeCreateRequest {
        name: Some(full_name.to_owned()),
        labels: Some(std::collections::HashMap::from([
            (labels::PROJECT.to_owned(), project.to_owned()),
            (labels::VOLUME.to_owned(), short),
        ])),
        ..Default::default()
    };
    docker
        .create_volume(request)
        .await
        .map(|_| ())
        .map_err(engine_error("cannot create volume", full_name))
}

async fn prepare_gateway(
    docker: &Docker,
    input: &ApplyInput<'_>,
    service: &str,
    name: &str,
) -> Result<(), OpError> {
    let Some(gateway) = input.gateway.as_ref().filter(|g| g.service == service) else {
        return Ok(());
    };
    upload_gateway_files(docker, name, gateway).await
}

async fn upload_gateway_files(
    docker: &Docker,
    name: &str,
    gateway: &GatewayFiles,
) -> Result<(), OpError> {
    let mut files: Vec<(&str, &[u8], u32)> =
        vec![("nginx.conf", gateway.nginx_conf.as_bytes(), 0o644)];
    if let Some((cert, key)) = &gateway.tls {
        files.push(("tls/tls.crt", cert.as_bytes(), 0o644));
        // nginx reads the key as root before it drops privileges.
        files.push(("tls/tls.key", key.as_bytes(), 0o600));
    }
    ops::upload_files(docker, name, "/etc/nginx", &files).await
}

/// Creates (without starting) the new containers of `services`; returns their names.
async fn create_ahead(
    input: &ApplyInput<'_>,
    services: &[String],
) -> Result<BTreeSet<String>, OpError> {
    let created = try_join_all(
        input
            .plan
            .actions
            .iter()
            .filter(|action| action.kind == ActionKind::Create)
            .filter_map(|action| input.desired.iter().find(|w| w.name == action.target))
            .filter(|want| services.contains(&want.service))
            .map(|want| async move {
                create_new(input, want).await?;
                Ok::<_, OpError>(want.name.clone())
            }),
    )
    .await?;
    Ok(created.into_iter().collect())
}

/// Creates a new container under its own name, with the gateway's files when it is one.
async fn create_new(input: &ApplyInput<'_>, want: &DesiredContainer) -> Result<(), OpError> {
    tracing::info!(container = %want.name, "creating");
    ops::create(input.docker, want, &want.name).await?;
    prepare_gateway(input.docker, input, &want.service, &want.name).await
}

/// Brings one service's replicas to the desired state, one replica at a time; new
/// containers in `created_ahead` exist already and only need starting.
async fn converge_service(
    input: &ApplyInput<'_>,
    service: &str,
    created_ahead: &BTreeSet<String>,
) -> Result<Vec<String>, OpError> {
    let docker = input.docker;
    let mut done = Vec::new();
    let grace = input
        .profile
        .services
        .get(service)
        .and_then(|s| s.stop_grace_period)
        .map(|d| d.as_std());
    let order = input
        .profile
        .services
        .get(service)
        .map(|s| s.update.order)
        .unwrap_or_default();
    for action in input.plan.for_service(service) {
        let Some(want) = input.desired.iter().find(|want| want.name == action.target) else {
            continue;
        };
        match action.kind {
            ActionKind::Create => {
                if !created_ahead.contains(&want.name) {
                    create_new(input, want).await?;
                }
                ops::start(docker, &want.name).await?;
            }
            ActionKind::Start => {
                tracing::info!(container = %want.name, "starting");
                prepare_gateway(docker, input, service, &want.name).await?;
                ops::start(docker, &want.name).await?;
            }
            ActionKind::Recreate if order == UpdateOrder::StartFirst => {
                tracing::info!(container = %want.name, cause = %action.cause, "replacing (start-first)");
                let next = format!("{}-next", want.name);
                ops::create(docker, want, &next).await?;
                prepare_gateway(docker, input, service, &next).await?;
                ops::start(docker, &next).await?;
                let readiness = if want.body.healthcheck.is_some() {
                    Readiness::Healthy
                } else {
                    Readiness::Running
                };
                if let Err(error) = ops::wait_ready(docker, &next, readiness, input.timeout).await {
                    let _ = ops::stop_and_remove(docker, &next, None).await;
                    return Err(error);
                }
                ops::stop_and_remove(docker, &want.name, grace).await?;
                docker
                    .rename_container(
                        &next,
                        RenameContainerOptionsBuilder::default()
                            .name(&want.name)
                            .build(),
                    )
                    .await
                    .map_err(engine_error("cannot rename", &next))?;
            }
            ActionKind::Recreate => {
                tracing::info!(container = %want.name, cause = %action.cause, "recreating");
                ops::stop_and_remove(docker, &want.name, grace).await?;
                ops::create(docker, want, &want.name).await?;
                prepare_gateway(docker, input, service, &want.name).await?;
                ops::start(docker, &want.name).await?;
            }
            _ => continue,
        }
        done.push(format!(
            "{} {} ({})",
            match action.kind {
                ActionKind::Create => "created",
                ActionKind::Start => "started",
                _ => "recreated",
            },
            want.name,
            action.cause
        ));
    }
    Ok(done)
}

async fn wait_service(
    input: &ApplyInput<'_>,
    service: &str,
    readiness: Readiness,
) -> Result<(), OpError> {
    try_join_all(
        input
            .desired
            .iter()
            .filter(|want| want.service == service)
            .map(|want| ops::wait_ready(input.docker, &want.name, readiness, input.timeout)),
    )
    .await
    .map(|_| ())
}

/// Copies nginx.conf into the running gateway when it differs, and reloads nginx in place
/// (also when upstream containers were replaced, so nginx resolves their new addresses).
async fn sync_gateway(
    docker: &Docker,
    input: &ApplyInput<'_>,
    gateway: &GatewayFiles,
    upstream_changed: bool,
) -> Result<bool, OpError> {
    let mut reloaded = false;
    for want in input
        .desired
        .iter()
        .filter(|want| want.service == gateway.service)
    {
        // What was last copied into this very container; reading it back through exec
        // costs far more than a `tmctl up` that has nothing to do may take.
        let container_id = docker
            .inspect_container(&want.name, None)
            .await
            .map_err(ops::engine_error("cannot inspect", &want.name))?
            .id
            .unwrap_or_default();
        let record = input.state_dir.join(format!("{}.deployed", want.name));
        let fingerprint = format!("{container_id} {}", gateway.digest());
        let recorded = std::fs::read_to_string(&record).ok();
        if !upstream_changed && recorded.as_deref() == Some(fingerprint.as_str()) {
            continue;
        }
        let current =
            ops::exec_capture(docker, &want.name, &["cat", "/etc/nginx/nginx.conf"]).await?;
        let differs = current.stdout != gateway.nginx_conf;
        if !differs && !upstream_changed {
            remember(&record, &fingerprint);
            continue;
        }
        if differs {
            upload_gateway_files(docker, &want.name, gateway).await?;
        }
        let old_workers = nginx_workers(docker, &want.name).await?;
        let result = ops::exec_capture(docker, &want.name, &["nginx", "-s", "reload"]).await?;
        if result.exit_code != 0 {
            let test = ops::exec_capture(docker, &want.name, &["nginx", "-t"]).await?;
            return Err(OpError::Other {
                container: want.name.clone(),
                message: format!(
                    "nginx reload failed: {}{}",
                    result.stderr.trim(),
                    test.stderr.trim()
                ),
            });
        }
        wait_for_workers_to_exit(docker, &want.name, &old_workers).await?;
        remember(&record, &fingerprint);
        tracing::info!(container = %want.name, "gateway configuration reloaded");
        reloaded = true;
    }
    Ok(reloaded)
}

/// PIDs of the nginx worker processes in the gateway container.
async fn nginx_workers(docker: &Docker, container: &str) -> Result<BTreeSet<u32>, OpError> {
    // The bracket keeps grep from matching its own command line.
    let listing = ops::exec_capture(
        docker,
        container,
        &[
            "sh",
            "-c",
            "grep -la 'nginx: worker proces[s]' /proc/[0-9]*/cmdline 2>/dev/null; true",
        ],
    )
    .await?;
    Ok(listing
        .stdout
        .lines()
        .filter_map(|path| path.split('/').nth(2)?.parse().ok())
        .collect())
}

/// After a reload, the old workers finish their requests and exit; until they have, they
/// may still send requests to the replicas of the old configuration, so those must not be
/// removed yet.
async fn wait_for_workers_to_exit(
    docker: &Docker,
    container: &str,
    old_workers: &BTreeSet<u32>,
) -> Result<(), OpError> {
    const PATIENCE: Duration = Duration::from_secs(15);
    let started = std::time::Instant::now();
    loop {
        let current = nginx_workers(docker, container).await?;
        if current.is_disjoint(old_workers) {
            tracing::debug!(container, waited = ?started.elapsed(), "old nginx workers exited");
            return Ok(());
        }
        if started.elapsed() > PATIENCE {
            tracing::warn!(
                container,
                "old nginx workers still running {PATIENCE:?} after the reload; going on"
            );
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
