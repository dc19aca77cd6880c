//! `tmctl health`: probe every service of the running project; exit 0 healthy, 1 degraded,
//! 2 down, 3 unknown. `--wait` blocks until healthy, `--watch` prints transitions.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use chrono::Utc;

use super::Context;
use crate::cli::HealthArgs;
use crate::engine::docker;
use crate::health::collect::Target;
use crate::health::{collect, format, Level, Outcome, ProbeSettings, Report};

pub fn run(context: &Context, args: &HealthArgs) -> anyhow::Result<ExitCode> {
    let project = context.project()?;
    let loaded = context.load_profile()?;
    let settings = ProbeSettings {
        timeout: args.probe_timeout,
        retries: args.retries,
        max_latency: args.max_latency,
        ..ProbeSettings::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let target = Target {
            project: &project,
            profile: &loaded.profile,
            working_dir: &context.working_dir,
        };
        let round = || async {
            let started = Instant::now();
            match docker::connect().await {
                Ok(docker) => collect(&docker, &target, &settings).await,
                Err(error) => Report::unknown(&project, error.to_string(), started),
            }
        };
        let report = if args.watch {
            return watch(context, args, round).await;
        } else if args.wait {
            wait(args, round).await
        } else {
            round().await
        };
        print(context, args, &report)?;
        Ok(ExitCode::from(report.exit_code))
    })
}

fn print(context: &Context, args: &HealthArgs, report: &Report) -> anyhow::Result<()> {
    if let Some(file) = &args.textfile {
        let path = super::absolute(&context.working_dir, file);
        crate::state::write_public_file(&path, format::prometheus(report).as_bytes())?;
    } else if args.prometheus {
        print!("{}", format::prometheus(report));
    } else if context.global.json {
        println!("{}", format::json(report)?);
    } else {
        println!("{}", format::human(report, &context.style));
    }
    Ok(())
}

/// Repeats rounds until the project is healthy or the timeout passes; the last report
/// decides the exit code.
async fn wait<F, Fut>(args: &HealthArgs, round: F) -> Report
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Report>,
{
    let deadline = Instant::now() + args.timeout;
    let mut last_status = None;
    loop {
        let report = round().await;
        if report.status == Level::Healthy || Instant::now() >= deadline {
            if report.status != Level::Healthy {
                tracing::warn!(
                    "{} still {} after {:?}",
                    report.project,
                    report.status.as_str(),
                    args.timeout
                );
            }
            return report;
        }
        if last_status != Some(report.status) {
            let failing: Vec<String> = report.failures().map(describe).collect();
            tracing::info!(
                "waiting: {} is {} ({})",
                report.project,
                report.status.as_str(),
                if failing.is_empty() {
                    report.reason.clone().unwrap_or_default()
                } else {
                    failing.join("; ")
                }
            );
            last_status = Some(report.status);
        }
        let pause = args
            .interval
            .min(deadline.saturating_duration_since(Instant::now()));
        tokio::time::sleep(pause).await;
    }
}

fn describe(probe: &crate::health::ProbeResult) -> String {
    format!(
        "{} {} {}: {}",
        probe.service, probe.probe, probe.target, probe.detail
    )
}

/// Prints the first report, then one line per change of a probe or of the overall status,
/// until interrupted.
async fn watch<F, Fut>(context: &Context, args: &HealthArgs, round: F) -> anyhow::Result<ExitCode>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Report>,
{
    let first = round().await;
    print(context, args, &first)?;
    let mut status = first.status;
    let mut previous = outcomes(&first);
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::from(status.exit_code())),
            _ = tokio::time::sleep(args.interval) => {}
        }
        let report = round().await;
        let now = Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
        let current = outcomes(&report);
        for probe in &report.probes {
            let before = previous.get(&probe.key()).copied();
            if before != Some(probe.outcome) {
                let from = before.map(outcome_word).unwrap_or("new");
                transition(
                    context,
                    &format!(
                        "{now} {}: {from} -> {} ({})",
                        probe_name(probe),
                        outcome_word(probe.outcome),
                        probe.detail
                    ),
                    serde_json::json!({"at": now.to_string(), "probe": probe, "from": from}),
                );
            }
        }
        for key in previous.keys().filter(|key| !current.contains_key(*key)) {
            transition(
                context,
                &format!("{now} {key}: gone"),
                serde_json::json!({"at": now.to_string(), "gone": key}),
            );
        }
        if report.status != status {
            let reason = report
                .reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            transition(
                context,
                &format!(
                    "{now} {}: {} -> {}{reason}",
                    report.project,
                    status.as_str(),
                    report.status.as_str()
                ),
                serde_json::json!({"at": now.to_string(), "project": report.project, "from": status, "status": report.status}),
            );
            status = report.status;
        }
        previous = current;
    }
}

fn outcomes(report: &Report) -> BTreeMap<String, Outcome> {
    report
        .probes
        .iter()
        .map(|probe| (probe.key(), probe.outcome))
        .collect()
}

fn probe_name(probe: &crate::health::ProbeResult) -> String {
    format!("{} {} {}", probe.service, probe.probe, probe.target)
}

fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "ok",
        Outcome::Fail => "FAIL",
        Outcome::Skip => "skip",
    }
}

fn transition(context: &Context, line: &str, record: serde_json::Value) {
    if context.global.json {
        println!("{record}");
    } else {
        println!("{line}");
    }
}
