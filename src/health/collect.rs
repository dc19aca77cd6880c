//! One health round: list the project's containers, inspect them, run every probe
//! concurrently and add the results up.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use bollard::query_parameters::InspectContainerOptions;
use bollard::Docker;
use chrono::{DateTime, Utc};
use futures_util::future::{join_all, BoxFuture};
use futures_util::FutureExt;
use serde::Serialize;

use super::check::{Conditions, ProbeSettings};
use super::probes::{self, Freshness, Replica};
use super::verdict::{self, Impact, Level, ProbeResult};
use crate::engine::observe;
use crate::profile::Profile;
use crate::schedule::CronSchedule;

/// What to probe: the project and the profile it was brought up from.
pub struct Target<'a> {
    pub project: &'a str,
    pub profile: &'a Profile,
    /// Relative backup directories are resolved against this.
    pub working_dir: &'a Path,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub project: String,
    pub status: Level,
    pub exit_code: u8,
    /// Why the status is unknown, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// RFC 3339.
    pub checked_at: String,
    #[serde(rename = "duration_ms")]
    pub duration_ms: u64,
    pub probes: Vec<ProbeResult>,
}

impl Report {
    pub fn unknown(project: &str, reason: String, started: Instant) -> Self {
        Report {
            project: project.to_owned(),
            status: Level::Unknown,
            exit_code: Level::Unknown.exit_code(),
            reason: Some(reason),
            checked_at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            duration_ms: started.elapsed().as_millis() as u64,
            probes: Vec::new(),
        }
    }

    /// The failing probes, for messages naming what is wrong.
    pub fn failures(&self) -> impl Iterator<Item = &ProbeResult> {
        self.probes.iter().filter(|probe| probe.failed())
    }
}

/// Services that stop the stack from serving when all their replicas fail.
fn critical_services(profile: &Profile) -> Vec<String> {
    crate::profile::without::required_services(profile)
}

fn database_service(profile: &Profile) -> String {
    profile
        .backup
        .as_ref()
        .map(|backup| backup.database.clone())
        .unwrap_or_else(|| "postgres".to_owned())
}

/// Runs one round of probes against the project.
pub async fn collect(docker: &Docker, target: &Target<'_>, settings: &ProbeSettings) -> Report {
    let started = Instant::now();
    let containers = match observe::containers(docker, target.project).await {
        Ok(containers) => containers,
        Err(error) => {
            return Report::unknown(
                target.project,
                format!("cannot list the project's containers: {error}"),
                started,
            )
        }
    };
    if containers.is_empty() {
        return Report::unknown(
            target.project,
            format!(
                "project {} is not running (no containers); start it with `tmctl up`",
                target.project
            ),
            started,
        );
    }
    let inspected = join_all(containers.iter().map(|container| async move {
        let asked = Instant::now();
        let inspect = docker
            .inspect_container(&container.name, None::<InspectContainerOptions>)
            .await
            .unwrap_or_default();
        Replica {
            name: container.name.clone(),
            service: container.service.clone(),
            inspect,
            inspect_latency: asked.elapsed(),
        }
    }))
    .await;

    let probes = plan_probes(docker, target, settings, &inspected);
    let probes = join_all(probes).await;
    let status = verdict::level(&probes);
    Report {
        project: target.project.to_owned(),
        status,
        exit_code: status.exit_code(),
        reason: None,
        checked_at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration_ms: started.elapsed().as_millis() as u64,
        probes,
    }
}

fn plan_probes<'a>(
    docker: &'a Docker,
    target: &'a Target<'a>,
    settings: &'a ProbeSettings,
    replicas: &'a [Replica],
) -> Vec<BoxFuture<'a, ProbeResult>> {
    let profile = target.profile;
    let critical = critical_services(profile);
    let backup_service = profile.backup.as_ref().and_then(|b| b.service.clone());
    let of = |service: &str| -> Vec<&'a Replica> {
        replicas.iter().filter(|r| r.service == service).collect()
    };
    let first_running = |service: &str| of(service).into_iter().find(|r| r.running());
    let mut probes: Vec<BoxFuture<'a, ProbeResult>> = Vec::new();
    let ready = |result: ProbeResult| async move { result }.boxed();

    // The Engine's view of every replica; services with no container at all.
    for (name, service) in &profile.services {
        let impact = Impact::Replica {
            critical_service: critical.contains(name),
        };
        let found = of(name);
        if found.is_empty() {
            // Optional parts (backups, monitoring) may be left out, e.g. with --scale.
            let result = if !critical.contains(name) {
                probes::skipped("container", name, Impact::Degrading, "not deployed")
            } else if service.replicas == 0 {
                probes::skipped("container", name, Impact::Degrading, "scaled to 0")
            } else {
                probes::missing(name, impact)
            };
            probes.push(ready(result));
        }
        for replica in found {
            probes.push(ready(probes::container(replica, impact)));
        }
    }

    if let Some(gateway) = &profile.gateway {
        let service = gateway.service.as_str();
        match first_running(service) {
            None => {
                if let Some(replica) = of(service).first() {
                    probes.push(ready(probes::not_running(
                        "gateway",
                        replica,
                        Impact::Critical,
                    )));
                }
            }
            Some(replica) => match replica.published("80/tcp") {
                None => probes.push(ready(probes::skipped(
                    "gateway",
                    service,
                    Impact::Critical,
                    "port 80 is not published",
                ))),
                Some(address) => {
                    let conditions = Conditions {
                        max_latency: settings.max_latency,
                        ..Conditions::default().status(&[200]).body_contains("ok")
                    };
                    let upstream = gateway.upstream.service.clone();
                    probes.push(
                        async move {
                            probes::http_get(
                                "gateway",
                                service,
                                address,
                                "/health",
                                &conditions,
                                settings,
                                Impact::Critical,
                            )
                            .await
                        }
                        .boxed(),
                    );
                    let (ready_address, tls) = match replica.published("443/tcp") {
                        Some(https) => (https, true),
                        None => (address, false),
                    };
                    probes.push(
                        async move { probes::ready(&upstream, ready_address, tls, settings).await }
                            .boxed(),
                    );
                }
            },
        }
    }

    let database = database_service(profile);
    if profile.services.contains_key(&database) {
        match first_running(&database) {
            Some(replica) => probes
                .push(async move { probes::postgres(docker, replica, settings).await }.boxed()),
            None => {
                if let Some(replica) = of(&database).first() {
                    probes.push(ready(probes::not_running(
                        "postgres",
                        replica,
                        Impact::Critical,
                    )));
                }
            }
        }
    }
    if profile.services.contains_key("redis") {
        match first_running("redis") {
            Some(replica) => {
                let direct = local_engine();
                probes.push(
                    async move { probes::redis(docker, replica, settings, direct).await }.boxed(),
                )
            }
            None => {
                if let Some(replica) = of("redis").first() {
                    probes.push(ready(probes::not_running(
                        "redis",
                        replica,
                        Impact::Critical,
                    )));
                }
            }
        }
    }

    if let (Some(policy), Some(service)) = (&profile.backup, &backup_service) {
        let deployed = of(service);
        if let Some(replica) = deployed.first() {
            let directory = backup_directory(target, &policy.directory);
            let max_age = CronSchedule::parse(&policy.schedule, &policy.timezone)
                .ok()
                .and_then(|schedule| schedule.period_after(Utc::now()))
                .and_then(|period| period.to_std().ok())
                .map(|period| period + period / 2)
                .unwrap_or(Duration::from_secs(36 * 3600));
            let freshness = Freshness {
                max_age,
                running_for: running_for(replica),
            };
            probes.push(ready(probes::backup_freshness(
                service,
                &directory,
                freshness,
                SystemTime::now(),
            )));
        }
    }

    if let Some(monitoring) = &profile.monitoring {
        let endpoints = [
            monitoring_endpoint(
                "prometheus",
                monitoring.prometheus.as_ref().map(|p| p.service.as_str()),
                9090,
                "/-/ready",
            ),
            monitoring_endpoint(
                "alertmanager",
                monitoring.alertmanager.as_ref().map(|a| a.service.as_str()),
                9093,
                "/-/ready",
            ),
            monitoring_endpoint(
                "grafana",
                monitoring.grafana.as_ref().map(|g| g.service.as_str()),
                3000,
                "/api/health",
            ),
        ];
        for (probe, service, port, inside, path) in endpoints.into_iter().flatten() {
            let Some(replica) = first_running(service) else {
                continue;
            };
            match replica.published(&port) {
                Some(address) => probes.push(
                    async move {
                        probes::http_get(
                            probe,
                            service,
                            address,
                            path,
                            &Conditions::default(),
                            settings,
                            Impact::Degrading,
                        )
                        .await
                    }
                    .boxed(),
                ),
                None => {
                    let url = format!("{inside}{path}");
                    probes.push(
                        async move {
                            probes::http_inside(
                                docker,
                                probe,
                                replica,
                                &url,
                                settings,
                                Impact::Degrading,
                            )
                            .await
                        }
                        .boxed(),
                    )
                }
            }
        }
    }
    probes
}

/// Whether the Engine runs on this host, so container addresses are reachable from here.
fn local_engine() -> bool {
    let (endpoint, _) = crate::engine::docker::endpoint();
    endpoint.starts_with("unix://") || endpoint.starts_with('/')
}

/// Where the backup service writes: the profile's directory, in a folder per project when
/// there is one.
fn backup_directory(target: &Target<'_>, directory: &str) -> PathBuf {
    let base = crate::state::absolute(target.working_dir, Path::new(directory));
    let per_project = base.join(target.project);
    if per_project.is_dir() {
        per_project
    } else {
        base
    }
}

fn running_for(replica: &Replica) -> Option<Duration> {
    let started = replica.inspect.state.as_ref()?.started_at.as_ref()?;
    let started = DateTime::parse_from_rfc3339(started).ok()?;
    Utc::now()
        .signed_duration_since(started.with_timezone(&Utc))
        .to_std()
        .ok()
}

/// A monitoring service's readiness endpoint: (probe, service, container port, its address
/// inside the container, readiness path).
fn monitoring_endpoint<'a>(
    probe: &'static str,
    service: Option<&'a str>,
    port: u16,
    path: &'static str,
) -> Option<(&'static str, &'a str, String, String, &'static str)> {
    service.map(|service| {
        (
            probe,
            service,
            format!("{port}/tcp"),
            format!("http://127.0.0.1:{port}"),
            path,
        )
    })
}
