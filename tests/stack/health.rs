//! `tmctl health` against real stacks on the local Docker Engine.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::support::stack::{container_action as engine, free_port, TestStack};
use crate::support::{require_tool, text};

fn health(stack: &TestStack, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["health"];
    args.extend_from_slice(extra);
    let output = stack.tmctl(&args);
    let (stdout, stderr) = text(&output);
    (
        output.status.code().unwrap_or(-1),
        format!("{stdout}\n{stderr}"),
    )
}

fn promtool_accepts(metrics: &str) {
    if !require_tool("promtool") {
        return;
    }
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(metrics.as_bytes())
        .expect("write metrics");
    let output: Output = child.wait_with_output().expect("promtool output");
    assert!(
        output.status.success(),
        "promtool check metrics: {:?}\n{metrics}",
        text(&output)
    );
}

#[test]
fn health_is_unknown_when_the_project_does_not_run() {
    let stack = TestStack::new("dev");
    let (code, output) = health(&stack, &[]);
    assert_eq!(code, 3, "{output}");
    assert!(output.contains("not running"), "{output}");
}

#[test]
fn health_of_dev_healthy_then_down_while_redis_is_stopped() {
    let stack = TestStack::new("dev");
    stack.tmctl_ok(&["up", "--wait", "--timeout", "180s"]);

    let (code, output) = health(&stack, &["--wait", "--timeout", "60s"]);
    assert_eq!(code, 0, "{output}");
    for service in ["gateway", "service", "postgres", "redis"] {
        assert!(
            output.contains(&format!("{}-{service}-1", stack.project)),
            "{service} is listed: {output}"
        );
    }
    assert!(output.contains("SELECT 1 answered"), "{output}");
    assert!(output.contains("PONG"), "{output}");

    let (code, json) = health(&stack, &["--json"]);
    assert_eq!(code, 0, "{json}");
    let report: serde_json::Value =
        serde_json::from_str(json.trim()).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(report["status"], "healthy");
    assert_eq!(report["exit_code"], 0);

    let output = stack.tmctl(&["health", "--prometheus"]);
    let (metrics, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{metrics}\n{stderr}");
    assert!(
        metrics.contains(&format!(
            "tmctl_health_status{{project=\"{}\"}} 0",
            stack.project
        )),
        "{metrics}"
    );
    promtool_accepts(&metrics);

    let redis = format!("{}-redis-1", stack.project);
    engine("stop", &redis);
    let (code, output) = health(&stack, &[]);
    assert_eq!(code, 2, "{output}");
    // Redis fails, and so does the service's /ready, which reports its cache; nothing else.
    let failing: Vec<&str> = output.lines().filter(|l| l.contains("FAIL")).collect();
    assert!(
        failing.iter().any(|line| line.contains("redis"))
            && failing
                .iter()
                .all(|line| line.contains("redis") || line.contains("/ready")),
        "only redis (and /ready, which reports it) fails: {output}"
    );
    let (code, metrics) = health(&stack, &["--prometheus"]);
    assert_eq!(code, 2);
    assert!(
        metrics.contains(&format!(
            "tmctl_probe_up{{project=\"{}\",service=\"redis\",probe=\"container\",target=\"{redis}\"}} 0",
            stack.project
        )),
        "{metrics}"
    );

    engine("start", &redis);
    let (code, output) = health(
        &stack,
        &["--wait", "--timeout", "60s", "--interval", "500ms"],
    );
    assert_eq!(code, 0, "healthy again after redis starts: {output}");
}

#[test]
fn health_of_prod_is_degraded_with_one_of_two_replicas_stopped() {
    let stack = TestStack::new("prod")
        .env("TM_HTTP_BIND", "127.0.0.1")
        .env("TM_HTTPS_BIND", "127.0.0.1")
        .env("TM_HTTPS_PORT", &free_port().to_string());
    stack.tmctl_ok(&["up", "--scale", "backup=0", "--wait", "--timeout", "240s"]);

    let (code, output) = health(&stack, &["--wait", "--timeout", "60s"]);
    assert_eq!(code, 0, "{output}");
    for name in [
        "gateway-1",
        "service-1",
        "service-2",
        "postgres-1",
        "redis-1",
    ] {
        assert!(
            output.contains(&format!("{}-{name}", stack.project)),
            "{name} is listed: {output}"
        );
    }
    let backup = output
        .lines()
        .find(|line| line.starts_with("backup"))
        .unwrap_or_else(|| panic!("backup is listed: {output}"));
    assert!(backup.contains("not deployed"), "{backup}");
    assert!(
        output
            .lines()
            .any(|l| l.contains("https://") && l.contains("/ready") && l.contains(" ok ")),
        "the service answers through the TLS gateway: {output}"
    );

    let replica = format!("{}-service-2", stack.project);
    engine("stop", &replica);
    let (code, output) = health(&stack, &[]);
    assert_eq!(code, 1, "{output}");
    let failing: Vec<&str> = output.lines().filter(|l| l.contains("FAIL")).collect();
    assert_eq!(failing.len(), 1, "{output}");
    assert!(failing[0].contains(&replica), "{output}");
    assert!(output.contains("DEGRADED"), "{output}");
}
