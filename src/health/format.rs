//! How a health report is shown: a table for people, JSON, Prometheus text exposition.

use std::fmt::Write as _;

use super::collect::Report;
use super::verdict::{Level, Outcome};
use crate::output::{table, Style};

fn paint(style: &Style, code: &str, text: &str) -> String {
    if style.color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

fn level_colour(level: Level) -> &'static str {
    match level {
        Level::Healthy => "32",
        Level::Degraded => "33",
        Level::Down => "31",
        Level::Unknown => "35",
    }
}

pub fn human(report: &Report, style: &Style) -> String {
    let mut out = String::new();
    if !report.probes.is_empty() {
        let rows: Vec<Vec<String>> = report
            .probes
            .iter()
            .map(|probe| {
                let result = match probe.outcome {
                    Outcome::Pass => paint(style, "32", "ok"),
                    Outcome::Fail => paint(style, "31", "FAIL"),
                    Outcome::Skip => paint(style, "2", "skip"),
                };
                let latency = if probe.attempts == 0 || probe.outcome == Outcome::Skip {
                    "-".to_owned()
                } else {
                    format!("{:.0}ms", probe.latency.as_secs_f64() * 1000.0)
                };
                vec![
                    probe.service.clone(),
                    probe.probe.clone(),
                    probe.target.clone(),
                    result,
                    latency,
                    probe.detail.clone(),
                ]
            })
            .collect();
        out.push_str(&table(
            &["SERVICE", "PROBE", "TARGET", "RESULT", "LATENCY", "DETAIL"],
            &rows,
        ));
        out.push('\n');
    }
    let status = paint(
        style,
        level_colour(report.status),
        &report.status.as_str().to_uppercase(),
    );
    let _ = write!(
        out,
        "{}: {status} ({} probes, {} failing, {} ms)",
        report.project,
        report.probes.len(),
        report.failures().count(),
        report.duration_ms
    );
    if let Some(reason) = &report.reason {
        let _ = write!(out, "\n{reason}");
    }
    out
}

pub fn json(report: &Report) -> serde_json::Result<String> {
    serde_json::to_string_pretty(report)
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Prometheus text exposition (version 0.0.4): up and latency per probe, the overall level.
pub fn prometheus(report: &Report) -> String {
    let project = escape(&report.project);
    let mut out = String::new();
    out.push_str(
        "# HELP tmctl_health_status Overall health: 0 healthy, 1 degraded, 2 down, 3 unknown.\n",
    );
    out.push_str("# TYPE tmctl_health_status gauge\n");
    let _ = writeln!(
        out,
        "tmctl_health_status{{project=\"{project}\"}} {}",
        report.status.exit_code()
    );
    let probes: Vec<_> = report
        .probes
        .iter()
        .filter(|probe| probe.outcome != Outcome::Skip)
        .collect();
    let labels = |probe: &super::ProbeResult| {
        format!(
            "project=\"{project}\",service=\"{}\",probe=\"{}\",target=\"{}\"",
            escape(&probe.service),
            escape(&probe.probe),
            escape(&probe.target)
        )
    };
    out.push_str("# HELP tmctl_probe_up 1 when the probe passed, 0 when it failed.\n");
    out.push_str("# TYPE tmctl_probe_up gauge\n");
    for probe in &probes {
        let up = u8::from(probe.outcome == Outcome::Pass);
        let _ = writeln!(out, "tmctl_probe_up{{{}}} {up}", labels(probe));
    }
    out.push_str("# HELP tmctl_probe_latency_seconds Time the probe's last attempt took.\n");
    out.push_str("# TYPE tmctl_probe_latency_seconds gauge\n");
    for probe in &probes {
        let _ = writeln!(
            out,
            "tmctl_probe_latency_seconds{{{}}} {:.6}",
            labels(probe),
            probe.latency.as_secs_f64()
        );
    }
    out.push_str("# HELP tmctl_health_duration_seconds Time the whole health check took.\n");
    out.push_str("# TYPE tmctl_health_duration_seconds gauge\n");
    let _ = writeln!(
        out,
        "tmctl_health_duration_seconds{{project=\"{project}\"}} {:.3}",
        report.duration_ms as f64 / 1000.0
    );
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::health::verdict::{Impact, ProbeResult};

    fn report(outcomes: &[Outcome]) -> Report {
        let probes: Vec<ProbeResult> = outcomes
            .iter()
            .enumerate()
            .map(|(index, outcome)| ProbeResult {
                probe: "redis".into(),
                service: "redis".into(),
                target: format!("tm \"x\"-redis-{index}"),
                outcome: *outcome,
                impact: Impact::Critical,
                detail: String::new(),
                latency: Duration::from_millis(12),
                attempts: 1,
            })
            .collect();
        let status = crate::health::verdict::level(&probes);
        Report {
            project: "tm-x".into(),
            status,
            exit_code: status.exit_code(),
            reason: None,
            checked_at: String::new(),
            duration_ms: 20,
            probes,
        }
    }

    #[test]
    fn exposition_has_one_sample_per_probe_and_escapes_labels() {
        let text = prometheus(&report(&[Outcome::Pass, Outcome::Fail, Outcome::Skip]));
        assert!(
            text.contains("tmctl_health_status{project=\"tm-x\"} 2\n"),
            "{text}"
        );
        assert_eq!(
            text.matches("tmctl_probe_up{").count(),
            2,
            "skipped probes are left out"
        );
        assert!(
            text.contains("target=\"tm \\\"x\\\"-redis-1\"} 0\n"),
            "{text}"
        );
        assert!(text.contains("tmctl_probe_latency_seconds{"), "{text}");
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn the_table_names_failing_probes_and_the_level() {
        let text = human(
            &report(&[Outcome::Fail]),
            &Style {
                color: false,
                json: false,
            },
        );
        assert!(text.contains("FAIL"), "{text}");
        assert!(
            text.ends_with("tm-x: DOWN (1 probes, 1 failing, 20 ms)"),
            "{text}"
        );
    }
}
