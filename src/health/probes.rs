//! The individual probes: a replica's Engine state, HTTP endpoints, a database query, a
//! cache PING, backup freshness.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, SystemTime};

use bollard::models::{ContainerInspectResponse, HealthStatusEnum};
use bollard::Docker;

use super::check::{attempt_with_retries, Attempted, Conditions, ProbeSettings};
use super::http;
use super::verdict::{Impact, Outcome, ProbeResult};
use crate::engine::ops;

/// One container with what the Engine said about it.
#[derive(Debug, Clone)]
pub struct Replica {
    pub name: String,
    pub service: String,
    pub inspect: ContainerInspectResponse,
    /// How long the Engine took to describe it.
    pub inspect_latency: Duration,
}

impl Replica {
    pub fn running(&self) -> bool {
        self.state().running.unwrap_or(false)
    }

    pub fn health(&self) -> Option<HealthStatusEnum> {
        self.state()
            .health
            .and_then(|health| health.status)
            .filter(|status| !matches!(status, HealthStatusEnum::EMPTY | HealthStatusEnum::NONE))
    }

    fn state(&self) -> bollard::models::ContainerState {
        self.inspect.state.clone().unwrap_or_default()
    }

    /// The loopback address a published container port (`80/tcp`) is reachable at.
    pub fn published(&self, container_port: &str) -> Option<SocketAddr> {
        let ports = self.inspect.network_settings.as_ref()?.ports.as_ref()?;
        let binding = ports.get(container_port)?.as_ref()?.first()?.clone();
        let port: u16 = binding.host_port?.parse().ok()?;
        let ip = match binding.host_ip.as_deref() {
            None | Some("") | Some("0.0.0.0") => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Some("::") => IpAddr::V6(Ipv6Addr::LOCALHOST),
            Some(other) => other.parse().ok()?,
        };
        Some(SocketAddr::new(ip, port))
    }

    /// A value of the container's environment.
    pub fn env(&self, key: &str) -> Option<String> {
        let prefix = format!("{key}=");
        self.inspect
            .config
            .as_ref()?
            .env
            .as_ref()?
            .iter()
            .find_map(|entry| entry.strip_prefix(&prefix).map(str::to_owned))
    }

    /// The container's addresses on its networks, reachable from the host of a local Engine.
    pub fn addresses(&self) -> Vec<IpAddr> {
        let Some(networks) = self
            .inspect
            .network_settings
            .as_ref()
            .and_then(|settings| settings.networks.as_ref())
        else {
            return Vec::new();
        };
        let mut addresses: Vec<IpAddr> = networks
            .values()
            .filter_map(|endpoint| endpoint.ip_address.as_deref()?.parse().ok())
            .collect();
        addresses.sort();
        addresses
    }

    fn last_health_output(&self) -> Option<String> {
        let log = self.state().health?.log?;
        let output = log.last()?.output.clone()?;
        let line = output.lines().rev().find(|line| !line.trim().is_empty())?;
        Some(line.trim().chars().take(120).collect())
    }
}

fn result(
    probe: &str,
    service: &str,
    target: &str,
    impact: Impact,
    attempted: Attempted,
) -> ProbeResult {
    let (outcome, detail) = match attempted.result {
        Ok(detail) => (Outcome::Pass, detail),
        Err(reason) => (Outcome::Fail, reason),
    };
    ProbeResult {
        probe: probe.to_owned(),
        service: service.to_owned(),
        target: target.to_owned(),
        outcome,
        impact,
        detail,
        latency: attempted.latency,
        attempts: attempted.attempts,
    }
}

/// A probe that could not run because its container is not running.
pub fn not_running(probe: &str, replica: &Replica, impact: Impact) -> ProbeResult {
    let state = replica
        .inspect
        .state
        .as_ref()
        .and_then(|state| state.status)
        .map(|status| status.to_string())
        .unwrap_or_else(|| "gone".to_owned());
    ProbeResult {
        probe: probe.to_owned(),
        service: replica.service.clone(),
        target: replica.name.clone(),
        outcome: Outcome::Fail,
        impact,
        detail: format!("container is {state}"),
        latency: Duration::ZERO,
        attempts: 0,
    }
}

/// A probe with nothing to check, e.g. a service this project does not deploy.
pub fn skipped(probe: &str, service: &str, impact: Impact, detail: &str) -> ProbeResult {
    ProbeResult {
        probe: probe.to_owned(),
        service: service.to_owned(),
        target: "-".to_owned(),
        outcome: Outcome::Skip,
        impact,
        detail: detail.to_owned(),
        latency: Duration::ZERO,
        attempts: 0,
    }
}

/// A service the profile expects with no container at all.
pub fn missing(service: &str, impact: Impact) -> ProbeResult {
    ProbeResult {
        outcome: Outcome::Fail,
        ..skipped("container", service, impact, "no container")
    }
}

/// The Engine's view of one replica: running, and healthy when it has a healthcheck.
pub fn container(replica: &Replica, impact: Impact) -> ProbeResult {
    let state = replica.state();
    let (outcome, detail) = if !replica.running() {
        let status = state
            .status
            .map(|status| status.to_string())
            .unwrap_or_default();
        let exit = state.exit_code.unwrap_or(0);
        (Outcome::Fail, format!("{status} (exit code {exit})"))
    } else {
        match replica.health() {
            None => (Outcome::Pass, "running (no healthcheck)".to_owned()),
            Some(HealthStatusEnum::HEALTHY) => (Outcome::Pass, "running, healthy".to_owned()),
            Some(status) => {
                let why = replica
                    .last_health_output()
                    .map(|output| format!(": {output}"))
                    .unwrap_or_default();
                (Outcome::Fail, format!("running, {status}{why}"))
            }
        }
    };
    ProbeResult {
        probe: "container".to_owned(),
        service: replica.service.clone(),
        target: replica.name.clone(),
        outcome,
        impact,
        detail,
        latency: replica.inspect_latency,
        attempts: 1,
    }
}

/// `GET path` on a published port, judged by `conditions`.
pub async fn http_get(
    probe: &str,
    service: &str,
    address: SocketAddr,
    path: &str,
    conditions: &Conditions,
    settings: &ProbeSettings,
    impact: Impact,
) -> ProbeResult {
    let attempted = attempt_with_retries(settings, || async {
        let started = std::time::Instant::now();
        let answer = http::get(address, path, settings.timeout)
            .await
            .map_err(|error| error.to_string())?;
        match conditions.violation(answer.status, &answer.body, started.elapsed()) {
            None => Ok(format!("HTTP {}", answer.status)),
            Some(violation) => Err(violation),
        }
    })
    .await;
    result(
        probe,
        service,
        &format!("http://{address}{path}"),
        impact,
        attempted,
    )
}

/// How the service answered `/ready` through the gateway: any answer of its own means it
/// is reachable; 502/504 mean the gateway could not reach it.
fn readiness(status: u16) -> Result<String, String> {
    match status {
        200..=299 => Ok(format!("ready (HTTP {status})")),
        404 => Ok("service reachable; it has no /ready route (HTTP 404)".to_owned()),
        502 | 504 => Err(format!(
            "the gateway cannot reach the service (HTTP {status})"
        )),
        0 => Err("no answer from the gateway".to_owned()),
        other => Err(format!("not ready (HTTP {other})")),
    }
}

/// The service's `/ready` through the gateway's published port, over TLS when the gateway
/// serves the API only there.
pub async fn ready(
    service: &str,
    address: SocketAddr,
    tls: bool,
    settings: &ProbeSettings,
) -> ProbeResult {
    let attempted = attempt_with_retries(settings, || async {
        let answer = if tls {
            http::get_tls(address, "/ready", settings.timeout).await
        } else {
            http::get(address, "/ready", settings.timeout).await
        }
        .map_err(|error| error.to_string())?;
        readiness(answer.status)
    })
    .await;
    let scheme = if tls { "https" } else { "http" };
    result(
        "ready",
        service,
        &format!("{scheme}://{address}/ready"),
        Impact::Degrading,
        attempted,
    )
}

/// A real query through `psql` inside the postgres container, as the user and database
/// the container was set up with.
pub async fn postgres(docker: &Docker, replica: &Replica, settings: &ProbeSettings) -> ProbeResult {
    let user = replica
        .env("POSTGRES_USER")
        .unwrap_or_else(|| "postgres".to_owned());
    let database = replica.env("POSTGRES_DB").unwrap_or_else(|| user.clone());
    let attempted = attempt_with_retries(settings, || async {
        let output = ops::exec_capture(
            docker,
            &replica.name,
            &[
                "psql", "-X", "-q", "-t", "-A", "-U", &user, "-d", &database, "-c", "SELECT 1",
            ],
        )
        .await
        .map_err(|error| error.to_string())?;
        if output.exit_code == 0 && output.stdout.trim() == "1" {
            Ok("SELECT 1 answered".to_owned())
        } else {
            Err(format!(
                "psql exit {}: {}",
                output.exit_code,
                first_line(&output.stderr, &output.stdout)
            ))
        }
    })
    .await;
    result(
        "postgres",
        &replica.service,
        &replica.name,
        Impact::Critical,
        attempted,
    )
}

/// PING with the password the container was given: straight to its address when the
/// host can reach it (a local Engine), otherwise through `redis-cli` inside it.
pub async fn redis(
    docker: &Docker,
    replica: &Replica,
    settings: &ProbeSettings,
    direct: bool,
) -> ProbeResult {
    let password = replica.env("REDIS_PASSWORD").unwrap_or_default();
    let address = replica
        .addresses()
        .into_iter()
        .next()
        .filter(|_| direct)
        .map(|ip| SocketAddr::new(ip, 6379));
    if let Some(address) = address {
        let connect = Duration::from_millis(300).min(settings.timeout);
        let reachable = tokio::time::timeout(connect, tokio::net::TcpStream::connect(address))
            .await
            .is_ok_and(|stream| stream.is_ok());
        if reachable {
            let attempted = attempt_with_retries(settings, || async {
                super::resp::ping(address, &password).await
            })
            .await;
            return result(
                "redis",
                &replica.service,
                &format!("{} {address}", replica.name),
                Impact::Critical,
                attempted,
            );
        }
    }
    let attempted = attempt_with_retries(settings, || async {
        let output = ops::exec_capture(
            docker,
            &replica.name,
            &[
                "sh",
                "-c",
                "REDISCLI_AUTH=\"$REDIS_PASSWORD\" redis-cli --no-auth-warning ping",
            ],
        )
        .await
        .map_err(|error| error.to_string())?;
        if output.exit_code == 0 && output.stdout.trim() == "PONG" {
            Ok("PONG".to_owned())
        } else {
            Err(format!(
                "redis-cli exit {}: {}",
                output.exit_code,
                first_line(&output.stdout, &output.stderr)
            ))
        }
    })
    .await;
    result(
        "redis",
        &replica.service,
        &replica.name,
        Impact::Critical,
        attempted,
    )
}

/// An HTTP endpoint asked from inside a container, for ports that are not published.
pub async fn http_inside(
    docker: &Docker,
    probe: &str,
    replica: &Replica,
    url: &str,
    settings: &ProbeSettings,
    impact: Impact,
) -> ProbeResult {
    let script =
        format!("wget -q -O /dev/null '{url}' 2>/dev/null || curl -fsS -o /dev/null '{url}'");
    let attempted = attempt_with_retries(settings, || async {
        let output = ops::exec_capture(docker, &replica.name, &["sh", "-c", &script])
            .await
            .map_err(|error| error.to_string())?;
        if output.exit_code == 0 {
            Ok("answered 2xx".to_owned())
        } else {
            Err(format!(
                "exit {}: {}",
                output.exit_code,
                first_line(&output.stderr, &output.stdout)
            ))
        }
    })
    .await;
    result(
        probe,
        &replica.service,
        &format!("{} {url}", replica.name),
        impact,
        attempted,
    )
}

fn first_line(preferred: &str, other: &str) -> String {
    let text = if preferred.trim().is_empty() {
        other
    } else {
        preferred
    };
    text.lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("no output")
        .trim()
        .chars()
        .take(160)
        .collect()
}

/// How old the newest backup may be before it counts as stale.
#[derive(Debug, Clone, Copy)]
pub struct Freshness {
    pub max_age: Duration,
    /// When the backup container started; before one period has passed no dump is due.
    pub running_for: Option<Duration>,
}

/// The age of the newest dump under `directory`, judged against `freshness`.
pub fn backup_freshness(
    service: &str,
    directory: &Path,
    freshness: Freshness,
    now: SystemTime,
) -> ProbeResult {
    let started = std::time::Instant::now();
    let newest = newest_file(directory, 3);
    let (outcome, detail) = match newest {
        Some((path, modified)) => {
            let age = now.duration_since(modified).unwrap_or_default();
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            if age <= freshness.max_age {
                (Outcome::Pass, format!("{name} is {} old", human(age)))
            } else {
                (
                    Outcome::Fail,
                    format!(
                        "newest backup {name} is {} old (limit {})",
                        human(age),
                        human(freshness.max_age)
                    ),
                )
            }
        }
        None => match freshness.running_for {
            Some(running) if running <= freshness.max_age => (
                Outcome::Pass,
                format!(
                    "no backup yet; the first is due within {}",
                    human(freshness.max_age)
                ),
            ),
            _ => (
                Outcome::Fail,
                format!("no backup in {}", directory.display()),
            ),
        },
    };
    ProbeResult {
        probe: "backup-freshness".to_owned(),
        service: service.to_owned(),
        target: directory.display().to_string(),
        outcome,
        impact: Impact::Degrading,
        detail,
        latency: started.elapsed(),
        attempts: 1,
    }
}

fn newest_file(directory: &Path, depth: u32) -> Option<(std::path::PathBuf, SystemTime)> {
    let mut newest: Option<(std::path::PathBuf, SystemTime)> = None;
    for entry in std::fs::read_dir(directory).ok()?.flatten() {
        let Ok(metadata) = entry.metadata() else {
            continue;
        };
        let candidate = if metadata.is_dir() {
            if depth == 0 {
                continue;
            }
            newest_file(&entry.path(), depth - 1)
        } else {
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            metadata
                .modified()
                .ok()
                .filter(|_| !hidden)
                .map(|modified| (entry.path(), modified))
        };
        if let Some((path, modified)) = candidate {
            if newest.as_ref().is_none_or(|(_, best)| modified > *best) {
                newest = Some((path, modified));
            }
        }
    }
    newest
}

pub fn human(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h{}m", s / 3600, (s % 3600) / 60),
        s => format!("{}d{}h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_accepts_any_answer_of_the_service_but_not_gateway_errors() {
        assert!(readiness(200).is_ok());
        assert!(readiness(404).unwrap().contains("reachable"));
        assert!(readiness(502).unwrap_err().contains("cannot reach"));
        assert!(readiness(503).unwrap_err().contains("not ready"));
    }

    #[test]
    fn a_recent_dump_is_fresh_and_an_old_one_stale() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("tm-prod")).unwrap();
        std::fs::write(dir.path().join("tm-prod/daily.sql.zst"), b"dump").unwrap();
        let freshness = Freshness {
            max_age: Duration::from_secs(3600),
            running_for: None,
        };
        let now = SystemTime::now();
        let fresh = backup_freshness("backup", dir.path(), freshness, now);
        assert_eq!(fresh.outcome, Outcome::Pass, "{}", fresh.detail);
        assert!(fresh.detail.contains("daily.sql.zst"), "{}", fresh.detail);
        let later = now + Duration::from_secs(7200);
        let stale = backup_freshness("backup", dir.path(), freshness, later);
        assert_eq!(stale.outcome, Outcome::Fail);
        assert!(stale.detail.contains("2h0m old"), "{}", stale.detail);
    }

    #[test]
    fn no_dump_is_fine_only_until_the_first_is_due() {
        let dir = tempfile::tempdir().unwrap();
        let young = Freshness {
            max_age: Duration::from_secs(3600),
            running_for: Some(Duration::from_secs(60)),
        };
        let now = SystemTime::now();
        assert_eq!(
            backup_freshness("backup", dir.path(), young, now).outcome,
            Outcome::Pass
        );
        let old = Freshness {
            running_for: Some(Duration::from_secs(7200)),
            ..young
        };
        assert_eq!(
            backup_freshness("backup", dir.path(), old, now).outcome,
            Outcome::Fail
        );
    }
}
