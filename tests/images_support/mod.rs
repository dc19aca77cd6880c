//! Helpers shared by the images_* integration tests: bootstrapping once per test binary and
//! running throw-away containers that are removed even when a test fails.

#![allow(dead_code)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
    RemoveImageOptionsBuilder,
};
use bollard::Docker;
use futures_util::StreamExt;
use tmctl::engine::docker::connect;
use tmctl::images::bootstrap::{bootstrap, BootstrapOptions, Bootstrapped};
use tmctl::images::catalog::StandIn;
use tmctl::images::progress::Progress;
use tokio::sync::OnceCell;

pub const TEST_LABEL: &str = "io.tmctl.test";

static BOOTSTRAPPED: OnceCell<Vec<Bootstrapped>> = OnceCell::const_new();
static IMAGE_TAGS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Held by tests that remove, re-tag or expect the stand-in tags (`redis:7`, ...), which
/// share one Engine: they run one at a time.
pub async fn stand_in_tags() -> tokio::sync::MutexGuard<'static, ()> {
    IMAGE_TAGS.lock().await
}

/// Bootstraps every stand-in (reusing what is there) once for the whole test binary.
pub async fn bootstrapped() -> &'static [Bootstrapped] {
    BOOTSTRAPPED
        .get_or_init(|| async {
            let docker = connect().await.unwrap();
            let images: Vec<&str> = StandIn::ALL.iter().map(|s| s.image()).collect();
            let started = Instant::now();
            let result = bootstrap(
                &docker,
                &images,
                &BootstrapOptions::default(),
                &Progress::hidden(),
            )
            .await
            .unwrap();
            eprintln!("bootstrap of all stand-ins took {:.1?}", started.elapsed());
            for b in &result {
                eprintln!(
                    "  {:<26} {:?} in {:.1?}, {:.1} MB",
                    b.image,
                    b.outcome,
                    b.elapsed,
                    b.size as f64 / 1e6
                );
            }
            result
        })
        .await
}

/// A container removed (with its volumes) when dropped.
pub struct Container {
    pub name: String,
    pub docker: Docker,
}

impl Container {
    /// A container of a bootstrapped stand-in image (bootstrapping them all first).
    pub async fn stand_in(
        image: &str,
        test: &str,
        env: &[&str],
        cmd: Option<&[&str]>,
    ) -> Container {
        bootstrapped().await;
        let docker = connect().await.expect("Docker Engine");
        Container::run(&docker, image, test, env, cmd).await
    }

    pub async fn run(
        docker: &Docker,
        image: &str,
        test: &str,
        env: &[&str],
        cmd: Option<&[&str]>,
    ) -> Container {
        let name = format!("tmctl-test-{test}-{}", std::process::id());
        remove(docker, &name).await;
        let body = ContainerCreateBody {
            image: Some(image.to_string()),
            env: Some(env.iter().map(|s| s.to_string()).collect()),
            cmd: cmd.map(|c| c.iter().map(|s| s.to_string()).collect()),
            labels: Some(HashMap::from([(TEST_LABEL.to_string(), test.to_string())])),
            ..Default::default()
        };
        docker
            .create_container(
                Some(CreateContainerOptionsBuilder::default().name(&name).build()),
                body,
            )
            .await
            .unwrap();
        docker.start_container(&name, None).await.unwrap();
        Container {
            name,
            docker: docker.clone(),
        }
    }

    /// Runs a command in the container; returns its exit code and combined output.
    pub async fn exec(&self, cmd: &[&str], env: &[&str], user: Option<&str>) -> (i64, String) {
        let exec = self
            .docker
            .create_exec(
                &self.name,
                CreateExecOptions {
                    cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
                    env: Some(env.iter().map(|s| s.to_string()).collect()),
                    user: user.map(str::to_string),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let mut text = String::new();
        if let StartExecResults::Attached { mut output, .. } =
            self.docker.start_exec(&exec.id, None).await.unwrap()
        {
            while let Some(Ok(chunk)) = output.next().await {
                text.push_str(&chunk.to_string());
            }
        }
        let code = self
            .docker
            .inspect_exec(&exec.id)
            .await
            .unwrap()
            .exit_code
            .unwrap_or(-1);
        (code, text)
    }

    /// Runs `cmd` until it exits 0 or `limit` passes; returns whether it succeeded.
    pub async fn wait_for(&self, cmd: &[&str], env: &[&str], limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.exec(cmd, env, None).await.0 == 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        false
    }

    /// Waits until the shell command `check` succeeds; fails the test with the
    /// container's log when it never does.
    pub async fn expect(&self, what: &str, check: &str, env: &[&str], limit: Duration) {
        if !self.wait_for(&["sh", "-c", check], env, limit).await {
            panic!("{what}; logs:\n{}", self.logs().await);
        }
    }

    pub async fn logs(&self) -> String {
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .build();
        let mut stream = std::pin::pin!(self.docker.logs(&self.name, Some(options)));
        let mut log = String::new();
        while let Some(Ok(chunk)) = stream.next().await {
            log.push_str(&chunk.to_string());
        }
        log
    }

    /// The container's log once it contains `needle` (or after `attempts` polls).
    pub async fn log_with(&self, needle: &str, attempts: u32, interval: Duration) -> String {
        let mut log = String::new();
        for _ in 0..attempts {
            log = self.logs().await;
            if log.contains(needle) {
                break;
            }
            tokio::time::sleep(interval).await;
        }
        log
    }

    /// Effective user id of the container's main process.
    pub async fn main_process_uid(&self) -> String {
        let (_, status) = self.exec(&["cat", "/proc/1/status"], &[], None).await;
        status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            .unwrap_or("")
            .to_string()
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let name = self.name.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(docker) = connect().await {
                    remove(&docker, &name).await;
                }
            });
        })
        .join()
        .ok();
    }
}

pub async fn remove(docker: &Docker, name: &str) {
    let options = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build();
    let _ = docker.remove_container(name, Some(options)).await;
}

/// Removes an image tag; the test fails when the Engine refuses.
pub async fn remove_image(docker: &Docker, image: &str) {
    docker
        .remove_image(
            image,
            Some(RemoveImageOptionsBuilder::default().force(true).build()),
            None,
        )
        .await
        .unwrap_or_else(|error| panic!("cannot remove image {image}: {error}"));
}
