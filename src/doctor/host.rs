//! Checks of this host: the profile's ports, free disk, the state directory's permissions.

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use bollard::Docker;

use super::{Check, Subject};
use crate::engine::docker::engine_is_local;
use crate::engine::port_holder;
use crate::profile::units::Protocol;

/// One check per host port the profile publishes: free, or held by this project already.
pub async fn port_checks(docker: Option<&Docker>, subject: &Subject<'_>) -> Vec<Check> {
    let mut ports = Vec::new();
    for service in subject.profile.services.keys() {
        for spec in subject.profile.published_ports(service) {
            ports.push((service.clone(), spec));
        }
    }
    if !engine_is_local() {
        return ports
            .iter()
            .map(|(_, spec)| {
                Check::skipped(
                    format!("port {}", spec.host),
                    "published on the Engine's host (DOCKER_HOST); check it there",
                )
            })
            .collect();
    }
    let mut checks = Vec::new();
    for (service, spec) in ports {
        let name = format!("port {}", spec.host);
        let address = SocketAddr::new(spec.host.ip, spec.host.port);
        let bound = match spec.protocol {
            Protocol::Tcp => TcpListener::bind(address).map(drop),
            Protocol::Udp => UdpSocket::bind(address).map(drop),
        };
        let check = match bound {
            Ok(()) => Check::ok(name, format!("free (for {service})")),
            Err(error) if error.kind() == ErrorKind::AddrInUse => {
                let holder = match docker {
                    Some(docker) => port_holder::describe(docker, spec.host.port, "").await,
                    None => port_holder::process_listening(Path::new("/proc"), spec.host.port),
                };
                let own = format!(" of project {}", subject.project);
                match holder {
                    Some(holder) if holder.ends_with(&own) => {
                        Check::ok(name, format!("published by this project's {holder}"))
                    }
                    holder => {
                        let holder = holder.unwrap_or_else(|| "an unknown process".into());
                        Check::fail(
                            name,
                            format!("in use by {holder}; {service} cannot publish it"),
                            format!(
                                "stop {holder}, or publish {service} on another port (the built-in profiles read TM_HTTP_PORT and TM_HTTPS_PORT)"
                            ),
                        )
                    }
                }
            }
            Err(error) if error.kind() == ErrorKind::AddrNotAvailable => Check::fail(
                name,
                format!("{} is no address of this host", spec.host.ip),
                "publish on 127.0.0.1, 0.0.0.0 or an address this host has (ip -brief address)",
            ),
            Err(error) if error.kind() == ErrorKind::PermissionDenied => Check::skipped(
                name,
                "ports below 1024 can only be tested as root (the Engine binds them itself)",
            ),
            Err(error) => Check::warn(
                name,
                format!("cannot test: {error}"),
                "check the address in the profile",
            ),
        };
        checks.push(check);
    }
    checks
}

/// The state directory is usable and the secrets in it are private.
pub fn state_checks(subject: &Subject<'_>) -> Vec<Check> {
    let mut checks = Vec::new();
    let root = subject.state_root;
    checks.push(match std::fs::metadata(root) {
        Err(error) if error.kind() == ErrorKind::NotFound => Check::ok(
            "state dir",
            format!("{} (created on first use)", root.display()),
        ),
        Err(error) => Check::fail(
            "state dir",
            format!("cannot read {}: {error}", root.display()),
            "fix its permissions or choose another with --state-dir / TMCTL_STATE_DIR",
        ),
        Ok(meta) if !meta.is_dir() => Check::fail(
            "state dir",
            format!("{} is not a directory", root.display()),
            "move it away or choose another with --state-dir / TMCTL_STATE_DIR",
        ),
        Ok(meta) if meta.permissions().readonly() => Check::fail(
            "state dir",
            format!("{} is read-only", root.display()),
            format!("chmod u+w {}", root.display()),
        ),
        Ok(_) => Check::ok("state dir", root.display().to_string()),
    });
    let mut private = vec![(subject.state_dir.to_path_buf(), 0o700)];
    private.push((subject.state_dir.join("secrets.env"), 0o600));
    if let Ok(entries) = std::fs::read_dir(subject.state_dir.join("env")) {
        for entry in entries.flatten() {
            private.push((entry.path(), 0o600));
        }
    }
    let mut exposed = Vec::new();
    let mut found = 0;
    for (path, wanted) in &private {
        let Ok(meta) = std::fs::metadata(path) else {
            continue;
        };
        found += 1;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            exposed.push(format!("chmod {wanted:o} {}", path.display()));
        }
    }
    checks.push(if !exposed.is_empty() {
        Check::fail(
            "secrets",
            format!(
                "{} secret file(s) or folder(s) readable by others",
                exposed.len()
            ),
            exposed.join("; "),
        )
    } else if found == 0 {
        Check::ok("secrets", "none yet (generated on first use, mode 0600)")
    } else {
        Check::ok("secrets", format!("{found} private file(s) and folder(s)"))
    });
    checks
}

/// Free bytes for an unprivileged user on the filesystem holding `path`.
pub fn free_bytes(path: &Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::new(ErrorKind::InvalidInput, "path contains NUL"))?;
    // SAFETY: statvfs writes into the zeroed struct we own; c_path is a valid C string.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    let result = unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) };
    if result != 0 {
        return Err(std::io::Error::last_os_error());
    }
    #[allow(clippy::unnecessary_cast)]
    Ok(stat.f_bavail as u64 * stat.f_frsize as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_free_disk() {
        let free = free_bytes(Path::new("/")).expect("statvfs /");
        assert!(free > 0);
        assert!(free_bytes(Path::new("/no/such/dir")).is_err());
    }
}
