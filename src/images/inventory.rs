//! `tmctl images ls`: which of a profile's images are present, where they came from, size.

use std::fmt;

use bollard::Docker;

use super::bootstrap::inspect;
use super::{labels, ImageError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Built by `tmctl images bootstrap` from Debian packages.
    Bootstrapped,
    /// The service image built by `tmctl images build`.
    Built,
    /// Pulled from a registry (the image has a registry digest).
    Pulled,
    /// Present without registry digest or tmctl label (loaded from an archive, built by hand).
    Local,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Bootstrapped => "bootstrapped",
            Origin::Built => "built",
            Origin::Pulled => "pulled",
            Origin::Local => "local",
        })
    }
}

#[derive(Debug, Clone)]
pub struct ImageStatus {
    pub image: String,
    /// `None` when the image is missing.
    pub present: Option<PresentImage>,
}

#[derive(Debug, Clone)]
pub struct PresentImage {
    pub id: String,
    pub origin: Origin,
    pub size: i64,
}

pub async fn list(docker: &Docker, images: &[&str]) -> Result<Vec<ImageStatus>, ImageError> {
    let mut statuses = Vec::new();
    for image in images {
        let present = inspect(docker, image).await?.map(|inspect| {
            let image_labels = inspect
                .config
                .as_ref()
                .and_then(|config| config.labels.clone())
                .unwrap_or_default();
            let origin = match image_labels.get(labels::ORIGIN).map(String::as_str) {
                Some(labels::ORIGIN_BOOTSTRAP) => Origin::Bootstrapped,
                Some(labels::ORIGIN_BUILD) => Origin::Built,
                _ if inspect.repo_digests.as_ref().is_some_and(|d| !d.is_empty()) => Origin::Pulled,
                _ => Origin::Local,
            };
            PresentImage {
                id: inspect.id.unwrap_or_default(),
                origin,
                size: inspect.size.unwrap_or(0),
            }
        });
        statuses.push(ImageStatus {
            image: image.to_string(),
            present,
        });
    }
    Ok(statuses)
}

/// A table for the terminal: IMAGE, PRESENT, ORIGIN, SIZE.
pub fn render_table(statuses: &[ImageStatus]) -> String {
    let width = statuses
        .iter()
        .map(|s| s.image.len())
        .max()
        .unwrap_or(0)
        .max("IMAGE".len());
    let mut out = format!(
        "{:<width$}  {:<7}  {:<12}  {:>9}\n",
        "IMAGE", "PRESENT", "ORIGIN", "SIZE"
    );
    for status in statuses {
        let (present, origin, size) = match &status.present {
            Some(p) => ("yes", p.origin.to_string(), human_size(p.size)),
            None => ("no", "-".to_string(), "-".to_string()),
        };
        out.push_str(&format!(
            "{:<width$}  {:<7}  {:<12}  {:>9}\n",
            status.image, present, origin, size
        ));
    }
    out
}

/// An image id as `docker images` shows it: the first 12 hex digits, without `sha256:`.
pub fn short_id(id: &str) -> String {
    id.strip_prefix("sha256:")
        .unwrap_or(id)
        .chars()
        .take(12)
        .collect()
}

pub fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["B", "kB", "MB", "GB"];
    let mut value = bytes.max(0) as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_docker_images() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(74_800_000), "74.8 MB");
        assert_eq!(human_size(1_250_000_000), "1.2 GB");
    }
}
