//! Checks that ask the Engine: versions, storage driver, free disk, images, clock.

use bollard::Docker;

use super::{host, Check, Subject};
use crate::images::catalog::{bootstrappable_names, StandIn};
use crate::images::inventory;

/// Below this the Engine may fail to pull or bootstrap the images.
const DISK_FAIL_BYTES: u64 = 2 << 30;
/// Below this a few releases of images and a database may not fit.
const DISK_WARN_BYTES: u64 = 10 << 30;
/// More skew than this breaks certificate validity, backup times and cron schedules.
const CLOCK_SKEW_LIMIT_SECS: i64 = 5;

pub async fn checks(docker: &Docker, subject: &Subject<'_>) -> Vec<Check> {
    let mut checks = Vec::new();
    let info = match docker.info().await {
        Ok(info) => info,
        Err(error) => {
            checks.push(Check::fail(
                "engine",
                format!("the Engine answered but `info` failed: {error}"),
                "check the Engine's log (journalctl -u docker)",
            ));
            return checks;
        }
    };
    let version = docker.version().await.ok();
    let server = version
        .as_ref()
        .and_then(|v| v.version.clone())
        .or(info.server_version.clone())
        .unwrap_or_else(|| "?".into());
    let api = version
        .as_ref()
        .and_then(|v| v.api_version.clone())
        .unwrap_or_else(|| "?".into());
    checks.push(Check::ok(
        "engine",
        format!(
            "Docker Engine {server} (API {api}, tmctl speaks {}), {} CPUs, {} memory",
            docker.client_version(),
            info.ncpu.unwrap_or(0),
            inventory::human_size(info.mem_total.unwrap_or(0))
        ),
    ));
    checks.push(storage(info.driver.as_deref().unwrap_or("")));
    checks.push(disk(info.docker_root_dir.as_deref()));
    checks.extend(images(docker, subject).await);
    checks.push(clock(info.system_time.as_deref()));
    checks
}

fn storage(driver: &str) -> Check {
    match driver {
        "overlay2" | "overlayfs" | "btrfs" | "zfs" => {
            Check::ok("storage", format!("storage driver {driver}"))
        }
        "" => Check::warn(
            "storage",
            "the Engine did not name its storage driver",
            "check `storage-driver` in /etc/docker/daemon.json",
        ),
        other => Check::warn(
            "storage",
            format!("storage driver {other}: slow and disk-hungry for image layers"),
            "set \"storage-driver\": \"overlay2\" in /etc/docker/daemon.json and restart the Engine",
        ),
    }
}

fn disk(root: Option<&str>) -> Check {
    let Some(root) = root.filter(|root| !root.is_empty()) else {
        return Check::skipped("disk", "the Engine did not name its root directory");
    };
    if !crate::engine::docker::engine_is_local() {
        return Check::skipped(
            "disk",
            format!("{root} is on the Engine's host (DOCKER_HOST); check it there"),
        );
    }
    let free = match host::free_bytes(std::path::Path::new(root)) {
        Ok(free) => free,
        Err(error) => {
            return Check::skipped(
                "disk",
                format!("cannot measure free space of {root}: {error}"),
            )
        }
    };
    let detail = format!(
        "{} free in {root} (images, containers and volumes)",
        inventory::human_size(i64::try_from(free).unwrap_or(i64::MAX))
    );
    let fix = "free space: `tmctl images prune`, `tmctl backup prune`, or move the Engine's data-root to a larger disk";
    if free < DISK_FAIL_BYTES {
        Check::fail("disk", detail, fix)
    } else if free < DISK_WARN_BYTES {
        Check::warn("disk", detail, fix)
    } else {
        Check::ok("disk", detail)
    }
}

/// Every image the profile runs is present, or `up` can get it (pull or Debian bootstrap).
async fn images(docker: &Docker, subject: &Subject<'_>) -> Vec<Check> {
    let mut names: Vec<&str> = subject
        .profile
        .services
        .values()
        .filter_map(|service| service.image.as_deref())
        .collect();
    names.sort();
    names.dedup();
    let statuses = match inventory::list(docker, &names).await {
        Ok(statuses) => statuses,
        Err(error) => {
            return vec![Check::fail(
                "images",
                format!("cannot list images: {error}"),
                "check the Engine's log",
            )]
        }
    };
    let mut checks: Vec<Check> = statuses
        .into_iter()
        .map(|status| {
            let name = format!("image {}", status.image);
            match (&status.present, StandIn::for_image(&status.image)) {
                (Some(present), _) => Check::ok(
                    name,
                    format!("present ({}, {})", present.origin, inventory::human_size(present.size)),
                ),
                (None, Some(_)) => Check::ok(
                    name,
                    "missing: `tmctl up` pulls it, or bootstraps it from Debian packages when no registry answers",
                ),
                (None, None) => Check::warn(
                    name,
                    format!(
                        "missing and only obtainable from its registry (Debian stand-ins exist for {})",
                        bootstrappable_names()
                    ),
                    "`tmctl images pull` where the registry answers, or `tmctl images load FILE` from an archive made with `tmctl images save`",
                ),
            }
        })
        .collect();
    if subject
        .profile
        .services
        .values()
        .any(|service| service.build.is_some())
    {
        checks.push(Check::ok(
            "image service",
            "built from this tmctl binary by `tmctl up` (or `tmctl images build`)",
        ));
    }
    checks
}

fn clock(engine_time: Option<&str>) -> Check {
    let Some(parsed) = engine_time.and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
    else {
        return Check::skipped("clock", "the Engine did not report its time");
    };
    let skew = (chrono::Utc::now() - parsed.with_timezone(&chrono::Utc)).num_milliseconds();
    let detail = format!("{:+.1}s against the Engine's clock", skew as f64 / 1000.0);
    if skew.abs() > CLOCK_SKEW_LIMIT_SECS * 1000 {
        Check::fail(
            "clock",
            detail,
            "synchronise both clocks (timedatectl set-ntp true); skew breaks certificates, backup ages and schedules",
        )
    } else {
        Check::ok("clock", detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Status;

    #[test]
    fn judges_clock_skew() {
        let now = chrono::Utc::now();
        assert_eq!(clock(Some(&now.to_rfc3339())).status, Status::Ok);
        let late = now - chrono::Duration::seconds(60);
        let check = clock(Some(&late.to_rfc3339()));
        assert_eq!(check.status, Status::Fail);
        assert!(check.detail.starts_with("+60."), "{}", check.detail);
        assert_eq!(clock(Some("yesterday")).status, Status::Skipped);
    }

    #[test]
    fn judges_storage_drivers() {
        assert_eq!(storage("overlay2").status, Status::Ok);
        assert_eq!(storage("vfs").status, Status::Warn);
    }
}
