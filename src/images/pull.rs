//! `tmctl images pull`: third-party images from their registry, one progress bar per layer.

use std::collections::HashMap;

use bollard::query_parameters::CreateImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use indicatif::ProgressBar;

use super::catalog::split_reference;
use super::progress::Progress;
use super::ImageError;

/// Words in the Engine's pull errors that mean the registry itself could not be reached.
const UNREACHABLE_SIGNS: &[&str] = &[
    "dial tcp",
    "no such host",
    "i/o timeout",
    "connection refused",
    "network is unreachable",
    "tls handshake timeout",
    "client.timeout exceeded",
    "no route to host",
    "server misbehaving",
    "temporary failure in name resolution",
];

pub async fn pull_images(
    docker: &Docker,
    images: &[&str],
    progress: &Progress,
) -> Result<(), ImageError> {
    for image in images {
        pull_image(docker, image, progress).await?;
    }
    Ok(())
}

pub async fn pull_image(
    docker: &Docker,
    image: &str,
    progress: &Progress,
) -> Result<(), ImageError> {
    let (name, tag) = split_reference(image);
    let options = CreateImageOptionsBuilder::default()
        .from_image(name)
        .tag(tag)
        .build();
    tracing::info!(image, "pulling");
    let mut layers: HashMap<String, ProgressBar> = HashMap::new();
    let mut stream = std::pin::pin!(docker.create_image(Some(options), None, None));
    let mut outcome = Ok(());
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                let (Some(id), Some(status)) = (info.id, info.status) else {
                    continue;
                };
                if id == tag {
                    continue;
                }
                let bar = layers
                    .entry(id.clone())
                    .or_insert_with(|| progress.bytes_bar(id.clone()));
                if let Some(detail) = info.progress_detail {
                    if let Some(total) = detail.total.filter(|t| *t > 0) {
                        bar.set_length(total as u64);
                    }
                    if let Some(current) = detail.current {
                        bar.set_position(current.max(0) as u64);
                    }
                }
                bar.set_message(status.clone());
                if status.starts_with("Pull complete") || status.starts_with("Already exists") {
                    bar.finish();
                }
            }
            Err(err) => {
                outcome = Err(classify(image, err));
                break;
            }
        }
    }
    for bar in layers.values() {
        bar.finish_and_clear();
    }
    if outcome.is_ok() {
        progress.announce(&format!("pulled {image}"));
    }
    outcome
}

fn classify(image: &str, err: bollard::errors::Error) -> ImageError {
    let reason = match &err {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        bollard::errors::Error::DockerStreamError { error } => error.clone(),
        other => other.to_string(),
    };
    if is_unreachable(&reason) {
        ImageError::RegistryUnreachable {
            image: image.to_string(),
            reason,
        }
    } else {
        ImageError::PullFailed {
            image: image.to_string(),
            reason,
        }
    }
}

pub fn is_unreachable(reason: &str) -> bool {
    let lower = reason.to_lowercase();
    UNREACHABLE_SIGNS.iter().any(|sign| lower.contains(sign))
}
