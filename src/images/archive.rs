//! `tmctl images save FILE` / `load FILE`: all of a profile's images in one archive, to
//! carry to a host without a registry.

use std::path::Path;

use bollard::query_parameters::ImportImageOptionsBuilder;
use bollard::Docker;
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::progress::Progress;
use super::ImageError;

/// Writes `images` (which must all be present) into one `docker save` style tar archive.
pub async fn save(
    docker: &Docker,
    images: &[&str],
    file: &Path,
    progress: &Progress,
) -> Result<u64, ImageError> {
    for image in images {
        if super::bootstrap::inspect(docker, image).await?.is_none() {
            return Err(ImageError::PullFailed {
                image: image.to_string(),
                reason: "not present on this Engine, so it cannot be saved; run `tmctl images pull` or `tmctl images bootstrap` first".into(),
            });
        }
    }
    let partial = file.with_extension("partial");
    let mut out = tokio::fs::File::create(&partial)
        .await
        .map_err(|e| ImageError::io(&partial, e))?;
    let bar = progress.bytes_bar("saving");
    let mut written = 0u64;
    let mut stream = std::pin::pin!(docker.export_images(images));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ImageError::docker("exporting images", e))?;
        out.write_all(&chunk)
            .await
            .map_err(|e| ImageError::io(&partial, e))?;
        written += chunk.len() as u64;
        bar.set_position(written);
    }
    out.flush().await.map_err(|e| ImageError::io(&partial, e))?;
    drop(out);
    bar.finish_and_clear();
    tokio::fs::rename(&partial, file)
        .await
        .map_err(|e| ImageError::io(file, e))?;
    tracing::info!(file = %file.display(), bytes = written, "saved {} images", images.len());
    Ok(written)
}

/// Loads every image of an archive written by [`save`]; returns the Engine's report lines.
pub async fn load(
    docker: &Docker,
    file: &Path,
    progress: &Progress,
) -> Result<Vec<String>, ImageError> {
    let mut input = tokio::fs::File::open(file)
        .await
        .map_err(|e| ImageError::io(file, e))?;
    let mut header = [0u8; 512];
    let is_tar = input.read_exact(&mut header).await.is_ok() && looks_like_tar(&header);
    if !is_tar {
        return Err(ImageError::BadArchive {
            path: file.to_path_buf(),
            reason: "not a tar archive".into(),
        });
    }
    input.rewind().await.map_err(|e| ImageError::io(file, e))?;
    let chunks = futures_util::stream::unfold(input, |mut input| async move {
        let mut buffer = vec![0u8; 1 << 20];
        match input.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok::<_, std::io::Error>(Bytes::from(buffer)), input))
            }
            Err(e) => Some((Err(e), input)),
        }
    });
    let spinner = progress.spinner(format!("loading {}", file.display()));
    let options = ImportImageOptionsBuilder::default().quiet(true).build();
    let mut stream = std::pin::pin!(docker.import_image_stream(options, chunks, None));
    let mut loaded = Vec::new();
    let mut failure = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(line) = info
                    .stream
                    .as_deref()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                {
                    tracing::info!("{line}");
                    loaded.push(line.to_string());
                }
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    spinner.finish_and_clear();
    if let Some(e) = failure {
        return Err(ImageError::BadArchive {
            path: file.to_path_buf(),
            reason: e.to_string(),
        });
    }
    Ok(loaded)
}

fn looks_like_tar(bytes: &[u8]) -> bool {
    bytes.get(257..262) == Some(b"ustar")
}
