//! `tmctl images bootstrap`: makes the profile's base and third-party images from Debian
//! packages, for hosts that cannot reach a container registry.
//!
//! The base is debootstrap's minimal bookworm, imported through the Engine API. Each
//! stand-in is the base plus one layer: its packages are downloaded in a chroot of the cached
//! root filesystem, installed by a script in a scratch container without network, and the
//! container is committed with the official image's runtime configuration.

mod base;
pub mod mirror;
mod recipe;
pub mod rootfs;
mod standin;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bollard::Docker;

use crate::images::catalog::{bootstrappable_names, StandIn, DEBIAN_SUITE};
use crate::images::progress::Progress;
use crate::images::{labels, ImageError};
use rootfs::Rootfs;

#[derive(Debug, Clone, Default)]
pub struct BootstrapOptions {
    /// Debian mirror URL; the host's apt configuration when `None`.
    pub mirror: Option<String>,
    /// Where the root filesystem and packages are cached; see [`default_cache_dir`].
    pub cache_dir: Option<PathBuf>,
    /// Remake images that exist already.
    pub force: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Made by this run.
    Built,
    /// A bootstrapped image of the same recipe was there already.
    UpToDate,
    /// An image of that name from elsewhere (pulled, loaded) was there already.
    AlreadyPresent,
}

#[derive(Debug, Clone)]
pub struct Bootstrapped {
    pub image: String,
    pub outcome: Outcome,
    pub elapsed: Duration,
    /// Size of the image on the Engine, in bytes.
    pub size: i64,
}

/// `$XDG_CACHE_HOME/tmctl/bootstrap`, else `~/.cache/tmctl/bootstrap`.
pub fn default_cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("tmctl").join("bootstrap")
}

/// Bootstraps `images` (and the Debian base they need). Every name must be one of
/// [`StandIn::ALL`]; order of the result follows the order of building.
pub async fn bootstrap(
    docker: &Docker,
    images: &[&str],
    options: &BootstrapOptions,
    progress: &Progress,
) -> Result<Vec<Bootstrapped>, ImageError> {
    let mut wanted = Vec::new();
    for image in images {
        let standin = StandIn::for_image(image).ok_or_else(|| ImageError::NotBootstrappable {
            image: image.to_string(),
            known: bootstrappable_names(),
        })?;
        if !wanted.contains(&standin) {
            wanted.push(standin);
        }
    }
    wanted.sort();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let mirror = match &options.mirror {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => mirror::host_mirror()?,
    };
    let cache_dir = options.cache_dir.clone().unwrap_or_else(default_cache_dir);

    let mut todo = Vec::new();
    let mut results = Vec::new();
    for standin in &wanted {
        let recipe = recipe::of(*standin, &mirror);
        match existing(docker, standin.image(), &recipe).await? {
            Some(outcome) if !options.force => {
                results.push(Bootstrapped {
                    image: standin.image().to_string(),
                    outcome,
                    elapsed: Duration::ZERO,
                    size: image_size(docker, standin.image()).await?,
                });
            }
            _ => todo.push(*standin),
        }
    }
    if todo.is_empty() {
        return Ok(results);
    }

    let started = Instant::now();
    let spinner = progress.spinner(format!(
        "Debian {DEBIAN_SUITE} root filesystem from {mirror}"
    ));
    let rootfs = Rootfs::prepare(&cache_dir, &mirror).await;
    spinner.finish_and_clear();
    let rootfs = rootfs?;
    tracing::info!(elapsed = ?started.elapsed(), "root filesystem ready");

    let base_wanted = todo.contains(&StandIn::DebianBase);
    let base = base::ensure(docker, &rootfs, base_wanted, progress).await?;
    if base_wanted {
        results.push(Bootstrapped {
            image: StandIn::DebianBase.image().to_string(),
            outcome: Outcome::Built,
            elapsed: base.imported.unwrap_or_default(),
            size: image_size(docker, StandIn::DebianBase.image()).await?,
        });
    }

    let mut apt_updated = false;
    for standin in todo.into_iter().filter(|s| *s != StandIn::DebianBase) {
        let started = Instant::now();
        let spinner = progress.spinner(format!("{}: downloading Debian packages", standin.image()));
        let debs = rootfs.download_packages(standin, &mut apt_updated).await;
        spinner.finish_and_clear();
        let debs = debs?;
        let recipe = recipe::of(standin, &mirror);
        standin::build(
            docker,
            standin,
            &base.reference,
            &debs,
            &recipe,
            &mirror,
            progress,
        )
        .await?;
        let elapsed = started.elapsed();
        progress.announce(&format!(
            "bootstrapped {} in {:.0?}",
            standin.image(),
            elapsed
        ));
        results.push(Bootstrapped {
            image: standin.image().to_string(),
            outcome: Outcome::Built,
            elapsed,
            size: image_size(docker, standin.image()).await?,
        });
    }
    Ok(results)
}

/// What is there under `image` already, if anything keeps it from being bootstrapped.
async fn existing(
    docker: &Docker,
    image: &str,
    recipe: &str,
) -> Result<Option<Outcome>, ImageError> {
    let Some(inspect) = inspect(docker, image).await? else {
        return Ok(None);
    };
    let image_labels = inspect
        .config
        .and_then(|config| config.labels)
        .unwrap_or_default();
    let bootstrapped =
        image_labels.get(labels::ORIGIN).map(String::as_str) == Some(labels::ORIGIN_BOOTSTRAP);
    Ok(match (bootstrapped, image_labels.get(labels::RECIPE)) {
        (false, _) => Some(Outcome::AlreadyPresent),
        (true, Some(found)) if found == recipe => Some(Outcome::UpToDate),
        (true, _) => None,
    })
}

pub(crate) async fn inspect(
    docker: &Docker,
    image: &str,
) -> Result<Option<bollard::models::ImageInspect>, ImageError> {
    match docker.inspect_image(image).await {
        Ok(inspect) => Ok(Some(inspect)),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(None),
        Err(err) => Err(ImageError::docker(format!("inspecting image {image}"), err)),
    }
}

async fn image_size(docker: &Docker, image: &str) -> Result<i64, ImageError> {
    Ok(inspect(docker, image)
        .await?
        .and_then(|inspect| inspect.size)
        .unwrap_or(0))
}
