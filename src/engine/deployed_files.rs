//! Which files were last copied into which container. A record per container in the state
//! dir (keyed by the container's id) answers at once; without one (another directory, a
//! fresh CI runner) the files are read back from the container.

use std::io::Read;
use std::path::{Path, PathBuf};

use bollard::query_parameters::DownloadFromContainerOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;

use super::desired::{DeliveredFile, FileSet};

/// The per-container records under `<state>/deployed/`.
#[derive(Debug, Clone)]
pub struct DeployedFiles {
    dir: PathBuf,
}

impl DeployedFiles {
    pub fn new(project_state_dir: &Path) -> DeployedFiles {
        DeployedFiles {
            dir: project_state_dir.join("deployed"),
        }
    }

    /// The digest recorded for this very container (same name and id).
    pub fn recorded(&self, container: &str, id: &str) -> Option<String> {
        let text = std::fs::read_to_string(self.dir.join(container)).ok()?;
        let (recorded_id, digest) = text.trim().split_once(' ')?;
        (recorded_id == id).then(|| digest.to_owned())
    }

    pub fn record(&self, container: &str, id: &str, digest: &str) {
        let path = self.dir.join(container);
        if let Err(error) =
            crate::state::write_private_file(&path, format!("{id} {digest}\n").as_bytes())
        {
            tracing::warn!("cannot record the files copied into {container}: {error}");
        }
    }
}

/// The digest of `files` as they are inside the container now (same paths and modes as
/// wanted; a missing file gives `None`).
pub async fn read_back(docker: &Docker, container: &str, files: &FileSet) -> Option<String> {
    let mut found = Vec::new();
    for file in &files.files {
        let path = format!("{}/{}", files.directory.trim_end_matches('/'), file.path);
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
        let mode = entry.header().mode().ok()? & 0o7777;
        let mut contents = Vec::new();
        entry.read_to_end(&mut contents).ok()?;
        found.push(DeliveredFile {
            path: file.path.clone(),
            contents,
            mode,
        });
    }
    Some(
        FileSet {
            directory: files.directory.clone(),
            files: found,
            reload: files.reload.clone(),
        }
        .digest(),
    )
}
