//! Load during an operation: `wrk` keeps connections open on a URL while the operation
//! runs; the report counts requests, failures (non-2xx answers and socket errors) and p99.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Load {
    child: Child,
}

#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    pub requests: u64,
    pub non_2xx: u64,
    pub socket_errors: u64,
    pub p99: String,
}

impl LoadReport {
    pub fn failures(&self) -> u64 {
        self.non_2xx + self.socket_errors
    }
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "{} requests, {} failed ({} non-2xx, {} socket errors), p99 {}",
            self.requests,
            self.failures(),
            self.non_2xx,
            self.socket_errors,
            self.p99
        )
    }
}

impl Load {
    /// Starts `connections` keep-alive connections on `url` (http or https).
    pub fn start(url: &str, connections: u32) -> Load {
        let child = Command::new("wrk")
            .args(["-t2", &format!("-c{connections}"), "-d1h", "--latency", url])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wrk");
        // Let every connection open before the operation starts.
        std::thread::sleep(Duration::from_secs(2));
        Load { child }
    }

    /// Stops after a last moment of load and reads wrk's report.
    pub fn stop(self) -> LoadReport {
        std::thread::sleep(Duration::from_secs(2));
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let output = self.child.wait_with_output().expect("wrk output");
        parse(&String::from_utf8_lossy(&output.stdout))
    }
}

fn parse(text: &str) -> LoadReport {
    let mut report = LoadReport::default();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if line.contains("requests in") {
            report.requests = words.first().and_then(|w| w.parse().ok()).unwrap_or(0);
        } else if line.trim_start().starts_with("Non-2xx") {
            report.non_2xx = words.last().and_then(|w| w.parse().ok()).unwrap_or(0);
        } else if line.trim_start().starts_with("Socket errors") {
            report.socket_errors = line
                .split(',')
                .filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok())
                .sum();
        } else if words.first() == Some(&"99%") {
            report.p99 = words.get(1).unwrap_or(&"").to_string();
        }
    }
    report
}
