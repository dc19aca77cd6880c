//! `tmctl images build`: the service image, made from the running tmctl executable.

use std::collections::HashMap;
use std::path::PathBuf;

use bollard::query_parameters::{BuildImageOptionsBuilder, TagImageOptionsBuilder};
use bollard::{body_full, Docker};
use handlebars::Handlebars;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::bootstrap::inspect;
use super::catalog::DEBIAN_BASE;
use super::context::TarArchive;
use super::progress::Progress;
use super::run::finish_build;
use super::{labels, ImageError};
use crate::hex::hex;

const DOCKERFILE_TEMPLATE: &str = include_str!("../../templates/Dockerfile.hbs");

/// What the service image is made of.
#[derive(Debug, Clone)]
pub struct ServiceImageSpec {
    /// The tmctl executable copied into the image.
    pub binary: PathBuf,
    pub base_image: String,
    /// Repository part of the tag, e.g. `tmctl`.
    pub repository: String,
    pub version: String,
}

impl ServiceImageSpec {
    /// The running executable on `debian:bookworm-slim`, tagged `tmctl:<version>-<hash>`.
    pub fn from_current_exe() -> Result<Self, ImageError> {
        let binary =
            std::env::current_exe().map_err(|e| ImageError::io("<current executable>", e))?;
        Ok(ServiceImageSpec {
            binary,
            base_image: DEBIAN_BASE.to_string(),
            repository: "tmctl".to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct ServiceImage {
    /// `repository:version-hash`, unique to the binary and Dockerfile.
    pub tag: String,
    /// `repository:version`, moved to the newest build.
    pub version_tag: String,
    /// False when an image with the same content hash existed and nothing was built.
    pub built: bool,
}

pub fn render_dockerfile(spec: &ServiceImageSpec) -> Result<String, ImageError> {
    let mut handlebars = Handlebars::new();
    handlebars.set_strict_mode(true);
    handlebars.register_escape_fn(handlebars::no_escape);
    handlebars
        .render_template(
            DOCKERFILE_TEMPLATE,
            &json!({ "base_image": spec.base_image, "version": spec.version }),
        )
        .map_err(|e| ImageError::Template {
            template: "templates/Dockerfile.hbs".into(),
            reason: e.to_string(),
        })
}

async fn contents(spec: &ServiceImageSpec) -> Result<(String, Vec<u8>, String), ImageError> {
    let dockerfile = render_dockerfile(spec)?;
    let binary = tokio::fs::read(&spec.binary)
        .await
        .map_err(|e| ImageError::io(&spec.binary, e))?;
    let hash = content_hash(&dockerfile, &binary);
    Ok((dockerfile, binary, hash))
}

/// The tag [`build_service_image`] gives this binary, without building anything.
pub async fn service_image_tag(spec: &ServiceImageSpec) -> Result<String, ImageError> {
    let (_, _, hash) = contents(spec).await?;
    Ok(format!(
        "{}:{}-{}",
        spec.repository,
        spec.version,
        &hash[..12]
    ))
}

/// Builds the service image unless one with the same content hash exists.
pub async fn build_service_image(
    docker: &Docker,
    spec: &ServiceImageSpec,
    progress: &Progress,
) -> Result<ServiceImage, ImageError> {
    let (dockerfile, binary, hash) = contents(spec).await?;
    let tag = format!("{}:{}-{}", spec.repository, spec.version, &hash[..12]);
    let version_tag = format!("{}:{}", spec.repository, spec.version);

    let built = if inspect(docker, &tag).await?.is_some() {
        tracing::info!(%tag, "service image with this content hash exists; not rebuilding");
        false
    } else {
        let mut context = TarArchive::new();
        context.add_bytes("Dockerfile", dockerfile.as_bytes(), 0o644)?;
        context.add_bytes("tmctl", &binary, 0o755)?;
        let context = context.finish()?;
        let build_labels: HashMap<&str, &str> = [
            (labels::ORIGIN, labels::ORIGIN_BUILD),
            (labels::RECIPE, hash.as_str()),
            (labels::VERSION, spec.version.as_str()),
        ]
        .into_iter()
        .collect();
        let options = BuildImageOptionsBuilder::default()
            .dockerfile("Dockerfile")
            .t(&tag)
            .rm(true)
            .forcerm(true)
            .labels(&build_labels)
            .build();
        let bar = progress.spinner(format!("building {tag}"));
        let result = finish_build(
            &tag,
            docker.build_image(options, None, Some(body_full(context.into()))),
            &bar,
        )
        .await;
        bar.finish_and_clear();
        result?;
        progress.announce(&format!("built {tag}"));
        true
    };
    let (repo, version) = version_tag
        .split_once(':')
        .unwrap_or((&spec.repository, "latest"));
    docker
        .tag_image(
            &tag,
            Some(
                TagImageOptionsBuilder::default()
                    .repo(repo)
                    .tag(version)
                    .build(),
            ),
        )
        .await
        .map_err(|e| ImageError::docker(format!("tagging {tag} as {version_tag}"), e))?;
    Ok(ServiceImage {
        tag,
        version_tag,
        built,
    })
}

fn content_hash(dockerfile: &str, binary: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(dockerfile.as_bytes());
    hasher.update([0]);
    hasher.update(binary);
    hex(&hasher.finalize())
}
