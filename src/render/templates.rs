//! The handlebars registry: embedded templates, overridden by files in `./templates`.

use std::path::{Path, PathBuf};

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};

use crate::assets;

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template {name} ({source_name}) does not compile: {message}")]
    Compile {
        name: String,
        source_name: String,
        message: String,
    },
    #[error("cannot read template {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("rendering {name} failed: {message}")]
    Render { name: String, message: String },
}

/// Loads every template, each from `override_dir` when a file of that name is there.
pub fn registry(override_dir: Option<&Path>) -> Result<Handlebars<'static>, TemplateError> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(handlebars::no_escape);
    registry.register_helper("yaml", Box::new(yaml_helper));
    for asset in assets::TEMPLATES {
        let (text, source_name) = match override_dir.map(|dir| dir.join(asset.name)) {
            Some(path) if path.is_file() => {
                let text =
                    std::fs::read_to_string(&path).map_err(|source| TemplateError::Read {
                        path: path.display().to_string(),
                        source,
                    })?;
                (text, path.display().to_string())
            }
            _ => (
                asset.text.to_owned(),
                format!("<built-in>/templates/{}", asset.name),
            ),
        };
        let (name, text) = match asset.name.strip_suffix(".hbs") {
            Some("nginx-locations") => ("locations", text),
            Some(name) => (name, text),
            // A plain file (Grafana's `{{label}}` legends): its text comes out as it is.
            None => (asset.name, text.replace("{{", "\\{{")),
        };
        registry
            .register_template_string(name, text)
            .map_err(|error| TemplateError::Compile {
                name: name.to_owned(),
                source_name,
                message: error.to_string(),
            })?;
    }
    Ok(registry)
}

/// The default override directory: `./templates` when it exists.
pub fn default_override_dir(working_dir: &Path) -> Option<PathBuf> {
    let dir = working_dir.join("templates");
    dir.is_dir().then_some(dir)
}

/// `{{yaml value}}`: the value as a JSON scalar or flow collection (valid YAML), with `$`
/// doubled because compose would otherwise interpolate it.
fn yaml_helper(
    helper: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let value = helper
        .param(0)
        .ok_or(RenderErrorReason::ParamNotFoundForIndex("yaml", 0))?
        .value();
    let text = serde_json::to_string(value)
        .map_err(|error| RenderErrorReason::Other(error.to_string()))?;
    out.write(&text.replace('$', "$$"))?;
    Ok(())
}
