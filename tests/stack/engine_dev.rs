//! `tmctl up / plan / down` of the dev profile on the real Docker Engine.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::stack::TestStack;
use crate::support::text;

fn http_get(url: &str) -> (u16, String) {
    let response = reqwest::blocking::Client::new()
        .get(url)
        .timeout(Duration::from_secs(10))
        .send()
        .unwrap_or_else(|error| panic!("GET {url}: {error:?}"));
    let status = response.status().as_u16();
    let served_by = response
        .headers()
        .get("x-served-by")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = response.text().unwrap_or_default();
    (status, format!("{served_by}\n{body}"))
}

/// Container name → ID for the project, through the Engine API.
fn container_ids(project: &str) -> BTreeMap<String, String> {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let docker = tmctl::engine::docker::connect().await.expect("engine");
        tmctl::engine::observe::containers(&docker, project)
            .await
            .expect("list containers")
            .into_iter()
            .map(|container| (container.name, container.id))
            .collect()
    })
}

#[test]
fn dev_stack_lifecycle() {
    let stack = TestStack::new("dev");

    // From nothing to healthy.
    let output = stack.tmctl_ok(&["up", "--wait", "--timeout", "120s"]);
    assert!(output.contains("up and healthy"), "{output}");
    let (status, body) = http_get(&stack.url("/health"));
    assert_eq!(status, 200);
    assert!(
        body.contains("\"component\":\"gateway\""),
        "nginx answers /health itself: {body}"
    );
    let (status, body) = http_get(&stack.url("/api/TradeMaster/healthcheck"));
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("\"error_code\":0"),
        "the service answers through the gateway: {body}"
    );

    // A second up changes nothing; plan agrees.
    let before = container_ids(&stack.project);
    assert_eq!(before.len(), 4);
    let output = stack.tmctl_ok(&["up"]);
    assert!(output.contains("nothing to do"), "{output}");
    assert_eq!(container_ids(&stack.project), before);
    assert_eq!(stack.tmctl(&["plan"]).status.code(), Some(0));

    // Editing one service's environment: plan names it, up recreates only it.
    let mut edited = stack_with_log_level(&stack, "debug");
    let plan = edited.output().expect("plan");
    let (stdout, _) = text(&plan);
    assert_eq!(plan.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains(&format!("{}-service-1", stack.project)),
        "{stdout}"
    );
    assert!(stdout.contains("environment.RUST_LOG"), "{stdout}");
    for line in stdout.lines() {
        if line.contains("postgres") || line.contains("redis") {
            assert!(
                line.contains("wait until healthy"),
                "only waited for: {line}"
            );
        }
        if line.contains("gateway-1") {
            assert!(
                line.contains("stage gateway config") || line.contains("reload gateway"),
                "the gateway only reloads: {line}"
            );
        }
    }
    assert!(
        stdout.contains(&format!("{}-service-1-next", stack.project))
            && stdout.contains("reload gateway router, drain old workers")
            && stdout.contains("rename to"),
        "the start-first steps are listed: {stdout}"
    );
    let mut up = stack.command(&["up", "--wait"]);
    up.env("TM_LOG", "debug");
    assert!(up.output().expect("up").status.success());
    let after = container_ids(&stack.project);
    for (name, id) in &before {
        if name.ends_with("-service-1") {
            assert_ne!(&after[name], id, "the edited service was recreated");
        } else {
            assert_eq!(&after[name], id, "{name} kept its container");
        }
    }

    // Scale 1 → 3 → 1: every replica serves through the gateway, no failed request.
    let mut up = stack.command(&["up", "--wait", "--scale", "service=3"]);
    up.env("TM_LOG", "debug");
    assert!(up.output().expect("scale up").status.success());
    let mut replicas = std::collections::BTreeSet::new();
    for _ in 0..30 {
        let (status, body) = http_get(&stack.url("/api/TradeMaster/healthcheck"));
        assert_eq!(status, 200, "{body}");
        replicas.insert(body.lines().next().unwrap_or("").to_owned());
    }
    assert_eq!(
        replicas.len(),
        3,
        "requests reach every replica: {replicas:?}"
    );
    let mut down_scale = stack.command(&["up", "--scale", "service=1"]);
    down_scale.env("TM_LOG", "debug");
    let handle = std::thread::spawn(move || down_scale.output().expect("scale down"));
    // Paced below the gateway's rate limit (200 r/s), so a 429 cannot hide a real failure.
    let mut failures = Vec::new();
    let mut requests = 0;
    while !handle.is_finished() {
        let (status, body) = http_get(&stack.url("/api/TradeMaster/healthcheck"));
        requests += 1;
        if status != 200 {
            failures.push(format!("{status}: {body}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(handle.join().expect("join").status.success());
    assert!(
        requests > 10,
        "only {requests} requests during the scale-down"
    );
    assert!(
        failures.is_empty(),
        "{} of {requests} requests failed while scaling down: {failures:?}",
        failures.len()
    );
    assert_eq!(container_ids(&stack.project).len(), 4);

    // down --volumes leaves nothing with the project's label.
    stack.tmctl_ok(&["down", "--volumes", "--yes"]);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let observed = runtime.block_on(async {
        let docker = tmctl::engine::docker::connect().await.expect("engine");
        tmctl::engine::observe::observe(&docker, &stack.project)
            .await
            .expect("observe")
    });
    assert!(
        observed.containers.is_empty()
            && observed.networks.is_empty()
            && observed.volumes.is_empty()
    );
}

fn stack_with_log_level(stack: &TestStack, level: &str) -> std::process::Command {
    let mut command = stack.command(&["plan"]);
    command.env("TM_LOG", level);
    command
}

#[test]
fn concurrent_ups_are_serialized_and_a_killed_up_converges() {
    let stack = TestStack::new("dev");
    let mut first = stack
        .command(&["up", "--lock-wait", "5m"])
        .spawn()
        .expect("first up");
    std::thread::sleep(Duration::from_millis(300));
    let busy = stack.tmctl(&["up"]);
    let (_, stderr) = text(&busy);
    assert!(!busy.status.success());
    assert!(stderr.contains("is locked by `tmctl up (pid"), "{stderr}");
    let waited = stack.tmctl(&["up", "--lock-wait", "5m", "--wait"]);
    assert!(waited.status.success(), "{:?}", text(&waited));
    assert!(first.wait().expect("first up").success());

    // SIGKILL in the middle of an up, then up again: converged and healthy.
    stack.tmctl_ok(&["down", "--volumes", "--yes"]);
    let mut killed = stack.command(&["up"]).spawn().expect("up to kill");
    std::thread::sleep(Duration::from_millis(2500));
    killed.kill().expect("SIGKILL");
    let _ = killed.wait();
    stack.tmctl_ok(&["up", "--wait", "--timeout", "120s"]);
    assert_eq!(stack.tmctl(&["plan"]).status.code(), Some(0));
    assert_eq!(container_ids(&stack.project).len(), 4);

    // Ctrl-C while the service's replacement is starting (start-first): the replacement
    // is removed, every container keeps its own name, and the next up converges.
    let mut interrupted = stack.command(&["up", "--wait"]);
    interrupted
        .env("TM_LOG", "debug")
        .stderr(std::process::Stdio::piped());
    let child = interrupted.spawn().expect("up to interrupt");
    let replacement = format!("{}-service-1-next", stack.project);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !container_ids(&stack.project).contains_key(&replacement) {
        assert!(
            std::time::Instant::now() < deadline,
            "the replacement never appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(sent.success());
    let ended = child.wait_with_output().expect("interrupted up");
    let (_, stderr) = text(&ended);
    assert!(!ended.status.success(), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let names = container_ids(&stack.project);
    assert!(
        names.keys().all(|name| !name.ends_with("-next")),
        "{names:?}"
    );
    let mut up = stack.command(&["up", "--wait", "--timeout", "120s"]);
    up.env("TM_LOG", "debug");
    assert!(up.output().expect("up").status.success());
    let mut plan = stack.command(&["plan"]);
    plan.env("TM_LOG", "debug");
    assert_eq!(plan.output().expect("plan").status.code(), Some(0));
}

#[test]
fn a_taken_host_port_is_named_with_its_holder_and_a_later_up_converges() {
    let stack = TestStack::new("dev");
    let squatter = std::net::TcpListener::bind(("127.0.0.1", stack.http_port)).expect("bind");
    let failed = stack.tmctl(&["up", "--wait", "--timeout", "120s"]);
    let (_, stderr) = text(&failed);
    assert!(!failed.status.success(), "{stderr}");
    let address = format!("127.0.0.1:{}", stack.http_port);
    assert!(
        stderr.contains(&format!("host port {address} is already taken")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("(pid {})", std::process::id())),
        "the test process holds the port: {stderr}"
    );
    assert!(stderr.contains("TM_HTTP_PORT"), "{stderr}");

    drop(squatter);
    stack.tmctl_ok(&["up", "--wait", "--timeout", "120s"]);
    let (status, body) = http_get(&stack.url("/api/TradeMaster/healthcheck"));
    assert_eq!(status, 200, "{body}");
}
