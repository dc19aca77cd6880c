//! Making a running container pick up files copied into it: the gateway's in-place nginx
//! reloads (the router's with a wait for its old workers to finish their requests), an
//! HTTP reload endpoint, or a restart.

use std::collections::BTreeSet;
use std::time::Duration;

use bollard::query_parameters::RestartContainerOptionsBuilder;
use bollard::Docker;

use super::ops::{self, engine_error, OpError};
use super::plan::ReloadKind;

pub async fn reload(docker: &Docker, container: &str, how: &ReloadKind) -> Result<(), OpError> {
    match how {
        ReloadKind::Nginx => nginx_signal(docker, container, &["nginx", "-s", "reload"]).await,
        ReloadKind::NginxRouter { drain } => reload_router(docker, container, *drain).await,
        ReloadKind::HttpPost { port, path } => http_post(docker, container, *port, path).await,
        ReloadKind::Restart => docker
            .restart_container(
                container,
                Some(RestartContainerOptionsBuilder::default().t(10).build()),
            )
            .await
            .map_err(engine_error("cannot restart", container)),
    }
}

const ROUTER_CONF: &str = "/etc/nginx/router.conf";
const ROUTER_PID: &str = "/tmp/tmctl-router.pid";

/// Reloads the router; with `drain`, waits until the workers of its old configuration have
/// finished their requests and exited, since until then they may still send requests to
/// replicas the new configuration dropped.
async fn reload_router(docker: &Docker, container: &str, drain: bool) -> Result<(), OpError> {
    let old_workers = if drain {
        router_workers(docker, container).await?
    } else {
        BTreeSet::new()
    };
    nginx_signal(
        docker,
        container,
        &["nginx", "-c", ROUTER_CONF, "-s", "reload"],
    )
    .await?;
    if drain {
        wait_for_workers_to_exit(docker, container, &old_workers).await?;
    }
    tracing::debug!(container, drain, "gateway router reloaded");
    Ok(())
}

/// Sends a reload signal through `nginx -s`; on failure, says what `nginx -t` says.
async fn nginx_signal(docker: &Docker, container: &str, command: &[&str]) -> Result<(), OpError> {
    let result = ops::exec_capture(docker, container, command).await?;
    if result.exit_code == 0 {
        return Ok(());
    }
    let mut test: Vec<&str> = command[..command.len() - 2].to_vec();
    test.push("-t");
    let checked = ops::exec_capture(docker, container, &test).await?;
    Err(OpError::Other {
        container: container.to_owned(),
        message: format!(
            "nginx reload failed: {}{}",
            result.stderr.trim(),
            checked.stderr.trim()
        ),
    })
}

/// PIDs of the router's worker processes (children of its master).
async fn router_workers(docker: &Docker, container: &str) -> Result<BTreeSet<u32>, OpError> {
    let script = format!(
        r#"master=$(cat {ROUTER_PID}); for status in /proc/[0-9]*/status; do grep -q "^PPid:[[:space:]]*$master$" "$status" 2>/dev/null && echo "$status"; done; true"#
    );
    let listing = ops::exec_capture(docker, container, &["sh", "-c", &script]).await?;
    Ok(listing
        .stdout
        .lines()
        .filter_map(|path| path.split('/').nth(2)?.parse().ok())
        .collect())
}

async fn wait_for_workers_to_exit(
    docker: &Docker,
    container: &str,
    old_workers: &BTreeSet<u32>,
) -> Result<(), OpError> {
    const PATIENCE: Duration = Duration::from_secs(30);
    let started = std::time::Instant::now();
    loop {
        let current = router_workers(docker, container).await?;
        if current.is_disjoint(old_workers) {
            tracing::debug!(container, waited = ?started.elapsed(), "old router workers exited");
            return Ok(());
        }
        if started.elapsed() > PATIENCE {
            tracing::warn!(
                container,
                "old router workers still running {PATIENCE:?} after the reload; going on"
            );
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// POSTs to `http://127.0.0.1:PORT/PATH` from inside the container (wget or curl, whichever
/// the image has).
async fn http_post(docker: &Docker, container: &str, port: u16, path: &str) -> Result<(), OpError> {
    let url = format!("http://127.0.0.1:{port}{path}");
    let script = format!(
        "if command -v wget >/dev/null; then wget -q -O /dev/null --post-data= '{url}'; else curl -fsS -o /dev/null -X POST '{url}'; fi"
    );
    let result = ops::exec_capture(docker, container, &["sh", "-c", &script]).await?;
    if result.exit_code != 0 {
        return Err(OpError::Other {
            container: container.to_owned(),
            message: format!("reload through {url} failed: {}", result.stderr.trim()),
        });
    }
    Ok(())
}
