//! Rendering a profile into the files a person reviews or another tool runs:
//! docker-compose.yml, nginx.conf, prometheus.yml with its alert rules, alertmanager.yml,
//! Grafana's provisioning and dashboards, .env.example, and the Dockerfile of the service
//! image.

pub mod context;
pub mod monitoring;
pub mod templates;

use std::path::Path;

use handlebars::Handlebars;
use serde_json::Value;

use crate::profile::LoadedProfile;
use crate::state::ProjectState;
pub use context::RenderOptions;
pub use templates::TemplateError;

/// One rendered file.
#[derive(Debug, Clone)]
pub struct RenderedFile {
    /// Path relative to the output directory.
    pub name: String,
    pub contents: String,
}

/// The monitoring services' files, each relative to the directory of its service's
/// configuration in the container (`/etc/prometheus`, `/etc/alertmanager`,
/// `/etc/grafana/provisioning`).
#[derive(Debug, Clone, Default)]
pub struct MonitoringFiles {
    pub prometheus: Vec<(String, String)>,
    pub alertmanager: Vec<(String, String)>,
    pub grafana: Vec<(String, String)>,
}

fn render(registry: &Handlebars, name: &str, data: &Value) -> Result<String, TemplateError> {
    let mut text = registry
        .render(name, data)
        .map_err(|error| TemplateError::Render {
            name: name.to_owned(),
            message: error.to_string(),
        })?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// Renders every file the profile needs, in a fixed order.
pub fn render_all(
    registry: &Handlebars,
    loaded: &LoadedProfile,
    state: &ProjectState,
    options: &RenderOptions,
) -> Result<Vec<RenderedFile>, TemplateError> {
    let profile = &loaded.profile;
    let mut files = vec![RenderedFile {
        name: "docker-compose.yml".into(),
        contents: render(
            registry,
            "docker-compose.yml",
            &context::compose(profile, state, options),
        )?,
    }];
    if let Some(nginx) = context::nginx(profile, state, options) {
        files.push(RenderedFile {
            name: "nginx.conf".into(),
            contents: render(registry, "nginx.conf", &nginx)?,
        });
    }
    if let Some(router) = context::router(profile, options) {
        files.push(RenderedFile {
            name: "router.conf".into(),
            contents: render(registry, "router.conf", &router)?,
        });
    }
    let monitoring = render_monitoring(registry, loaded, state, options)?;
    let host_name = |service: &str, path: &str| -> String {
        match (service, path) {
            ("prometheus", monitoring::RULES_FILE) => "alert-rules.yml".to_owned(),
            ("grafana", "datasources/tmctl.yml") => "grafana-datasource.yml".to_owned(),
            ("grafana", "dashboards/tmctl.yml") => "grafana-dashboards.yml".to_owned(),
            ("grafana", path) => path
                .strip_prefix(monitoring::DASHBOARDS_DIR)
                .map_or_else(|| path.to_owned(), |rest| format!("dashboards{rest}")),
            (_, path) => path.to_owned(),
        }
    };
    for (service, list) in [
        ("prometheus", &monitoring.prometheus),
        ("alertmanager", &monitoring.alertmanager),
        ("grafana", &monitoring.grafana),
    ] {
        for (path, contents) in list {
            files.push(RenderedFile {
                name: host_name(service, path),
                contents: contents.clone(),
            });
        }
    }
    files.push(RenderedFile {
        name: ".env.example".into(),
        contents: render(
            registry,
            "env.example",
            &context::env_example(loaded, state, options),
        )?,
    });
    Ok(files)
}

/// Prometheus' configuration and rules, Alertmanager's configuration, Grafana's
/// provisioning and dashboards: what the profile's monitoring section asks for.
pub fn render_monitoring(
    registry: &Handlebars,
    loaded: &LoadedProfile,
    state: &ProjectState,
    options: &RenderOptions,
) -> Result<MonitoringFiles, TemplateError> {
    let profile = &loaded.profile;
    let mut files = MonitoringFiles::default();
    // (context, template, file name in the container's configuration directory)
    let prometheus = [
        (
            context::prometheus(profile, state, options),
            "prometheus.yml",
            "prometheus.yml",
        ),
        (
            monitoring::alert_rules(profile, options),
            "alert-rules.yml",
            monitoring::RULES_FILE,
        ),
    ];
    let alertmanager = [(
        monitoring::alertmanager(profile, options),
        "alertmanager.yml",
        "alertmanager.yml",
    )];
    let grafana = [(
        context::grafana(profile, state, options),
        "grafana-datasource.yml",
        "datasources/tmctl.yml",
    )];
    for (target, sources) in [
        (&mut files.prometheus, &prometheus[..]),
        (&mut files.alertmanager, &alertmanager[..]),
        (&mut files.grafana, &grafana[..]),
    ] {
        for (data, template, name) in sources {
            if let Some(data) = data {
                target.push(((*name).into(), render(registry, template, data)?));
            }
        }
    }
    if let Some(data) = monitoring::grafana_dashboards(profile, options) {
        files.grafana.push((
            "dashboards/tmctl.yml".into(),
            render(registry, "grafana-dashboards.yml", &data)?,
        ));
        let source = render(registry, "dashboards.yaml", &serde_json::json!({}))?;
        let dashboards = monitoring::parse_dashboards(&source, "templates/dashboards.yaml")
            .map_err(|message| TemplateError::Render {
                name: "dashboards.yaml".into(),
                message,
            })?;
        for dashboard in &dashboards {
            files.grafana.push((
                format!("{}/{}.json", monitoring::DASHBOARDS_DIR, dashboard.uid),
                monitoring::dashboard_json(dashboard),
            ));
        }
    }
    Ok(files)
}

/// The gateway's two nginx configurations: the edge's `nginx.conf` and the router's
/// `router.conf` (whose upstream servers are `options.upstream_servers`).
pub fn render_gateway(
    registry: &Handlebars,
    loaded: &LoadedProfile,
    state: &ProjectState,
    options: &RenderOptions,
) -> Result<Option<(String, String)>, TemplateError> {
    let (Some(edge), Some(router)) = (
        context::nginx(&loaded.profile, state, options),
        context::router(&loaded.profile, options),
    ) else {
        return Ok(None);
    };
    Ok(Some((
        render(registry, "nginx.conf", &edge)?,
        render(registry, "router.conf", &router)?,
    )))
}

/// Writes rendered files into `directory`.
pub fn write_files(
    directory: &Path,
    files: &[RenderedFile],
) -> Result<(), crate::state::StateError> {
    for file in files {
        crate::state::write_public_file(&directory.join(&file.name), file.contents.as_bytes())?;
    }
    Ok(())
}
