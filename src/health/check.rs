//! How one probe runs: a timeout per attempt, retries, and conditions on the answer.

use std::future::Future;
use std::time::{Duration, Instant};

/// Timing of every probe of one run.
#[derive(Debug, Clone, Copy)]
pub struct ProbeSettings {
    /// Each attempt gives up after this long.
    pub timeout: Duration,
    /// Further attempts after a failed one.
    pub retries: u32,
    /// Pause between attempts.
    pub retry_delay: Duration,
    /// An answer slower than this fails, when set.
    pub max_latency: Option<Duration>,
}

impl Default for ProbeSettings {
    fn default() -> Self {
        ProbeSettings {
            timeout: Duration::from_secs(2),
            retries: 1,
            retry_delay: Duration::from_millis(100),
            max_latency: None,
        }
    }
}

/// What an HTTP answer must satisfy.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    /// Accepted status codes; empty means any 2xx.
    pub status: Vec<u16>,
    /// Text the body must contain.
    pub body_contains: Option<String>,
    pub max_latency: Option<Duration>,
}

impl Conditions {
    pub fn status(mut self, codes: &[u16]) -> Self {
        self.status = codes.to_vec();
        self
    }

    pub fn body_contains(mut self, text: &str) -> Self {
        self.body_contains = Some(text.to_owned());
        self
    }

    /// Why the answer does not satisfy the conditions, or None when it does.
    pub fn violation(&self, status: u16, body: &str, latency: Duration) -> Option<String> {
        let status_ok = if self.status.is_empty() {
            (200..300).contains(&status)
        } else {
            self.status.contains(&status)
        };
        if !status_ok {
            return Some(format!("HTTP {status}"));
        }
        if let Some(text) = &self.body_contains {
            if !body.contains(text.as_str()) {
                return Some(format!("HTTP {status} without {text:?} in the body"));
            }
        }
        if let Some(limit) = self.max_latency {
            if latency > limit {
                return Some(format!(
                    "answered in {} ms, over the {} ms limit",
                    latency.as_millis(),
                    limit.as_millis()
                ));
            }
        }
        None
    }
}

/// The result of a probe after its attempts.
#[derive(Debug, Clone)]
pub struct Attempted {
    /// Ok(detail) or Err(reason) of the last attempt.
    pub result: Result<String, String>,
    /// Latency of the last attempt.
    pub latency: Duration,
    pub attempts: u32,
}

/// Runs `attempt` until it succeeds or the retries are used up; each attempt is bounded
/// by the timeout and must finish under `max_latency` when that is set.
pub async fn attempt_with_retries<F, Fut>(settings: &ProbeSettings, mut attempt: F) -> Attempted
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<String, String>>,
{
    let mut attempts = 0;
    loop {
        attempts += 1;
        let started = Instant::now();
        let result = match tokio::time::timeout(settings.timeout, attempt()).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "no answer within {} ms",
                settings.timeout.as_millis()
            )),
        };
        let latency = started.elapsed();
        let result = match (result, settings.max_latency) {
            (Ok(_), Some(limit)) if latency > limit => Err(format!(
                "answered in {} ms, over the {} ms limit",
                latency.as_millis(),
                limit.as_millis()
            )),
            (result, _) => result,
        };
        if result.is_ok() || attempts > settings.retries {
            return Attempted {
                result,
                latency,
                attempts,
            };
        }
        tokio::time::sleep(settings.retry_delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn any_2xx_passes_by_default_and_listed_codes_otherwise() {
        let any = Conditions::default();
        assert_eq!(any.violation(204, "", Duration::ZERO), None);
        assert_eq!(
            any.violation(502, "", Duration::ZERO).as_deref(),
            Some("HTTP 502")
        );
        let listed = Conditions::default().status(&[200, 404]);
        assert_eq!(listed.violation(404, "", Duration::ZERO), None);
    }

    #[test]
    fn body_and_latency_conditions_name_what_is_wrong() {
        let conditions = Conditions {
            max_latency: Some(Duration::from_millis(50)),
            ..Conditions::default().body_contains("ok")
        };
        let missing = conditions.violation(200, "nope", Duration::ZERO).unwrap();
        assert!(missing.contains("\"ok\""), "{missing}");
        let slow = conditions
            .violation(200, "ok", Duration::from_millis(80))
            .unwrap();
        assert!(slow.contains("80 ms"), "{slow}");
    }

    #[tokio::test]
    async fn retries_until_an_attempt_succeeds() {
        let calls = AtomicU32::new(0);
        let settings = ProbeSettings {
            retries: 2,
            retry_delay: Duration::from_millis(1),
            ..ProbeSettings::default()
        };
        let attempted = attempt_with_retries(&settings, || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 => Err("first fails".to_owned()),
                _ => Ok("second passes".to_owned()),
            }
        })
        .await;
        assert_eq!(attempted.result, Ok("second passes".to_owned()));
        assert_eq!(attempted.attempts, 2);
    }

    #[tokio::test]
    async fn a_hanging_attempt_times_out_and_counts_as_failed() {
        let settings = ProbeSettings {
            timeout: Duration::from_millis(20),
            retries: 1,
            retry_delay: Duration::from_millis(1),
            max_latency: None,
        };
        let attempted = attempt_with_retries(&settings, || async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<_, String>(String::new())
        })
        .await;
        assert_eq!(attempted.attempts, 2);
        assert!(attempted.result.unwrap_err().contains("20 ms"));
    }
}
