//! Driving the Engine's long-running image operations to completion.

use bollard::models::BuildInfo;
use futures_util::{Stream, StreamExt};
use indicatif::ProgressBar;

use super::ImageError;

/// Consumes a build's output stream; returns the build log, or the failure with its log tail.
pub(crate) async fn finish_build(
    image: &str,
    stream: impl Stream<Item = Result<BuildInfo, bollard::errors::Error>>,
    bar: &ProgressBar,
) -> Result<String, ImageError> {
    let mut log = String::new();
    let mut stream = std::pin::pin!(stream);
    while let Some(item) = stream.next().await {
        let info = item.map_err(|err| ImageError::BuildFailed {
            image: image.to_string(),
            reason: format!("{err}{}", tail(&log)),
        })?;
        if let Some(detail) = info.error_detail.and_then(|detail| detail.message) {
            return Err(ImageError::BuildFailed {
                image: image.to_string(),
                reason: format!("{detail}{}", tail(&log)),
            });
        }
        if let Some(line) = info.stream {
            let trimmed = line.trim_end();
            if !trimmed.is_empty() {
                tracing::debug!(image, "{trimmed}");
                bar.set_message(format!("{image}: {}", shorten(trimmed)));
            }
            log.push_str(&line);
        }
    }
    Ok(log)
}

/// The last lines of a log, for error messages.
pub(crate) fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return String::new();
    }
    let start = lines.len().saturating_sub(8);
    format!("; last output:\n{}", lines[start..].join("\n"))
}

fn shorten(line: &str) -> String {
    const MAX: usize = 70;
    if line.chars().count() <= MAX {
        line.to_string()
    } else {
        let cut: String = line.chars().take(MAX).collect();
        format!("{cut}…")
    }
}
