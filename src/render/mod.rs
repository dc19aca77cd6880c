//! Rendering a profile into the files a person reviews or another tool runs:
//! docker-compose.yml, nginx.conf, prometheus.yml, grafana datasource, .env.example, and
//! the Dockerfile of the service image.

pub mod context;
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
    pub name: &'static str,
    pub contents: String,
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
        name: "docker-compose.yml",
        contents: render(
            registry,
            "docker-compose.yml",
            &context::compose(profile, state, options),
        )?,
    }];
    if let Some(nginx) = context::nginx(profile, state, options) {
        files.push(RenderedFile {
            name: "nginx.conf",
            contents: render(registry, "nginx.conf", &nginx)?,
        });
    }
    if let Some(router) = context::router(profile, options) {
        files.push(RenderedFile {
            name: "router.conf",
            contents: render(registry, "router.conf", &router)?,
        });
    }
    if let Some(prometheus) = context::prometheus(profile, state, options) {
        files.push(RenderedFile {
            name: "prometheus.yml",
            contents: render(registry, "prometheus.yml", &prometheus)?,
        });
    }
    if let Some(grafana) = context::grafana(profile, state, options) {
        files.push(RenderedFile {
            name: "grafana-datasource.yml",
            contents: render(registry, "grafana-datasource.yml", &grafana)?,
        });
    }
    files.push(RenderedFile {
        name: ".env.example",
        contents: render(
            registry,
            "env.example",
            &context::env_example(loaded, state, options),
        )?,
    });
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
        crate::state::write_public_file(&directory.join(file.name), file.contents.as_bytes())?;
    }
    Ok(())
}
