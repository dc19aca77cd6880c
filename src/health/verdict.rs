//! Probe results and how they add up to one level: healthy, degraded, down or unknown.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

/// The overall state of a project, worst last; each maps to an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Healthy,
    Degraded,
    Down,
    /// The Engine is unreachable or the project does not run.
    Unknown,
}

impl Level {
    /// 0 healthy, 1 degraded, 2 down, 3 unknown.
    pub fn exit_code(self) -> u8 {
        match self {
            Level::Healthy => 0,
            Level::Degraded => 1,
            Level::Down => 2,
            Level::Unknown => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Healthy => "healthy",
            Level::Degraded => "degraded",
            Level::Down => "down",
            Level::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    /// Not applicable here, e.g. a service the project does not deploy.
    Skip,
}

/// What a failing probe means for the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    /// The stack cannot serve: postgres, redis, the gateway.
    Critical,
    /// The stack serves with less: monitoring, backups, readiness details.
    Degrading,
    /// One replica of a service: the service is down only when every replica fails, and
    /// then only if the service is critical.
    Replica { critical_service: bool },
}

#[derive(Debug, Clone, Serialize)]
pub struct ProbeResult {
    /// What was checked: `container`, `gateway`, `ready`, `postgres`, `redis`, ...
    pub probe: String,
    pub service: String,
    /// The container or URL probed.
    pub target: String,
    pub outcome: Outcome,
    pub impact: Impact,
    /// Why it passed or failed, for people.
    pub detail: String,
    #[serde(rename = "latency_ms", serialize_with = "as_millis")]
    pub latency: Duration,
    pub attempts: u32,
}

fn as_millis<S: serde::Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64((value.as_secs_f64() * 1000.0 * 10.0).round() / 10.0)
}

impl ProbeResult {
    pub fn failed(&self) -> bool {
        self.outcome == Outcome::Fail
    }

    /// A stable identity for comparing two rounds (`--watch`).
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.service, self.probe, self.target)
    }
}

/// The level the probes add up to. No probes at all means nothing runs: unknown.
pub fn level(results: &[ProbeResult]) -> Level {
    if results.is_empty() {
        return Level::Unknown;
    }
    let mut level = Level::Healthy;
    let mut replicas: BTreeMap<&str, (usize, usize, bool)> = BTreeMap::new();
    for result in results {
        match result.impact {
            Impact::Replica { critical_service } => {
                let entry =
                    replicas
                        .entry(result.service.as_str())
                        .or_insert((0, 0, critical_service));
                entry.0 += 1;
                if result.failed() {
                    entry.1 += 1;
                }
            }
            _ if !result.failed() => {}
            Impact::Critical => level = level.max(Level::Down),
            Impact::Degrading => level = level.max(Level::Degraded),
        }
    }
    for (total, failing, critical) in replicas.into_values() {
        if failing == 0 {
            continue;
        }
        let service_level = if critical && failing == total {
            Level::Down
        } else {
            Level::Degraded
        };
        level = level.max(service_level);
    }
    level
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(service: &str, impact: Impact, outcome: Outcome) -> ProbeResult {
        ProbeResult {
            probe: "container".into(),
            service: service.into(),
            target: format!("{service}-x"),
            outcome,
            impact,
            detail: String::new(),
            latency: Duration::ZERO,
            attempts: 1,
        }
    }

    const REPLICA: Impact = Impact::Replica {
        critical_service: true,
    };

    #[test]
    fn nothing_probed_is_unknown() {
        assert_eq!(level(&[]), Level::Unknown);
    }

    #[test]
    fn all_passing_or_skipped_is_healthy() {
        let results = [
            probe("redis", Impact::Critical, Outcome::Pass),
            probe("backup", Impact::Degrading, Outcome::Skip),
        ];
        assert_eq!(level(&results), Level::Healthy);
    }

    #[test]
    fn a_failing_critical_probe_is_down() {
        let results = [
            probe("redis", Impact::Critical, Outcome::Fail),
            probe("prometheus", Impact::Degrading, Outcome::Fail),
        ];
        assert_eq!(level(&results), Level::Down);
    }

    #[test]
    fn one_of_two_replicas_failing_is_degraded_and_both_is_down() {
        let one = [
            probe("service", REPLICA, Outcome::Pass),
            probe("service", REPLICA, Outcome::Fail),
        ];
        assert_eq!(level(&one), Level::Degraded);
        let both = [
            probe("service", REPLICA, Outcome::Fail),
            probe("service", REPLICA, Outcome::Fail),
        ];
        assert_eq!(level(&both), Level::Down);
    }

    #[test]
    fn every_replica_of_a_non_critical_service_failing_is_only_degraded() {
        let results = [probe(
            "grafana",
            Impact::Replica {
                critical_service: false,
            },
            Outcome::Fail,
        )];
        assert_eq!(level(&results), Level::Degraded);
    }

    #[test]
    fn exit_codes_follow_the_levels() {
        let codes: Vec<u8> = [Level::Healthy, Level::Degraded, Level::Down, Level::Unknown]
            .iter()
            .map(|level| level.exit_code())
            .collect();
        assert_eq!(codes, [0, 1, 2, 3]);
    }
}
