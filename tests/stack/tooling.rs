//! Operator tooling against the real Engine: doctor, version, the JSON event stream.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::stack::{free_port, TestStack};
use crate::support::{text, Workspace};
use tmctl::profile::Variables;

fn doctor(workspace: &Workspace, port: u16, json: bool) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tmctl"));
    command
        .args(["doctor", "--profile", "dev"])
        .args(["--project", &format!("tmt-doctor-{port}")])
        .current_dir(workspace.path())
        .env("NO_COLOR", "1")
        .env("TM_HTTP_PORT", port.to_string())
        .env_remove("RUST_LOG");
    if json {
        command.arg("--json");
    }
    command.output().expect("run tmctl doctor")
}

/// A process of this test listening on 127.0.0.1:`port`, ended on drop.
struct Holder(Child);

impl Holder {
    fn listen(port: u16) -> Holder {
        let child = Command::new("python3")
            .args([
                "-c",
                "import socket,sys,time\ns=socket.socket()\ns.bind(('127.0.0.1',int(sys.argv[1])))\ns.listen()\nprint('ready',flush=True)\ntime.sleep(120)",
                &port.to_string(),
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn python3");
        let mut holder = Holder(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            assert!(Instant::now() < deadline, "python3 never listened");
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = holder.0.stdout.take();
        holder
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn doctor_passes_with_dev_down_and_names_the_holder_of_its_port() {
    let workspace = Workspace::new();
    let port = free_port();
    let output = doctor(&workspace, port, false);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("port 127.0.0.1:{port}")),
        "{stdout}"
    );
    for check in ["engine", "storage", "disk", "clock", "state dir", "secrets"] {
        assert!(
            stdout
                .lines()
                .any(|line| line.split("  ").any(|c| c.trim() == check)),
            "{check} missing: {stdout}"
        );
    }

    let holder = Holder::listen(port);
    let pid = holder.0.id();
    let output = doctor(&workspace, port, false);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    let line = stdout
        .lines()
        .find(|line| line.contains(&format!("port 127.0.0.1:{port}")))
        .expect("a line for the port");
    assert!(line.starts_with("FAIL"), "{line}");
    assert!(
        line.contains(&format!("process python3 (pid {pid})")),
        "names the holder: {line}"
    );
    assert!(line.contains("fix:"), "{line}");

    let output = doctor(&workspace, port, true);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("doctor --json is JSON");
    assert_eq!(report["ok"], false);
    let port_check = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|check| check["name"] == format!("port 127.0.0.1:{port}"))
        .expect("port check");
    assert_eq!(port_check["status"], "fail");
    assert!(port_check["fix"]
        .as_str()
        .is_some_and(|fix| fix.contains("python3")));
    drop(holder);
}

fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON: {line}: {error}"))
        })
        .collect()
}

#[test]
fn up_and_down_with_json_stream_events_and_end_with_a_summary() {
    let stack = TestStack::new("dev");
    let output = stack.tmctl(&["up", "--json", "--wait", "--timeout", "120s"]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let lines = json_lines(&stdout);
    let summary = lines.last().expect("output");
    assert_eq!(summary["event"], "summary", "{stdout}");
    assert_eq!(summary["command"], "up");
    assert_eq!(summary["outcome"], "ok");
    assert!(
        summary["actions"].as_array().is_some_and(|a| !a.is_empty()),
        "the summary lists what changed: {summary}"
    );
    let steps: Vec<&serde_json::Value> = lines[..lines.len() - 1].iter().collect();
    assert!(
        steps.iter().all(|line| line["event"] == "step"),
        "only step events before the summary: {stdout}"
    );
    let containers = stack.tmctl_ok(&["ps", "--json"]);
    let containers: Vec<serde_json::Value> = serde_json::from_str(&containers).expect("ps");
    assert_eq!(
        Some(containers.len() as u64),
        summary["containers"].as_u64()
    );
    for container in &containers {
        let mine = |line: &&&serde_json::Value| {
            line["service"] == container["service"] && line["replica"] == container["replica"]
        };
        let started = steps
            .iter()
            .filter(mine)
            .filter(|l| l["status"] == "started");
        let finished: Vec<_> = steps
            .iter()
            .filter(mine)
            .filter(|l| l["status"] == "finished")
            .collect();
        assert!(started.count() >= 1, "no step started for {container}");
        assert!(
            finished.iter().all(|l| l["duration_ms"].is_u64()),
            "finished steps carry their duration"
        );
        assert!(!finished.is_empty(), "no step finished for {container}");
    }

    let output = stack.tmctl(&["down", "--json"]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let lines = json_lines(&stdout);
    assert!(lines.len() > 1, "events before the summary: {stdout}");
    let summary = lines.last().expect("output");
    assert_eq!(summary["command"], "down");
    assert_eq!(summary["outcome"], "ok");
}

#[test]
fn a_failing_up_with_json_ends_with_a_failed_summary() {
    let stack = TestStack::new("dev").env("TM_REDIS_IMAGE", "redis:tmctl-no-such-tag");
    let output = stack.tmctl(&["up", "--json", "--timeout", "60s"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    let lines = json_lines(&stdout);
    let summary = lines.last().expect("a summary even on failure");
    assert_eq!(summary["event"], "summary", "{stdout}");
    assert_eq!(summary["outcome"], "failed");
    assert!(
        summary["error"]
            .as_str()
            .is_some_and(|error| error.contains("redis:tmctl-no-such-tag")),
        "the error names the image: {summary}"
    );
}

fn write_pair(workspace: &Workspace, name: &str) -> (String, String) {
    let certified = rcgen::generate_simple_self_signed(vec![name.to_owned()]).expect("cert");
    let cert = workspace.write(&format!("{name}.crt"), &certified.cert.pem());
    let key = workspace.write(&format!("{name}.key"), &certified.key_pair.serialize_pem());
    (cert.display().to_string(), key.display().to_string())
}

/// The gateway files `up` would deliver to the prod gateway with these variables.
fn gateway_files(workspace: &Workspace, variables: &Variables) -> tmctl::engine::desired::FileSet {
    let loaded = workspace.load("prod", variables).expect("prod loads");
    let project = tmctl::deploy::Project {
        name: "tmt-tls".into(),
        state: tmctl::state::ProjectState::new(&workspace.path().join(".tmctl"), "tmt-tls"),
        state_root: workspace.path().join(".tmctl"),
        working_dir: workspace.path().to_path_buf(),
        loaded,
    };
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let docker = tmctl::engine::docker::connect().await.expect("engine");
            tmctl::deploy::files::gateway(&docker, &project)
                .await
                .expect("gateway files")
                .expect("prod has a gateway")
                .files_for(&["10.0.0.2:8000".to_owned()])
                .expect("rendered")
        })
}

#[test]
fn prod_tls_takes_cert_and_key_from_variables_and_a_new_pair_changes_the_files() {
    let workspace = Workspace::new();
    let unset = workspace
        .load("prod", &Variables::empty())
        .expect("prod loads");
    let tls = unset.profile.gateway.expect("gateway").tls.expect("tls");
    assert!(
        tls.self_signed && tls.cert.is_none(),
        "self-signed by default"
    );

    let (cert, key) = write_pair(&workspace, "first.example");
    let variables = Variables::empty()
        .with("TM_TLS_CERT", &cert)
        .with("TM_TLS_KEY", &key);
    let files = gateway_files(&workspace, &variables);
    let delivered = |files: &tmctl::engine::desired::FileSet, path: &str| {
        files
            .files
            .iter()
            .find(|file| file.path == path)
            .map(|file| String::from_utf8_lossy(&file.contents).into_owned())
            .unwrap_or_else(|| panic!("{path} delivered"))
    };
    assert_eq!(
        delivered(&files, "tls/tls.crt"),
        std::fs::read_to_string(&cert).unwrap()
    );
    let first = files.digest();

    // A renewed certificate in the same files: a new digest, which makes `up` copy the files
    // and reload nginx.
    let (renewed_cert, renewed_key) = write_pair(&workspace, "renewed.example");
    std::fs::copy(renewed_cert, &cert).expect("replace cert");
    std::fs::copy(renewed_key, &key).expect("replace key");
    let renewed = gateway_files(&workspace, &variables);
    assert_ne!(
        renewed.digest(),
        first,
        "the digest follows the certificate"
    );

    let only_cert = Variables::empty().with("TM_TLS_CERT", &cert);
    let error = workspace
        .load("prod", &only_cert)
        .expect_err("a cert without key");
    assert!(error.to_string().contains("key"), "{error}");
}
