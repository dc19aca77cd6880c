//! Releases on a real Engine: zero-downtime updates of the prod profile under load,
//! automatic revert of a broken version, rollback, state shared by two working
//! directories, secrets rotation without data loss, deploy hooks, and `up` killed at any
//! point converging on the next run.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::load::{Load, LoadReport};
use crate::support::stack::{free_port, TestStack};
use crate::support::{require_tool, text, Workspace};

/// `tmctl ARGS` for the stack's project from another working directory.
fn from_dir(stack: &TestStack, dir: &std::path::Path, args: &[&str]) -> Command {
    let mut command = stack.command(args);
    command.current_dir(dir);
    command
}

fn under_load(url: &str, connections: u32, operation: impl FnOnce()) -> (LoadReport, Duration) {
    let load = Load::start(url, connections);
    let started = Instant::now();
    operation();
    let took = started.elapsed();
    (load.stop(), took)
}

fn releases(stack: &TestStack) -> Vec<serde_json::Value> {
    let output = stack.tmctl_ok(&["releases", "--json"]);
    serde_json::from_str(&output).expect("releases JSON")
}

#[test]
fn prod_updates_drop_no_request_and_a_broken_version_is_rolled_back() {
    if !require_tool("wrk") {
        return;
    }
    let https = free_port();
    let stack = TestStack::new("prod")
        .env("TM_HTTP_BIND", "127.0.0.1")
        .env("TM_HTTPS_BIND", "127.0.0.1")
        .env("TM_HTTPS_PORT", &https.to_string())
        .env("TM_API_RATE", "1000000r/s")
        .env("TM_API_BURST", "1000000")
        .env("TM_UPDATE_MONITOR", "1s");
    let backups = stack.path().join("backups");
    let stack = stack.env("TM_BACKUP_DIR", backups.to_str().expect("utf-8"));
    // From an empty directory: the backups bind source is created.
    stack.tmctl_ok(&["up", "--wait", "--timeout", "240s"]);
    assert!(backups.is_dir());

    // Another, empty working directory sees the same project state.
    let elsewhere = Workspace::new();
    let plan = from_dir(&stack, elsewhere.path(), &["plan"])
        .output()
        .expect("plan");
    assert_eq!(plan.status.code(), Some(0), "{:?}", text(&plan));
    let up = from_dir(&stack, elsewhere.path(), &["up"])
        .output()
        .expect("up");
    assert!(text(&up).0.contains("nothing to do"), "{:?}", text(&up));

    let url = format!("https://127.0.0.1:{https}/api/TradeMaster/getParameters");
    let mut figures = Vec::new();
    let mut run =
        |name: &str, profile: &str, args: &[&str], env: &[(&str, &str)], expect_success: bool| {
            let (report, took) = under_load(&url, 64, || {
                let mut command = stack.command_with_profile(profile, args);
                for (key, value) in env {
                    command.env(key, value);
                }
                let output = command.output().expect("tmctl");
                assert_eq!(
                    output.status.success(),
                    expect_success,
                    "{name}: {:?}",
                    text(&output)
                );
            });
            assert!(report.requests > 100, "{name}: only {report}");
            assert_eq!(report.failures(), 0, "{name}: {report}");
            figures.push(format!("{name}: {report}, took {:.1}s", took.as_secs_f64()));
        };
    let debug = [("TM_LOG", "debug")];
    run("config change", "prod", &["up", "--wait"], &debug, true);
    run(
        "scale 2→4",
        "prod",
        &["up", "--wait", "--scale", "service=4"],
        &debug,
        true,
    );
    run(
        "scale 4→2",
        "prod",
        &["up", "--wait", "--scale", "service=2"],
        &debug,
        true,
    );

    // A broken version: its healthcheck never passes.
    stack.workspace.write(
        "profiles/broken.yaml",
        "extends: prod\nservices:\n  service:\n    healthcheck:\n      test: [\"CMD\", \"false\"]\n      interval: 1s\n      retries: 2\n",
    );
    run(
        "broken version",
        "broken",
        &["up", "--wait", "--timeout", "60s"],
        &debug,
        false,
    );
    let history = releases(&stack);
    let last = history.last().expect("releases");
    assert_eq!(last["outcome"]["status"], "failed", "{last}");
    assert!(last["outcome"]["reverted_to"].is_number(), "{last}");
    let mut plan = stack.command(&["plan"]);
    plan.env("TM_LOG", "debug");
    assert_eq!(
        plan.output().expect("plan").status.code(),
        Some(0),
        "the previous version still runs"
    );

    // Back to the first release (TM_LOG=info), under load.
    let first = history.first().expect("first release")["id"].to_string();
    run(
        "rollback",
        "prod",
        &["rollback", &first, "--wait"],
        &[],
        true,
    );
    let history = releases(&stack);
    assert_eq!(
        history.last().expect("releases")["kind"],
        "rollback",
        "{history:?}"
    );
    assert_eq!(stack.tmctl(&["plan"]).status.code(), Some(0));
    let audit = stack.tmctl_ok(&["audit", "--json"]);
    let audit: Vec<serde_json::Value> = serde_json::from_str(&audit).expect("audit JSON");
    assert!(audit.iter().any(|record| record["action"] == "rollback"));
    assert!(audit.iter().any(|record| record["outcome"]
        .as_str()
        .is_some_and(|o| o.starts_with("failed"))));
    for line in figures {
        eprintln!("{line}");
    }
}

fn psql(stack: &TestStack, sql: &str) -> String {
    // The global flags go before `--`: what follows is the command.
    let output = stack
        .command_with_profile(&stack.profile, &[])
        .args([
            "exec",
            "postgres",
            "--",
            "psql",
            "-U",
            "trademaster",
            "-d",
            "trademaster",
            "-Atc",
            sql,
        ])
        .output()
        .expect("tmctl exec");
    assert!(output.status.success(), "{sql}: {:?}", text(&output));
    text(&output).0
}

#[test]
fn rotating_the_database_password_keeps_the_data_and_the_service_healthy() {
    let stack = TestStack::new("dev");
    stack.tmctl_ok(&["up", "--wait", "--timeout", "180s"]);
    psql(
        &stack,
        "create table kept(i int, t text); insert into kept select g, md5(g::text) from generate_series(1, 1000) g",
    );
    let checksum = "select count(*), md5(string_agg(t, ',' order by i)) from kept";
    let before = psql(&stack, checksum);
    let secrets = stack
        .path()
        .join(".tmctl")
        .join(&stack.project)
        .join("secrets.env");
    let old = std::fs::read_to_string(&secrets).expect("secrets");
    stack.tmctl_ok(&["secrets", "rotate", "POSTGRES_PASSWORD"]);
    let new = std::fs::read_to_string(&secrets).expect("secrets");
    assert_ne!(old, new, "the password changed");
    assert_eq!(psql(&stack, checksum), before);
    let health = stack.tmctl(&["health"]);
    assert_eq!(health.status.code(), Some(0), "{:?}", text(&health));
    let rotated = stack.tmctl(&["secrets", "rotate", "NO_SUCH_SECRET"]);
    assert!(!rotated.status.success());
    assert!(text(&rotated).1.contains("POSTGRES_PASSWORD"));
}

#[test]
fn a_failing_pre_deploy_hook_stops_the_update_before_traffic_moves() {
    let stack = TestStack::new("dev");
    stack.tmctl_ok(&["up", "--wait", "--timeout", "180s"]);
    stack.workspace.write(
        "profiles/hooked.yaml",
        "extends: dev\nservices:\n  service:\n    hooks:\n      pre_deploy: [\"echo migrating; exit 3\"]\n",
    );
    let mut up = stack.command_with_profile("hooked", &["up", "--wait"]);
    up.env("TM_LOG", "debug");
    let output = up.output().expect("up");
    let (_, stderr) = text(&output);
    assert!(!output.status.success());
    assert!(stderr.contains("exited with code 3"), "{stderr}");
    assert!(
        stderr.contains("migrating"),
        "the hook's output is shown: {stderr}"
    );
    // Nothing moved: the old replica serves, nothing is left under a temporary name.
    assert_eq!(stack.tmctl(&["plan"]).status.code(), Some(0));
    let ps = stack.tmctl_ok(&["ps"]);
    assert!(!ps.contains("hook") && !ps.contains("-next"), "{ps}");
}

#[test]
fn an_up_killed_at_any_point_of_a_rolling_update_converges_next_time() {
    let stack = TestStack::new("dev");
    stack.tmctl_ok(&["up", "--wait", "--timeout", "180s"]);
    let other = Workspace::new();
    let mut converged = 0;
    for round in 0..10u64 {
        let level = if round % 2 == 0 { "debug" } else { "info" };
        let mut up = stack.command(&["up", "--wait"]);
        up.env("TM_LOG", level);
        let mut child = up.spawn().expect("up");
        // From right after the start to the end of the replacement.
        std::thread::sleep(Duration::from_millis(300 + round * 600));
        let _ = child.kill();
        let _ = child.wait();
        // The next run comes from another directory, as a fresh CI runner would.
        let mut again = from_dir(&stack, other.path(), &["up", "--wait", "--timeout", "120s"]);
        again.env("TM_LOG", level);
        let output = again.output().expect("up again");
        assert!(
            output.status.success(),
            "round {round}: {:?}",
            text(&output)
        );
        let ps = stack.tmctl_ok(&["ps"]);
        assert!(
            !ps.contains("-next") && !ps.contains("hook"),
            "round {round}: {ps}"
        );
        let mut plan = stack.command(&["plan"]);
        plan.env("TM_LOG", level);
        let planned = plan.output().expect("plan");
        assert_eq!(
            planned.status.code(),
            Some(0),
            "round {round}: {:?}",
            text(&planned)
        );
        converged += 1;
    }
    eprintln!("converged after {converged}/10 killed updates");
}

#[test]
fn the_lock_keeps_two_working_directories_apart() {
    let stack = TestStack::new("dev");
    stack.tmctl_ok(&["up", "--wait", "--timeout", "180s"]);
    let mut first = stack.command(&["up", "--wait"]);
    first.env("TM_LOG", "debug");
    let mut first = first.spawn().expect("first up");
    std::thread::sleep(Duration::from_millis(800));
    let other = Workspace::new();
    let second = from_dir(&stack, other.path(), &["up"])
        .output()
        .expect("second up");
    let (_, stderr) = text(&second);
    assert!(!second.status.success(), "{stderr}");
    assert!(stderr.contains("is locked by `tmctl up (pid"), "{stderr}");
    assert!(first.wait().expect("first").success());
}
