//! Making a running container pick up files copied into it: nginx's in-place reload (and
//! waiting for its old workers to finish their requests), an HTTP reload endpoint, or a
//! restart.

use std::collections::BTreeSet;
use std::time::Duration;

use bollard::query_parameters::RestartContainerOptionsBuilder;
use bollard::Docker;

use super::ops::{self, engine_error, OpError};
use super::plan::ReloadKind;

pub async fn reload(docker: &Docker, container: &str, how: &ReloadKind) -> Result<(), OpError> {
    match how {
        ReloadKind::Nginx { drain } => reload_nginx(docker, container, *drain).await,
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

/// `nginx -s reload`; with `drain`, waits until the workers of the old configuration have
/// finished their requests and exited, since until then they may still send requests to
/// upstreams the new configuration dropped.
async fn reload_nginx(docker: &Docker, container: &str, drain: bool) -> Result<(), OpError> {
    let old_workers = if drain {
        nginx_workers(docker, container).await?
    } else {
        BTreeSet::new()
    };
    let result = ops::exec_capture(docker, container, &["nginx", "-s", "reload"]).await?;
    if result.exit_code != 0 {
        let test = ops::exec_capture(docker, container, &["nginx", "-t"]).await?;
        return Err(OpError::Other {
            container: container.to_owned(),
            message: format!(
                "nginx reload failed: {}{}",
                result.stderr.trim(),
                test.stderr.trim()
            ),
        });
    }
    if drain {
        wait_for_workers_to_exit(docker, container, &old_workers).await?;
    }
    tracing::debug!(container, drain, "gateway configuration reloaded");
    Ok(())
}

/// PIDs of the nginx worker processes in the gateway container.
async fn nginx_workers(docker: &Docker, container: &str) -> Result<BTreeSet<u32>, OpError> {
    // The bracket keeps grep from matching its own command line.
    let listing = ops::exec_capture(
        docker,
        container,
        &[
            "sh",
            "-c",
            "grep -la 'nginx: worker proces[s]' /proc/[0-9]*/cmdline 2>/dev/null; true",
        ],
    )
    .await?;
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
        let current = nginx_workers(docker, container).await?;
        if current.is_disjoint(old_workers) {
            tracing::debug!(container, waited = ?started.elapsed(), "old nginx workers exited");
            return Ok(());
        }
        if started.elapsed() > PATIENCE {
            tracing::warn!(
                container,
                "old nginx workers still running {PATIENCE:?} after the reload; going on"
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
