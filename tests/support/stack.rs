//! A real stack on the local Docker Engine for one test: its own project name, its own
//! loopback port, torn down (with volumes) when dropped.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Once;

use super::{text, Workspace};

pub struct TestStack {
    pub workspace: Workspace,
    pub project: String,
    pub profile: String,
    pub http_port: u16,
    pub extra_env: Vec<(String, String)>,
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
    listener.local_addr().expect("address").port()
}

static IMAGES: Once = Once::new();

/// Builds the service image from this build's binary and bootstraps the third-party
/// images when missing (the same code path `tmctl up` uses on an air-gapped host).
pub fn ensure_images() {
    IMAGES.call_once(|| {
        let dir = std::env::temp_dir();
        for args in [["images", "build"], ["images", "bootstrap"]] {
            let output = super::tmctl_in(&dir, &[args[0], args[1], "--profile", "prod"]);
            assert!(
                output.status.success(),
                "tmctl {args:?}: {:?}",
                text(&output)
            );
        }
    });
}

impl TestStack {
    pub fn new(profile: &str) -> Self {
        ensure_images();
        let workspace = Workspace::new();
        let project = format!("tmt-{}-{}", profile, free_port());
        TestStack {
            workspace,
            project,
            profile: profile.to_owned(),
            http_port: free_port(),
            extra_env: Vec::new(),
        }
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.extra_env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn command(&self, args: &[&str]) -> Command {
        self.command_with_profile(&self.profile, args)
    }

    /// `tmctl ARGS` for the stack's project with another profile (e.g. one that extends
    /// the stack's own).
    pub fn command_with_profile(&self, profile: &str, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tmctl"));
        command
            .args(args)
            .args(["--profile", profile, "--project", &self.project])
            .current_dir(self.workspace.path())
            .env("NO_COLOR", "1")
            .env("TM_HTTP_PORT", self.http_port.to_string())
            .env_remove("RUST_LOG")
            .env_remove("TM_LOG");
        for (key, value) in &self.extra_env {
            command.env(key, value);
        }
        command
    }

    pub fn tmctl(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run tmctl")
    }

    pub fn tmctl_ok(&self, args: &[&str]) -> String {
        let output = self.tmctl(args);
        let (stdout, stderr) = text(&output);
        assert!(
            output.status.success(),
            "tmctl {args:?} failed:\n{stdout}\n{stderr}"
        );
        stdout
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http_port)
    }

    pub fn path(&self) -> &Path {
        self.workspace.path()
    }
}

impl Drop for TestStack {
    fn drop(&mut self) {
        let _ = self.tmctl(&["down", "--volumes", "--yes"]);
    }
}

/// Stops, starts or kills a container through the Engine, as an outage would.
pub fn container_action(action: &str, container: &str) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let docker = tmctl::engine::docker::connect().await.expect("engine");
        match action {
            "stop" => docker.stop_container(container, None).await,
            "start" => docker.start_container(container, None).await,
            "kill" => docker.kill_container(container, None).await,
            other => panic!("unknown action {other}"),
        }
        .unwrap_or_else(|error| panic!("{action} {container}: {error}"));
    });
}
