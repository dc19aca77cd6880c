//! When `tmctl heal` restarts a replica: after it was found unhealthy in enough consecutive
//! checks, not again before an exponentially growing backoff, and at most so many times an
//! hour. A container that is not running is never touched: with the stack's restart
//! policies the Engine itself restarts a crashed container, so one that stays stopped was
//! stopped on purpose (`tmctl down`, `docker stop`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

const HOUR: i64 = 3600;

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Consecutive unhealthy checks before a restart.
    pub threshold: u32,
    /// The pause required after the first restart; doubled after each further one.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Restarts of one container in any rolling hour.
    pub max_restarts_per_hour: u32,
}

/// What one check saw of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Running with a failing healthcheck.
    Unhealthy,
    /// Running and healthy, or running without a healthcheck.
    Healthy,
    /// Running, healthcheck not decided yet.
    Starting,
    /// Not running: left alone.
    Stopped,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing to do.
    Fine,
    /// Stopped; never started or restarted by heal.
    LeaveStopped,
    /// Unhealthy, not yet for `threshold` checks.
    Counting { checks: u32 },
    /// Restart now; this is restart `attempt` within the hour.
    Restart { attempt: u32, checks: u32 },
    /// Unhealthy long enough, but the last restart was too recent.
    BackingOff { wait: Duration },
    /// The hourly cap is used up; left alone until a restart falls out of the window.
    Capped { restarts: u32 },
}

/// What heal remembers of one container between checks (and runs, in a state file).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Record {
    /// The container ID; a recreated container starts a fresh record.
    pub id: String,
    pub consecutive_unhealthy: u32,
    /// Unix times of restarts in the last hour.
    pub restarts: Vec<i64>,
    /// Restarts since the container was last healthy; sets the backoff.
    pub streak: u32,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct HealState {
    pub containers: BTreeMap<String, Record>,
}

impl Policy {
    /// The pause required after the `streak`-th restart in a row.
    pub fn backoff_after(&self, streak: u32) -> Duration {
        let factor = 2u32.saturating_pow(streak.saturating_sub(1));
        self.backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }
}

impl HealState {
    /// Records one check of container `name` at unix time `now` and decides what to do.
    /// A `Restart` decision is recorded as done; call `restart_failed` if it was not.
    pub fn check(
        &mut self,
        name: &str,
        id: &str,
        seen: Seen,
        now: i64,
        policy: &Policy,
    ) -> Decision {
        let record = self.containers.entry(name.to_owned()).or_default();
        if record.id != id {
            *record = Record {
                id: id.to_owned(),
                ..Record::default()
            };
        }
        record.restarts.retain(|at| now - at < HOUR);
        match seen {
            Seen::Stopped => {
                record.consecutive_unhealthy = 0;
                return Decision::LeaveStopped;
            }
            Seen::Healthy => {
                record.consecutive_unhealthy = 0;
                record.streak = 0;
                return Decision::Fine;
            }
            Seen::Starting => return Decision::Fine,
            Seen::Unhealthy => record.consecutive_unhealthy += 1,
        }
        let checks = record.consecutive_unhealthy;
        if checks < policy.threshold {
            return Decision::Counting { checks };
        }
        let restarts = record.restarts.len() as u32;
        if restarts >= policy.max_restarts_per_hour {
            return Decision::Capped { restarts };
        }
        if let Some(last) = record.restarts.last() {
            let required = policy.backoff_after(record.streak);
            let elapsed = Duration::from_secs(u64::try_from(now - last).unwrap_or(0));
            if elapsed < required {
                return Decision::BackingOff {
                    wait: required - elapsed,
                };
            }
        }
        record.restarts.push(now);
        record.streak += 1;
        record.consecutive_unhealthy = 0;
        Decision::Restart {
            attempt: restarts + 1,
            checks,
        }
    }

    /// Undoes the bookkeeping of a restart the Engine refused.
    pub fn restart_failed(&mut self, name: &str) {
        if let Some(record) = self.containers.get_mut(name) {
            record.restarts.pop();
            record.streak = record.streak.saturating_sub(1);
        }
    }

    /// Forgets containers that no longer exist.
    pub fn retain(&mut self, existing: &[String]) {
        self.containers.retain(|name, _| existing.contains(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy {
        threshold: 3,
        backoff: Duration::from_secs(30),
        max_backoff: Duration::from_secs(100),
        max_restarts_per_hour: 3,
    };

    fn check(state: &mut HealState, seen: Seen, now: i64) -> Decision {
        state.check("tm-x-service-1", "id1", seen, now, &POLICY)
    }

    #[test]
    fn restarts_only_after_threshold_consecutive_unhealthy_checks() {
        let mut state = HealState::default();
        assert_eq!(
            check(&mut state, Seen::Unhealthy, 0),
            Decision::Counting { checks: 1 }
        );
        assert_eq!(
            check(&mut state, Seen::Unhealthy, 10),
            Decision::Counting { checks: 2 }
        );
        assert_eq!(
            check(&mut state, Seen::Unhealthy, 20),
            Decision::Restart {
                attempt: 1,
                checks: 3
            }
        );
    }

    #[test]
    fn a_healthy_check_resets_the_count() {
        let mut state = HealState::default();
        check(&mut state, Seen::Unhealthy, 0);
        check(&mut state, Seen::Unhealthy, 1);
        assert_eq!(check(&mut state, Seen::Healthy, 2), Decision::Fine);
        assert_eq!(
            check(&mut state, Seen::Unhealthy, 3),
            Decision::Counting { checks: 1 }
        );
    }

    #[test]
    fn a_stopped_container_is_left_alone_however_long() {
        let mut state = HealState::default();
        for now in 0..10 {
            assert_eq!(
                check(&mut state, Seen::Stopped, now),
                Decision::LeaveStopped
            );
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(POLICY.backoff_after(1), Duration::from_secs(30));
        assert_eq!(POLICY.backoff_after(2), Duration::from_secs(60));
        assert_eq!(POLICY.backoff_after(3), Duration::from_secs(100));
        assert_eq!(POLICY.backoff_after(40), Duration::from_secs(100));
    }

    #[test]
    fn backs_off_between_restarts_then_stops_at_the_hourly_cap() {
        let mut state = HealState::default();
        let mut now = 0;
        let unhealthy_until_decided = |state: &mut HealState, now: &mut i64| loop {
            *now += 10;
            match check(state, Seen::Unhealthy, *now) {
                Decision::Counting { .. } => continue,
                other => return other,
            }
        };
        assert!(matches!(
            unhealthy_until_decided(&mut state, &mut now),
            Decision::Restart { attempt: 1, .. }
        ));
        let restarted_at = now;
        // Three more unhealthy checks come 30 s after the restart: exactly the backoff.
        assert!(matches!(
            unhealthy_until_decided(&mut state, &mut now),
            Decision::Restart { attempt: 2, .. }
        ));
        assert_eq!(now - restarted_at, 30);
        // Now 60 s are required: the next checks back off first.
        let decision = unhealthy_until_decided(&mut state, &mut now);
        assert_eq!(
            decision,
            Decision::BackingOff {
                wait: Duration::from_secs(30)
            }
        );
        let third = loop {
            now += 10;
            match check(&mut state, Seen::Unhealthy, now) {
                Decision::BackingOff { .. } => continue,
                other => break other,
            }
        };
        assert!(
            matches!(third, Decision::Restart { attempt: 3, .. }),
            "{third:?}"
        );
        assert_eq!(
            unhealthy_until_decided(&mut state, &mut now),
            Decision::Capped { restarts: 3 }
        );
    }

    #[test]
    fn the_cap_frees_up_an_hour_after_a_restart() {
        let mut state = HealState::default();
        let policy = Policy {
            threshold: 1,
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(1),
            max_restarts_per_hour: 2,
        };
        let mut check_at = |now| state.check("c", "id", Seen::Unhealthy, now, &policy);
        assert!(matches!(check_at(0), Decision::Restart { attempt: 1, .. }));
        assert!(matches!(check_at(10), Decision::Restart { attempt: 2, .. }));
        assert_eq!(check_at(20), Decision::Capped { restarts: 2 });
        assert_eq!(check_at(3000), Decision::Capped { restarts: 2 });
        assert!(matches!(
            check_at(3601),
            Decision::Restart { attempt: 2, .. }
        ));
    }

    #[test]
    fn a_recreated_container_starts_a_fresh_record() {
        let mut state = HealState::default();
        let policy = Policy {
            threshold: 1,
            ..POLICY
        };
        state.check("c", "old", Seen::Unhealthy, 0, &policy);
        assert!(matches!(
            state.check("c", "new", Seen::Unhealthy, 1, &policy),
            Decision::Restart { attempt: 1, .. }
        ));
    }
}
