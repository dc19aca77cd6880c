//! Making a running container pick up files copied into it: the gateway's in-place nginx
//! reloads (the router's with a wait for its old workers to finish their requests), an
//! HTTP reload endpoint, or a restart.

use std::collections::BTreeSet;
use std::time::Duration;

use bollard::query_parameters::RestartContainerOptionsBuilder;
use bollard::Docker;

use super::ops::{self, engine_error, OpError};
use super::plan::ReloadKind;

/// Where files are staged, beside the live ones (relative to their directory).
pub const STAGING: &str = ".tmctl-staged";

fn staging_dir(directory: &str) -> String {
    format!("{}/{STAGING}", directory.trim_end_matches('/'))
}

/// A shell line moving the files staged in `directory` (if any) over the live ones; the
/// reload command follows it in the same exec, so the live files are always the loaded
/// ones, even when tmctl dies in between.
fn promote(directory: &str) -> String {
    let staged = staging_dir(directory);
    format!(
        "if [ -d '{staged}' ]; then cp -Rp '{staged}/.' '{directory}/' && rm -rf '{staged}'; fi"
    )
}

/// Applies staged files and makes the container load them.
pub async fn reload(
    docker: &Docker,
    container: &str,
    how: &ReloadKind,
    directory: &str,
) -> Result<(), OpError> {
    let promote = promote(directory);
    match how {
        ReloadKind::Nginx => nginx_signal(docker, container, &promote, "nginx").await,
        ReloadKind::NginxRouter { drain } => {
            reload_router(docker, container, &promote, *drain).await
        }
        ReloadKind::HttpPost { port, path } => {
            http_post(docker, container, &promote, *port, path).await
        }
        ReloadKind::Restart => {
            run_shell_as_root(docker, container, &promote).await?;
            docker
                .restart_container(
                    container,
                    Some(RestartContainerOptionsBuilder::default().t(10).build()),
                )
                .await
                .map_err(engine_error("cannot restart", container))
        }
    }
}

/// As root: the files were copied in as root and the container's user may not replace them.
async fn run_shell_as_root(docker: &Docker, container: &str, script: &str) -> Result<(), OpError> {
    let result = ops::exec_capture_as_root(docker, container, &["sh", "-c", script]).await?;
    if result.exit_code != 0 {
        return Err(OpError::Other {
            container: container.to_owned(),
            message: format!("`{script}` failed: {}", result.stderr.trim()),
        });
    }
    Ok(())
}

const ROUTER_CONF: &str = "/etc/nginx/router.conf";
const ROUTER_PID: &str = "/tmp/tmctl-router.pid";

/// Reloads the router; with `drain`, waits until the workers of its old configuration have
/// finished their requests and exited, since until then they may still send requests to
/// replicas the new configuration dropped.
async fn reload_router(
    docker: &Docker,
    container: &str,
    promote: &str,
    drain: bool,
) -> Result<(), OpError> {
    let old_workers = if drain {
        router_workers(docker, container).await?
    } else {
        BTreeSet::new()
    };
    let nginx = format!("nginx -c {ROUTER_CONF}");
    nginx_signal(docker, container, promote, &nginx).await?;
    if drain {
        wait_for_workers_to_exit(docker, container, &old_workers).await?;
    }
    tracing::debug!(container, drain, "gateway router reloaded");
    Ok(())
}

/// After `promote`, `NGINX -s reload` (NGINX: the nginx command with its `-c`); on failure,
/// says what `NGINX -t` says.
async fn nginx_signal(
    docker: &Docker,
    container: &str,
    promote: &str,
    nginx: &str,
) -> Result<(), OpError> {
    let script = format!("{promote} && {nginx} -s reload");
    let result = ops::exec_capture(docker, container, &["sh", "-c", &script]).await?;
    if result.exit_code == 0 {
        return Ok(());
    }
    let test = format!("{nginx} -t");
    let checked = ops::exec_capture(docker, container, &["sh", "-c", &test]).await?;
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
async fn http_post(
    docker: &Docker,
    container: &str,
    promote: &str,
    port: u16,
    path: &str,
) -> Result<(), OpError> {
    let url = format!("http://127.0.0.1:{port}{path}");
    run_shell_as_root(docker, container, promote).await?;
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
