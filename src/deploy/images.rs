//! The images a deployment runs: which are present, the service image's tag, and providing
//! the missing ones (pull, else bootstrap from Debian packages; build the service image).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::Context as _;
use bollard::Docker;

use crate::engine::desired::DesiredState;
use crate::images::bootstrap::{self, BootstrapOptions};
use crate::images::catalog::DEBIAN_BASE;
use crate::images::ensure::ensure_images;
use crate::images::progress::Progress;
use crate::images::service_image::{build_service_image, service_image_tag, ServiceImageSpec};

/// IDs of the images present, and the references that are missing.
pub async fn present(
    docker: &Docker,
    images: &[String],
) -> anyhow::Result<(HashMap<String, String>, Vec<String>)> {
    let mut ids = HashMap::new();
    let mut missing = Vec::new();
    for image in images {
        match docker.inspect_image(image).await {
            Ok(inspect) => {
                if let Some(id) = inspect.id {
                    ids.insert(image.clone(), id);
                }
            }
            Err(error) if crate::engine::ops::is_not_found(&error) => missing.push(image.clone()),
            Err(error) => {
                return Err(error).with_context(|| format!("cannot inspect image {image}"))
            }
        }
    }
    Ok((ids, missing))
}

/// Points services at the exact images a release ran when their tags have moved since;
/// returns the pinned images no longer on the Engine.
pub async fn pin(
    docker: &Docker,
    desired: &mut DesiredState,
    current: &HashMap<String, String>,
    pinned: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut missing = Vec::new();
    let mut retagged = HashMap::new();
    for (reference, id) in pinned {
        if current.get(reference) == Some(id) {
            continue;
        }
        if docker.inspect_image(id).await.is_ok() {
            retagged.insert(reference.clone(), id.clone());
        } else {
            missing.push(format!("{reference} ({id})"));
        }
    }
    desired.pin_images(&retagged);
    missing
}

/// The service image tag of this executable. Hashing the binary takes longer than a
/// no-op `up` should, so the tag is remembered per binary path, size and modification time.
pub async fn cached_service_image_tag(state_root: &Path) -> anyhow::Result<String> {
    let spec = ServiceImageSpec::from_current_exe()?;
    let metadata = std::fs::metadata(&spec.binary)
        .with_context(|| format!("cannot read {}", spec.binary.display()))?;
    let modified = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|since| since.as_nanos())
        .unwrap_or(0);
    let key = format!("{} {} {modified}", spec.binary.display(), metadata.len());
    let cache = state_root.join("service-image.cache");
    if let Ok(text) = std::fs::read_to_string(&cache) {
        if let Some((cached_key, tag)) = text.split_once('\n') {
            if cached_key == key && !tag.trim().is_empty() {
                return Ok(tag.trim().to_owned());
            }
        }
    }
    let tag = service_image_tag(&spec).await?;
    if let Err(error) =
        crate::state::write_private_file(&cache, format!("{key}\n{tag}\n").as_bytes())
    {
        tracing::debug!("cannot cache the service image tag: {error}");
    }
    Ok(tag)
}

/// Builds the service image and pulls, or else bootstraps, the others.
pub async fn provide(
    docker: &Docker,
    missing: &[String],
    service_image: &str,
    progress: &Progress,
) -> anyhow::Result<()> {
    let (service, others): (Vec<&String>, Vec<&String>) =
        missing.iter().partition(|image| *image == service_image);
    if !others.is_empty() {
        let refs: Vec<&str> = others.iter().map(|image| image.as_str()).collect();
        ensure_images(docker, &refs, &BootstrapOptions::default(), progress).await?;
    }
    if !service.is_empty() {
        if bootstrap::inspect(docker, DEBIAN_BASE).await?.is_none() {
            ensure_images(
                docker,
                &[DEBIAN_BASE],
                &BootstrapOptions::default(),
                progress,
            )
            .await?;
        }
        build_service_image(docker, &ServiceImageSpec::from_current_exe()?, progress).await?;
    }
    Ok(())
}
