//! The extended profile's alert rules and Alertmanager configuration as rendered: promtool
//! and amtool accept them, and every alert has a promtool unit test that makes it fire and
//! resolve (tests/cli/alert_rules/rules.test.yml).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{require_tool, text, Workspace};

const UNIT_TESTS: &str = include_str!("alert_rules/rules.test.yml");

fn render_extended(workspace: &Workspace) -> PathBuf {
    let out = workspace.path().join("out");
    let output = workspace.tmctl(&[
        "render",
        "--profile",
        "extended",
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    assert!(output.status.success(), "render: {:?}", text(&output));
    out
}

fn run(dir: &Path, tool: &str, args: &[&str]) -> String {
    let output = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {tool}: {error}"));
    let (stdout, stderr) = text(&output);
    assert!(
        output.status.success(),
        "{tool} {args:?} failed:\n{stdout}\n{stderr}"
    );
    stdout
}

/// Alert names of the rendered rules file.
fn alert_names(rules: &str) -> Vec<String> {
    let parsed: serde_yaml::Value = serde_yaml::from_str(rules).expect("rules are YAML");
    parsed["groups"]
        .as_sequence()
        .expect("groups")
        .iter()
        .flat_map(|group| group["rules"].as_sequence().expect("rules").iter())
        .filter_map(|rule| rule["alert"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn alert_rules_pass_promtool_check_and_unit_tests() {
    if !require_tool("promtool") {
        return;
    }
    let workspace = Workspace::new();
    let out = render_extended(&workspace);
    let checked = run(&out, "promtool", &["check", "rules", "alert-rules.yml"]);
    assert!(checked.contains("SUCCESS"), "{checked}");
    std::fs::write(out.join("rules.test.yml"), UNIT_TESTS).expect("write unit tests");
    let tested = run(&out, "promtool", &["test", "rules", "rules.test.yml"]);
    assert!(tested.contains("SUCCESS"), "{tested}");
}

#[test]
fn every_alert_has_a_unit_test_that_fires_and_one_that_resolves() {
    let workspace = Workspace::new();
    let out = render_extended(&workspace);
    let rules = std::fs::read_to_string(out.join("alert-rules.yml")).expect("alert-rules.yml");
    let names = alert_names(&rules);
    assert!(names.len() >= 12, "{names:?}");
    let tests: serde_yaml::Value = serde_yaml::from_str(UNIT_TESTS).expect("unit tests parse");
    let cases: Vec<&serde_yaml::Value> = tests["tests"]
        .as_sequence()
        .expect("tests")
        .iter()
        .flat_map(|test| test["alert_rule_test"].as_sequence().expect("cases").iter())
        .collect();
    for name in &names {
        let of_alert = cases
            .iter()
            .filter(|case| case["alertname"].as_str() == Some(name.as_str()));
        let (mut fires, mut quiet) = (0, 0);
        for case in of_alert {
            match case["exp_alerts"].as_sequence().map(Vec::len) {
                Some(0) => quiet += 1,
                Some(_) => fires += 1,
                None => {}
            }
        }
        assert!(
            fires >= 1 && quiet >= 1,
            "{name}: needs a unit test where it fires and one where it is quiet (fires {fires}, quiet {quiet})"
        );
    }
}

#[test]
fn alertmanager_config_passes_amtool() {
    if !require_tool("amtool") {
        return;
    }
    let workspace = Workspace::new();
    let out = render_extended(&workspace);
    run(&out, "amtool", &["check-config", "alertmanager.yml"]);
}

#[test]
fn every_alert_is_explained_in_the_readme() {
    let workspace = Workspace::new();
    let out = render_extended(&workspace);
    let rules = std::fs::read_to_string(out.join("alert-rules.yml")).expect("alert-rules.yml");
    let readme = include_str!("../../README.md");
    let missing: Vec<String> = alert_names(&rules)
        .into_iter()
        .filter(|name| !readme.contains(&format!("`{name}`")))
        .collect();
    assert!(missing.is_empty(), "README.md does not explain {missing:?}");
}
