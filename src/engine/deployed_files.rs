//! Which files a container has in place: every copy carries a marker file holding the
//! digest of the set, so the truth is read from the container itself (one archive
//! download), whoever copied them and from wherever.

use std::io::Read;

use bollard::query_parameters::DownloadFromContainerOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;

use super::desired::{DeliveredFile, FileSet};

/// The marker's name, beside the files.
pub const MARKER: &str = ".tmctl-files";

/// The marker for `files`: their digest.
pub fn marker(files: &FileSet) -> DeliveredFile {
    DeliveredFile {
        path: MARKER.to_owned(),
        contents: files.digest().into_bytes(),
        mode: 0o644,
    }
}

/// The digest of the files in place in `directory` of the container (`None` when it has
/// none from tmctl).
pub async fn read_digest(docker: &Docker, container: &str, directory: &str) -> Option<String> {
    let path = format!("{}/{MARKER}", directory.trim_end_matches('/'));
    let options = DownloadFromContainerOptionsBuilder::default()
        .path(&path)
        .build();
    let mut stream = docker.download_from_container(container, Some(options));
    let mut archive = Vec::new();
    while let Some(chunk) = stream.next().await {
        archive.extend_from_slice(&chunk.ok()?);
    }
    let mut reader = tar::Archive::new(archive.as_slice());
    let mut entry = reader.entries().ok()?.next()?.ok()?;
    let mut digest = String::new();
    entry.read_to_string(&mut digest).ok()?;
    Some(digest.trim().to_owned())
}
