//! `tmctl heal` against a real stack whose service healthcheck a test can make fail.

use std::process::Stdio;
use std::time::Duration;

use crate::support::stack::TestStack;
use crate::support::text;

/// dev, with a service healthcheck that fails once /tmp/sick exists in the container.
/// The file survives a restart, so the replica stays unhealthy and heal hits its cap.
const SICK_PROFILE: &str = r#"
extends: dev
description: dev with a service healthcheck a test can make fail
services:
  service:
    healthcheck:
      test: ["CMD-SHELL", "test ! -e /tmp/sick"]
      interval: 1s
      timeout: 2s
      retries: 1
      start_period: 0s
"#;

fn container_state(name: &str) -> (String, String) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let docker = tmctl::engine::docker::connect().await.expect("engine");
        let inspect = docker
            .inspect_container(name, None)
            .await
            .unwrap_or_else(|error| panic!("inspect {name}: {error}"));
        let state = inspect.state.unwrap_or_default();
        (
            state.status.map(|s| s.to_string()).unwrap_or_default(),
            state.started_at.unwrap_or_default(),
        )
    })
}

fn stop(name: &str) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let docker = tmctl::engine::docker::connect().await.expect("engine");
        docker
            .stop_container(name, None)
            .await
            .unwrap_or_else(|error| panic!("stop {name}: {error}"));
    });
}

fn make_sick(name: &str) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let docker = tmctl::engine::docker::connect().await.expect("engine");
        let output = tmctl::engine::ops::exec_capture(&docker, name, &["touch", "/tmp/sick"])
            .await
            .unwrap_or_else(|error| panic!("exec in {name}: {error}"));
        assert_eq!(output.exit_code, 0, "touch /tmp/sick: {output:?}");
    });
}

#[test]
fn heal_restarts_an_unhealthy_replica_backs_off_stops_at_the_cap_and_leaves_stopped_ones() {
    let stack = TestStack::new("sick");
    stack
        .workspace
        .write("profiles/sick.yaml", SICK_PROFILE.trim_start());
    stack.tmctl_ok(&["up", "--wait", "--timeout", "180s"]);
    let replica = format!("{}-service-1", stack.project);
    let redis = format!("{}-redis-1", stack.project);

    // Nothing unhealthy: one pass restarts nothing.
    let output = stack.tmctl(&["heal", "--once"]);
    let (_, log) = text(&output);
    assert!(output.status.success(), "{log}");
    assert!(!log.contains("restarted"), "{log}");

    stop(&redis);
    make_sick(&replica);
    let (_, started_before) = container_state(&replica);

    let mut heal = stack.command(&[
        "heal",
        "--interval",
        "1s",
        "--threshold",
        "2",
        "--backoff",
        "12s",
        "--max-backoff",
        "60s",
        "--max-restarts-per-hour",
        "2",
    ]);
    let mut child = heal
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tmctl heal");
    std::thread::sleep(Duration::from_secs(32));
    child.kill().expect("stop tmctl heal");
    let output = child.wait_with_output().expect("heal output");
    let log = String::from_utf8_lossy(&output.stderr).into_owned();

    let restarts: Vec<&str> = log
        .lines()
        .filter(|line| line.contains(&format!("restarted {replica}:")))
        .collect();
    assert_eq!(restarts.len(), 2, "two restarts, then the cap:\n{log}");
    assert!(
        log.lines()
            .any(|line| line.contains("backing off") && line.contains(&replica)),
        "waits between restarts:\n{log}"
    );
    assert!(
        log.lines()
            .any(|line| line.contains("cap 2") && line.contains(&replica)),
        "stops at the hourly cap:\n{log}"
    );
    let (_, started_after) = container_state(&replica);
    assert_ne!(started_before, started_after, "the replica was restarted");

    let (redis_state, _) = container_state(&redis);
    assert_eq!(redis_state, "exited", "a stopped container stays stopped");
    assert!(
        !log.lines()
            .any(|line| line.contains(&format!("restarted {redis}"))),
        "{log}"
    );
    assert!(
        log.contains(&format!("{redis} is not running: left alone")),
        "{log}"
    );
}
