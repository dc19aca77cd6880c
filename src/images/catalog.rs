//! The images tmctl can make itself from Debian bookworm packages ("stand-ins"), each
//! honouring the contract of the official image whose name it carries.

use std::collections::HashMap;

use bollard::models::ContainerConfig;

/// Name of the Debian base image: base of the service image and of every stand-in.
pub const DEBIAN_BASE: &str = "debian:bookworm-slim";
/// The Debian release the stand-ins are made from; its package versions match the tags.
pub const DEBIAN_SUITE: &str = "bookworm";

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A file placed in the stand-in's staging directory for its install script.
pub struct StageFile {
    pub name: &'static str,
    pub contents: &'static str,
    pub mode: u32,
}

/// An image that can be bootstrapped from Debian packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StandIn {
    DebianBase,
    Postgres,
    Redis,
    Nginx,
    Prometheus,
    Alertmanager,
    PostgresExporter,
    RedisExporter,
    NginxExporter,
    NodeExporter,
}

impl StandIn {
    pub const ALL: [StandIn; 10] = [
        StandIn::DebianBase,
        StandIn::Postgres,
        StandIn::Redis,
        StandIn::Nginx,
        StandIn::Prometheus,
        StandIn::Alertmanager,
        StandIn::PostgresExporter,
        StandIn::RedisExporter,
        StandIn::NginxExporter,
        StandIn::NodeExporter,
    ];

    /// The stand-in for an image reference, accepting Docker Hub's long forms
    /// (`docker.io/library/redis:7`, `library/redis:7`).
    pub fn for_image(image: &str) -> Option<StandIn> {
        let short = normalize_reference(image);
        StandIn::ALL
            .into_iter()
            .find(|standin| standin.image() == short)
    }

    /// The exact image name the profiles use.
    pub fn image(self) -> &'static str {
        match self {
            StandIn::DebianBase => DEBIAN_BASE,
            StandIn::Postgres => "postgres:15",
            StandIn::Redis => "redis:7",
            StandIn::Nginx => "nginx:1.22",
            StandIn::Prometheus => "prom/prometheus:v2.42.0",
            StandIn::Alertmanager => "prom/alertmanager:v0.25.0",
            StandIn::PostgresExporter => "prometheuscommunity/postgres-exporter:v0.11.1",
            StandIn::RedisExporter => "oliver006/redis_exporter:v1.45.0",
            StandIn::NginxExporter => "nginx/nginx-prometheus-exporter:0.11.0",
            StandIn::NodeExporter => "prom/node-exporter:v1.5.0",
        }
    }

    /// Short name for caches, container names and messages.
    pub fn key(self) -> &'static str {
        match self {
            StandIn::DebianBase => "debian",
            StandIn::Postgres => "postgres",
            StandIn::Redis => "redis",
            StandIn::Nginx => "nginx",
            StandIn::Prometheus => "prometheus",
            StandIn::Alertmanager => "alertmanager",
            StandIn::PostgresExporter => "postgres-exporter",
            StandIn::RedisExporter => "redis-exporter",
            StandIn::NginxExporter => "nginx-exporter",
            StandIn::NodeExporter => "node-exporter",
        }
    }

    /// Debian packages installed on top of the base (none for the base itself).
    pub fn packages(self) -> &'static [&'static str] {
        match self {
            StandIn::DebianBase => &[],
            StandIn::Postgres => &["postgresql-15"],
            StandIn::Redis => &["redis-server"],
            StandIn::Nginx => &["nginx", "curl"],
            StandIn::Prometheus => &["prometheus", "wget"],
            // wget for the healthchecks, as the official images' busybox has it.
            StandIn::Alertmanager => &["prometheus-alertmanager", "wget"],
            StandIn::PostgresExporter => &["prometheus-postgres-exporter", "wget"],
            StandIn::RedisExporter => &["prometheus-redis-exporter", "wget"],
            StandIn::NginxExporter => &["prometheus-nginx-exporter", "wget"],
            StandIn::NodeExporter => &["prometheus-node-exporter", "wget"],
        }
    }

    /// Shell script run in a scratch container from the base to install and arrange the image.
    pub fn install_script(self) -> &'static str {
        match self {
            StandIn::DebianBase => "",
            StandIn::Postgres => include_str!("../../templates/stand-ins/postgres-install.sh"),
            StandIn::Redis => include_str!("../../templates/stand-ins/redis-install.sh"),
            StandIn::Nginx => include_str!("../../templates/stand-ins/nginx-install.sh"),
            StandIn::Prometheus => {
                include_str!("../../templates/stand-ins/prometheus-install.sh")
            }
            StandIn::Alertmanager => {
                include_str!("../../templates/stand-ins/alertmanager-install.sh")
            }
            StandIn::PostgresExporter
            | StandIn::RedisExporter
            | StandIn::NginxExporter
            | StandIn::NodeExporter => {
                include_str!("../../templates/stand-ins/exporter-install.sh")
            }
        }
    }

    /// Files the install script copies into the image.
    pub fn stage_files(self) -> Vec<StageFile> {
        let lib = StageFile {
            name: "lib.sh",
            contents: include_str!("../../templates/stand-ins/lib.sh"),
            mode: 0o644,
        };
        let mut files = vec![lib];
        let extra: &[(&'static str, &'static str, u32)] = match self {
            StandIn::DebianBase => &[],
            StandIn::Postgres => &[(
                "files/docker-entrypoint.sh",
                include_str!("../../templates/stand-ins/postgres-entrypoint.sh"),
                0o755,
            )],
            StandIn::Redis => &[(
                "files/docker-entrypoint.sh",
                include_str!("../../templates/stand-ins/redis-entrypoint.sh"),
                0o755,
            )],
            StandIn::Nginx => &[
                (
                    "files/nginx.conf",
                    include_str!("../../templates/stand-ins/nginx.conf"),
                    0o644,
                ),
                (
                    "files/default.conf",
                    include_str!("../../templates/stand-ins/default.conf"),
                    0o644,
                ),
                (
                    "files/index.html",
                    include_str!("../../templates/stand-ins/index.html"),
                    0o644,
                ),
            ],
            StandIn::Prometheus => &[(
                "files/prometheus.yml",
                include_str!("../../templates/stand-ins/prometheus.yml"),
                0o644,
            )],
            StandIn::Alertmanager => &[(
                "files/alertmanager.yml",
                include_str!("../../templates/stand-ins/alertmanager.yml"),
                0o644,
            )],
            StandIn::PostgresExporter
            | StandIn::RedisExporter
            | StandIn::NginxExporter
            | StandIn::NodeExporter => &[],
        };
        files.extend(extra.iter().map(|&(name, contents, mode)| StageFile {
            name,
            contents,
            mode,
        }));
        files
    }

    /// Runtime configuration matching the official image (entrypoint, command, user, ports...).
    /// Labels are added by the bootstrapper.
    pub fn runtime_config(self) -> ContainerConfig {
        let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let base = ContainerConfig {
            env: Some(vec![format!("PATH={DEFAULT_PATH}")]),
            cmd: Some(strings(&["bash"])),
            labels: Some(HashMap::new()),
            ..Default::default()
        };
        match self {
            StandIn::DebianBase => base,
            StandIn::Postgres => ContainerConfig {
                env: Some(vec![
                    format!("PATH=/usr/lib/postgresql/15/bin:{DEFAULT_PATH}"),
                    "PG_MAJOR=15".into(),
                    "PGDATA=/var/lib/postgresql/data".into(),
                    "LANG=C.UTF-8".into(),
                ]),
                entrypoint: Some(strings(&["docker-entrypoint.sh"])),
                cmd: Some(strings(&["postgres"])),
                exposed_ports: Some(strings(&["5432/tcp"])),
                volumes: Some(strings(&["/var/lib/postgresql/data"])),
                stop_signal: Some("SIGINT".into()),
                ..base
            },
            StandIn::Redis => ContainerConfig {
                entrypoint: Some(strings(&["docker-entrypoint.sh"])),
                cmd: Some(strings(&["redis-server"])),
                working_dir: Some("/data".into()),
                exposed_ports: Some(strings(&["6379/tcp"])),
                volumes: Some(strings(&["/data"])),
                ..base
            },
            StandIn::Nginx => ContainerConfig {
                cmd: Some(strings(&["nginx", "-g", "daemon off;"])),
                exposed_ports: Some(strings(&["80/tcp"])),
                stop_signal: Some("SIGQUIT".into()),
                ..base
            },
            StandIn::Prometheus => stateful_server(
                base,
                "/bin/prometheus",
                &[
                    "--config.file=/etc/prometheus/prometheus.yml",
                    "--storage.tsdb.path=/prometheus",
                    "--web.console.libraries=/usr/share/prometheus/console_libraries",
                    "--web.console.templates=/usr/share/prometheus/consoles",
                ],
                "/prometheus",
                "9090/tcp",
            ),
            StandIn::Alertmanager => stateful_server(
                base,
                "/bin/alertmanager",
                &[
                    "--config.file=/etc/alertmanager/alertmanager.yml",
                    "--storage.path=/alertmanager",
                ],
                "/alertmanager",
                "9093/tcp",
            ),
            StandIn::PostgresExporter => exporter(base, "/bin/postgres_exporter", "9187/tcp"),
            StandIn::RedisExporter => exporter(base, "/redis_exporter", "9121/tcp"),
            StandIn::NginxExporter => {
                exporter(base, "/usr/bin/nginx-prometheus-exporter", "9113/tcp")
            }
            StandIn::NodeExporter => exporter(base, "/bin/node_exporter", "9100/tcp"),
        }
    }
}

/// An exporter: one binary as entrypoint, no arguments, run as nobody.
/// A server running as nobody with its data in the volume `data_dir`, which is also its
/// working directory.
fn stateful_server(
    base: ContainerConfig,
    binary: &str,
    args: &[&str],
    data_dir: &str,
    port: &str,
) -> ContainerConfig {
    ContainerConfig {
        entrypoint: Some(vec![binary.to_owned()]),
        cmd: Some(args.iter().map(|arg| (*arg).to_owned()).collect()),
        user: Some("nobody".into()),
        working_dir: Some(data_dir.into()),
        exposed_ports: Some(vec![port.to_owned()]),
        volumes: Some(vec![data_dir.to_owned()]),
        ..base
    }
}

fn exporter(base: ContainerConfig, binary: &str, port: &str) -> ContainerConfig {
    ContainerConfig {
        entrypoint: Some(vec![binary.to_owned()]),
        cmd: None,
        user: Some("nobody".into()),
        exposed_ports: Some(vec![port.to_owned()]),
        ..base
    }
}

/// Names of every image that can be bootstrapped, for messages.
pub fn bootstrappable_names() -> String {
    StandIn::ALL
        .iter()
        .map(|standin| standin.image())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Strips Docker Hub's implicit registry and `library/` prefix and adds `:latest` when no tag.
pub fn normalize_reference(image: &str) -> String {
    let trimmed = image
        .strip_prefix("docker.io/")
        .or_else(|| image.strip_prefix("index.docker.io/"))
        .unwrap_or(image);
    let trimmed = trimmed.strip_prefix("library/").unwrap_or(trimmed);
    let (name, tag) = split_reference(trimmed);
    format!("{name}:{tag}")
}

/// Splits `name[:tag]` (a registry port is not a tag) into name and tag, `latest` by default.
pub fn split_reference(image: &str) -> (&str, &str) {
    let without_digest = image.split('@').next().unwrap_or(image);
    match without_digest.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, tag),
        _ => (without_digest, "latest"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_hub_names_find_their_stand_in() {
        assert_eq!(
            StandIn::for_image("docker.io/library/redis:7"),
            Some(StandIn::Redis)
        );
        assert_eq!(
            StandIn::for_image("prom/prometheus:v2.42.0"),
            Some(StandIn::Prometheus)
        );
        assert_eq!(StandIn::for_image("redis:6"), None);
        assert_eq!(StandIn::for_image("redis"), None);
    }

    #[test]
    fn registry_port_is_not_a_tag() {
        assert_eq!(
            split_reference("localhost:5000/app"),
            ("localhost:5000/app", "latest")
        );
        assert_eq!(
            split_reference("localhost:5000/app:1"),
            ("localhost:5000/app", "1")
        );
    }
}
