//! Operator tooling against the real Engine: doctor, version, the JSON event stream.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::stack::free_port;
use crate::support::{text, Workspace};

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
