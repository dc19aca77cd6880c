//! The files under examples/ work as shipped: the workflow passes actionlint, the systemd
//! units pass `systemd-analyze verify`, the crontab schedules parse with tmctl's cron
//! parser, and every tmctl command line in them is one tmctl accepts.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use tmctl::cli::Cli;
use tmctl::schedule::CronSchedule;

use crate::support::{require_tool, text};

fn example(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(relative)
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(example(relative)).expect("example exists")
}

/// The arguments after each `marker` (a way of calling tmctl), up to the end of the shell
/// word list (a redirection, `&&`, a closing quote or the end of the line).
fn invocations(text: &str, marker: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for line in text
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
    {
        for (at, _) in line.match_indices(marker) {
            let rest = &line[at + marker.len()..];
            let args: Vec<String> = rest
                .split_whitespace()
                .take_while(|word| {
                    !word.starts_with('>')
                        && !word.starts_with('\'')
                        && !matches!(*word, "&&" | "||" | ";" | "|" | "2>&1")
                })
                .map(|word| word.trim_end_matches('\'').to_owned())
                .collect();
            found.push(args);
        }
    }
    found
}

fn assert_tmctl_accepts(origin: &str, all: &[Vec<String>]) {
    assert!(!all.is_empty(), "{origin}: no tmctl command found");
    for args in all {
        let argv = std::iter::once("tmctl".to_owned()).chain(args.iter().cloned());
        if let Err(error) = Cli::try_parse_from(argv) {
            panic!("{origin}: `tmctl {}` is rejected: {error}", args.join(" "));
        }
    }
}

#[test]
fn the_github_actions_workflow_passes_actionlint() {
    let workflow = read("github-actions/deploy.yml");
    assert_tmctl_accepts(
        "deploy.yml",
        &invocations(&workflow, "\"$RUNNER_TEMP/tmctl\" "),
    );
    // Skipped only off CI: under CI a missing actionlint fails (.ci/run installs it).
    if !require_tool("actionlint") {
        return;
    }
    let output = Command::new("actionlint")
        .arg("-no-color")
        .arg(example("github-actions/deploy.yml"))
        .output()
        .expect("run actionlint");
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "actionlint:\n{stdout}\n{stderr}");
}

#[test]
fn the_systemd_units_pass_systemd_analyze_verify() {
    if !require_tool("systemd-analyze") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    for unit in ["tmctl-heal.service", "tmctl-backup.service"] {
        let text_of_unit = read(&format!("systemd/{unit}"));
        let exec: Vec<Vec<String>> = invocations(&text_of_unit, "ExecStart=/usr/local/bin/tmctl ");
        assert_tmctl_accepts(unit, &exec);
        // verify checks that ExecStart's program exists: point it at this build's binary.
        let local = text_of_unit.replace("/usr/local/bin/tmctl", env!("CARGO_BIN_EXE_tmctl"));
        let path = dir.path().join(unit);
        std::fs::write(&path, local).expect("write unit");
        let output = Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(&path)
            .output()
            .expect("run systemd-analyze");
        let (stdout, stderr) = text(&output);
        // verify exits 0 on unknown keys and bad values; they only show on stderr.
        assert!(
            output.status.success() && stderr.trim().is_empty(),
            "{unit}:\n{stdout}\n{stderr}"
        );
    }
}

#[test]
fn the_crontab_lines_parse_with_tmctls_cron_parser() {
    let crontab = read("cron/tmctl.crontab");
    let entries: Vec<&str> = crontab
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter(|line| !line.split_whitespace().next().unwrap_or("").contains('='))
        .collect();
    assert_eq!(entries.len(), 3, "{entries:?}");
    for entry in &entries {
        let fields: Vec<&str> = entry.split_whitespace().take(5).collect();
        let schedule = CronSchedule::parse(&fields.join(" "), "UTC")
            .unwrap_or_else(|error| panic!("`{entry}`: {error}"));
        let runs = schedule.upcoming(chrono::Utc::now(), 2);
        assert_eq!(runs.len(), 2, "`{entry}` fires");
    }
    let calls = invocations(&crontab, " tmctl ");
    assert_eq!(calls.len(), 4, "{calls:?}");
    assert_tmctl_accepts("tmctl.crontab", &calls);
    assert!(calls.iter().any(|args| args.contains(&"--once".to_owned())));
}
