//! The files `up` copies into containers: the gateway's nginx config (for any set of
//! upstream servers) and TLS material, and the monitoring services' configuration.

use std::collections::BTreeMap;

use anyhow::Context as _;
use bollard::Docker;

use super::Project;
use crate::engine::desired::{DeliveredFile, FileSet, GatewayFiles};
use crate::engine::plan::ReloadKind;
use crate::engine::tls;
use crate::render::{self, templates, RenderOptions};

/// Where the gateway's files go in its containers.
const GATEWAY_DIRECTORY: &str = "/etc/nginx";

/// The router's configuration, relative to the gateway directory.
pub const ROUTER_CONF: &str = "router.conf";

/// The gateway's files as a function of its upstream servers.
pub async fn gateway(docker: &Docker, project: &Project) -> anyhow::Result<Option<GatewayFiles>> {
    let Some(gateway) = project.loaded.profile.gateway.clone() else {
        return Ok(None);
    };
    let tls = match &gateway.tls {
        None => None,
        Some(settings) => Some(match (&settings.cert, &settings.key) {
            (Some(cert), Some(key)) => tls::read_pair(cert, key)?,
            _ => super::state::self_signed_certificate(docker, project).await?,
        }),
    };
    let registry =
        templates::registry(templates::default_override_dir(&project.working_dir).as_deref())?;
    let loaded = project.loaded.clone();
    let state = project.state.clone();
    let name = project.name.clone();
    let upstream_port = gateway.upstream.port;
    let render = move |servers: &[String]| -> Result<FileSet, String> {
        let mut options = RenderOptions::new(&name, "/etc/nginx");
        options.upstream_servers = Some(if servers.is_empty() {
            // nginx needs at least one server; with the service scaled to zero it answers 502.
            vec![format!("127.0.0.1:{upstream_port}")]
        } else {
            servers.to_vec()
        });
        let (edge, router) = render::render_gateway(&registry, &loaded, &state, &options)
            .map_err(|error| error.to_string())?
            .unwrap_or_default();
        let mut files = vec![
            DeliveredFile {
                path: "nginx.conf".into(),
                contents: edge.into_bytes(),
                mode: 0o644,
            },
            DeliveredFile {
                path: ROUTER_CONF.into(),
                contents: router.into_bytes(),
                mode: 0o644,
            },
        ];
        if let Some((cert, key)) = &tls {
            files.push(DeliveredFile {
                path: "tls/tls.crt".into(),
                contents: cert.clone().into_bytes(),
                mode: 0o644,
            });
            // nginx reads the key as root before it drops privileges.
            files.push(DeliveredFile {
                path: "tls/tls.key".into(),
                contents: key.clone().into_bytes(),
                mode: 0o600,
            });
        }
        Ok(FileSet {
            directory: GATEWAY_DIRECTORY.into(),
            files,
            reload: ReloadKind::Nginx,
        })
    };
    // Render once now so a template error stops `up` before anything changes.
    render(&[])
        .map_err(anyhow::Error::msg)
        .context("cannot render the gateway's nginx configuration")?;
    Ok(Some(GatewayFiles::new(
        &gateway.service,
        GATEWAY_DIRECTORY,
        &gateway.upstream.service,
        upstream_port,
        Box::new(render),
    )))
}

/// The monitoring services' rendered files, by service: Prometheus' configuration and
/// rules and Alertmanager's configuration (applied through their reload endpoints), and
/// Grafana's provisioning (applied by a restart).
pub fn monitoring(project: &Project) -> anyhow::Result<BTreeMap<String, FileSet>> {
    let mut sets = BTreeMap::new();
    let Some(settings) = project.loaded.profile.monitoring.as_ref() else {
        return Ok(sets);
    };
    let registry =
        templates::registry(templates::default_override_dir(&project.working_dir).as_deref())?;
    let options = RenderOptions::new(
        &project.name,
        &project.state.rendered_dir().display().to_string(),
    );
    let rendered = render::render_monitoring(&registry, &project.loaded, &project.state, &options)
        .context("cannot render the monitoring configuration")?;
    let services = [
        (
            settings.prometheus.as_ref().map(|p| &p.service),
            "/etc/prometheus",
            rendered.prometheus,
            ReloadKind::HttpPost {
                port: 9090,
                path: "/-/reload".into(),
            },
        ),
        (
            settings.alertmanager.as_ref().map(|a| &a.service),
            "/etc/alertmanager",
            rendered.alertmanager,
            ReloadKind::HttpPost {
                port: 9093,
                path: "/-/reload".into(),
            },
        ),
        (
            settings.grafana.as_ref().map(|g| &g.service),
            "/etc/grafana/provisioning",
            rendered.grafana,
            ReloadKind::Restart,
        ),
    ];
    for (service, directory, files, reload) in services {
        let Some(service) = service else {
            continue;
        };
        if files.is_empty() {
            continue;
        }
        let files = files
            .into_iter()
            .map(|(path, contents)| DeliveredFile {
                path,
                contents: contents.into_bytes(),
                mode: 0o644,
            })
            .collect();
        sets.insert(
            service.clone(),
            FileSet {
                directory: directory.into(),
                files,
                reload,
            },
        );
    }
    Ok(sets)
}
