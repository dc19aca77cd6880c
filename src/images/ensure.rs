//! What `tmctl up` does for a missing image: pull; if the registry cannot be reached,
//! bootstrap from Debian packages (announced); if that is impossible too, one clear error.

use bollard::Docker;

use super::bootstrap::{self, inspect, BootstrapOptions};
use super::catalog::{bootstrappable_names, StandIn};
use super::progress::Progress;
use super::pull::pull_image;
use super::ImageError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Obtained {
    AlreadyPresent,
    Pulled,
    Bootstrapped,
}

/// Makes every image of `images` present; returns how each was obtained, in order.
pub async fn ensure_images(
    docker: &Docker,
    images: &[&str],
    options: &BootstrapOptions,
    progress: &Progress,
) -> Result<Vec<(String, Obtained)>, ImageError> {
    let mut obtained = Vec::new();
    for image in images {
        let how = ensure_image(docker, image, options, progress).await?;
        obtained.push((image.to_string(), how));
    }
    Ok(obtained)
}

pub async fn ensure_image(
    docker: &Docker,
    image: &str,
    options: &BootstrapOptions,
    progress: &Progress,
) -> Result<Obtained, ImageError> {
    if inspect(docker, image).await?.is_some() {
        return Ok(Obtained::AlreadyPresent);
    }
    let pull_error = match pull_image(docker, image, progress).await {
        Ok(()) => return Ok(Obtained::Pulled),
        Err(ImageError::RegistryUnreachable { reason, .. }) => reason,
        Err(other) => return Err(other),
    };
    if StandIn::for_image(image).is_none() {
        return Err(ImageError::Unobtainable {
            image: image.to_string(),
            pull_error: format!("registry unreachable: {pull_error}"),
            bootstrap_error: format!(
                "no Debian stand-in exists for it (only for {})",
                bootstrappable_names()
            ),
        });
    }
    progress.announce(&format!(
        "{image}: the registry cannot be reached; bootstrapping it from Debian packages instead"
    ));
    match bootstrap::bootstrap(docker, &[image], options, progress).await {
        Ok(_) => Ok(Obtained::Bootstrapped),
        Err(err) => Err(ImageError::Unobtainable {
            image: image.to_string(),
            pull_error: format!("registry unreachable: {pull_error}"),
            bootstrap_error: err.to_string(),
        }),
    }
}
