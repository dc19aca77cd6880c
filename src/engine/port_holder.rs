//! Who holds a host port the Engine could not publish: another container (asked of the
//! Engine) or, when the Engine runs on this host, a local process (from /proc).

use std::net::IpAddr;
use std::path::Path;

use bollard::query_parameters::ListContainersOptionsBuilder;
use bollard::Docker;

/// The `address:port` the Engine names in a failed port binding, e.g. from
/// "Bind for 127.0.0.1:8080 failed: port is already allocated" or
/// "listen tcp4 0.0.0.0:8080: bind: address already in use".
pub fn port_in_message(message: &str) -> Option<(String, u16)> {
    message.split_whitespace().find_map(|token| {
        let token = token.trim_end_matches([':', ',', ')']);
        let (host, port) = token.rsplit_once(':')?;
        let port: u16 = port.parse().ok()?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || bare.parse::<IpAddr>().is_ok() {
            Some((token.to_owned(), port))
        } else {
            None
        }
    })
}

/// A description of what holds `port`, excluding the container named `except`, if known.
pub async fn describe(docker: &Docker, port: u16, except: &str) -> Option<String> {
    if let Some(container) = container_publishing(docker, port, except).await {
        return Some(container);
    }
    if super::docker::engine_is_local() {
        return process_listening(Path::new("/proc"), port);
    }
    None
}

async fn container_publishing(docker: &Docker, port: u16, except: &str) -> Option<String> {
    let options = ListContainersOptionsBuilder::default().all(false).build();
    let containers = docker.list_containers(Some(options)).await.ok()?;
    containers.into_iter().find_map(|summary| {
        let publishes = summary
            .ports
            .unwrap_or_default()
            .iter()
            .any(|p| p.public_port == Some(port));
        let name = summary
            .names
            .unwrap_or_default()
            .first()
            .map(|n| n.trim_start_matches('/').to_owned())?;
        if !publishes || name == except {
            return None;
        }
        let project = summary
            .labels
            .unwrap_or_default()
            .get(super::labels::PROJECT)
            .map(|p| format!(" of project {p}"))
            .unwrap_or_default();
        Some(format!("container {name}{project}"))
    })
}

/// "process NAME (pid N)" for the process with a TCP socket listening on `port`.
pub fn process_listening(proc_root: &Path, port: u16) -> Option<String> {
    let inodes: Vec<u64> = ["net/tcp", "net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(proc_root.join(table)).ok())
        .flat_map(|text| listening_inodes(&text, port))
        .collect();
    if inodes.is_empty() {
        return None;
    }
    let wanted: Vec<String> = inodes.iter().map(|i| format!("socket:[{i}]")).collect();
    for entry in std::fs::read_dir(proc_root).ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        let holds = fds.flatten().any(|fd| {
            std::fs::read_link(fd.path())
                .is_ok_and(|target| wanted.iter().any(|w| target.as_os_str() == w.as_str()))
        });
        if holds {
            let name = std::fs::read_to_string(entry.path().join("comm"))
                .map(|c| c.trim().to_owned())
                .unwrap_or_else(|_| "?".into());
            return Some(format!("process {name} (pid {pid})"));
        }
    }
    Some("a process this user cannot inspect".into())
}

/// Socket inodes of a /proc/net/tcp table listening on `port`.
fn listening_inodes(table: &str, port: u16) -> Vec<u64> {
    const LISTEN: &str = "0A";
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local = fields.get(1)?;
            let (_, local_port) = local.rsplit_once(':')?;
            let listening = fields.get(3) == Some(&LISTEN);
            if listening && u16::from_str_radix(local_port, 16).ok()? == port {
                fields.get(9)?.parse().ok()
            } else {
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_port_in_the_engines_messages() {
        assert_eq!(
            port_in_message("driver failed programming external connectivity on endpoint x (abc): Bind for 127.0.0.1:8080 failed: port is already allocated"),
            Some(("127.0.0.1:8080".into(), 8080))
        );
        assert_eq!(
            port_in_message("Error starting userland proxy: listen tcp4 0.0.0.0:18443: bind: address already in use"),
            Some(("0.0.0.0:18443".into(), 18443))
        );
        assert_eq!(
            port_in_message("listen tcp6 [::]:9000: bind: address already in use"),
            Some(("[::]:9000".into(), 9000))
        );
        assert_eq!(port_in_message("no port here: at all"), None);
    }

    #[test]
    fn reads_listening_sockets_from_a_tcp_table() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0\n\
   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4243 1 0 100 0 0 10 0\n\
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 17 1 0 100 0 0 10 0\n";
        assert_eq!(listening_inodes(table, 8080), vec![4242]);
        assert_eq!(listening_inodes(table, 22), vec![17]);
        assert!(listening_inodes(table, 9090).is_empty());
    }

    #[test]
    fn names_the_process_listening_on_a_port() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let holder = process_listening(Path::new("/proc"), port).unwrap();
        assert!(
            holder.ends_with(&format!("(pid {})", std::process::id())),
            "{holder}"
        );
    }
}
