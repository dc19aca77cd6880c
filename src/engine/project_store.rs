//! State that follows the project: files kept on the Engine, in a volume of the project
//! (`<project>_tmctl-state`) reached through a container that is created but never started
//! (`<project>-tmctl-state`). Any directory, CI runner or operator using the same Engine
//! sees the same secrets, certificates, releases and audit records.

use std::collections::HashMap;
use std::io::Read;

use bollard::body_full;
use bollard::models::{ContainerCreateBody, HostConfig, Mount, MountType, VolumeCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, DownloadFromContainerOptionsBuilder,
    UploadToContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::StreamExt;

use super::labels;
use super::ops::{engine_error, is_not_found, OpError};

/// The image of the keeper and lock containers: empty, never run.
pub const KEEPER_IMAGE: &str = "tmctl-state:1";
/// Where the state volume is mounted in the keeper.
const MOUNT: &str = "/state";
/// Label on the keeper and lock containers (not the compose project label: they are not
/// services of the stack).
pub const KEEPER_LABEL: &str = "io.tmctl.state-of";

pub fn volume_name(project: &str) -> String {
    labels::volume_name(project, "tmctl-state")
}

pub fn keeper_name(project: &str) -> String {
    format!("{project}-tmctl-state")
}

/// The project's state on the Engine.
#[derive(Clone)]
pub struct ProjectStore {
    docker: Docker,
    keeper: String,
}

impl ProjectStore {
    /// The store, when the project has one.
    pub async fn open(docker: &Docker, project: &str) -> Result<Option<ProjectStore>, OpError> {
        let keeper = keeper_name(project);
        match docker.inspect_container(&keeper, None).await {
            Ok(_) => Ok(Some(ProjectStore {
                docker: docker.clone(),
                keeper,
            })),
            Err(error) if is_not_found(&error) => Ok(None),
            Err(source) => Err(OpError::Engine {
                action: "cannot inspect",
                target: keeper,
                error: source,
            }),
        }
    }

    /// The store, created (volume, keeper image and container) when missing.
    pub async fn open_or_create(docker: &Docker, project: &str) -> Result<ProjectStore, OpError> {
        if let Some(store) = ProjectStore::open(docker, project).await? {
            return Ok(store);
        }
        ensure_keeper_image(docker).await?;
        let volume = volume_name(project);
        docker
            .create_volume(VolumeCreateRequest {
                name: Some(volume.clone()),
                labels: Some(HashMap::from([
                    (labels::PROJECT.to_owned(), project.to_owned()),
                    (labels::VOLUME.to_owned(), "tmctl-state".to_owned()),
                ])),
                ..Default::default()
            })
            .await
            .map_err(engine_error("cannot create volume", &volume))?;
        let keeper = keeper_name(project);
        let body = ContainerCreateBody {
            image: Some(KEEPER_IMAGE.to_owned()),
            cmd: Some(vec!["/never-started".to_owned()]),
            labels: Some(HashMap::from([(
                KEEPER_LABEL.to_owned(),
                project.to_owned(),
            )])),
            host_config: Some(HostConfig {
                mounts: Some(vec![Mount {
                    typ: Some(MountType::VOLUME),
                    source: Some(volume),
                    target: Some(MOUNT.to_owned()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let options = CreateContainerOptionsBuilder::default()
            .name(&keeper)
            .build();
        match docker.create_container(Some(options), body).await {
            Ok(_) => {}
            // Another tmctl created it meanwhile.
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 409, ..
            }) => {}
            Err(source) => {
                return Err(OpError::Engine {
                    action: "cannot create",
                    target: keeper,
                    error: source,
                })
            }
        }
        tracing::info!(container = %keeper, "created the project's state store on the Engine");
        Ok(ProjectStore {
            docker: docker.clone(),
            keeper,
        })
    }

    /// A file of the store (`None` when it does not exist).
    pub async fn read(&self, path: &str) -> Result<Option<Vec<u8>>, OpError> {
        let files = read_archive(&self.docker, &self.keeper, &format!("{MOUNT}/{path}")).await?;
        Ok(files.into_iter().next().map(|(_, contents)| contents))
    }

    /// Every file directly under `dir` (name relative to it, contents); empty when the
    /// directory does not exist.
    pub async fn read_dir(&self, dir: &str) -> Result<Vec<(String, Vec<u8>)>, OpError> {
        let files = read_archive(&self.docker, &self.keeper, &format!("{MOUNT}/{dir}")).await?;
        let prefix = format!("{}/", dir.rsplit('/').next().unwrap_or(dir));
        Ok(files
            .into_iter()
            .filter_map(|(name, contents)| Some((name.strip_prefix(&prefix)?.to_owned(), contents)))
            .filter(|(name, _)| !name.is_empty() && !name.contains('/'))
            .collect())
    }

    /// Writes files (paths relative to the store, parent directories created), each with
    /// mode 0600: the store holds secrets.
    pub async fn write(&self, files: &[(&str, &[u8])]) -> Result<(), OpError> {
        let pack_error = |error: std::io::Error| OpError::Other {
            container: self.keeper.clone(),
            message: format!("cannot pack state files: {error}"),
        };
        let mut archive = tar::Builder::new(Vec::new());
        let mut directories: Vec<String> = Vec::new();
        for (path, contents) in files {
            let mut parent = String::new();
            for part in path
                .split('/')
                .rev()
                .skip(1)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                parent = if parent.is_empty() {
                    part.to_owned()
                } else {
                    format!("{parent}/{part}")
                };
                if directories.contains(&parent) {
                    continue;
                }
                directories.push(parent.clone());
                let mut header = tar::Header::new_gnu();
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
                header.set_mode(0o700);
                header.set_mtime(now());
                header.set_cksum();
                archive
                    .append_data(&mut header, format!("{parent}/"), std::io::empty())
                    .map_err(pack_error)?;
            }
            let mut header = tar::Header::new_gnu();
            header.set_size(contents.len() as u64);
            header.set_mode(0o600);
            header.set_mtime(now());
            header.set_cksum();
            archive
                .append_data(&mut header, path, *contents)
                .map_err(pack_error)?;
        }
        let bytes = archive.into_inner().map_err(pack_error)?;
        let options = UploadToContainerOptionsBuilder::default()
            .path(MOUNT)
            .build();
        self.docker
            .upload_to_container(&self.keeper, Some(options), body_full(bytes.into()))
            .await
            .map_err(engine_error(
                "cannot write the project state into",
                &self.keeper,
            ))
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Files of a container path as (path inside the archive, contents); empty when the path
/// does not exist.
pub async fn read_archive(
    docker: &Docker,
    container: &str,
    path: &str,
) -> Result<Vec<(String, Vec<u8>)>, OpError> {
    let options = DownloadFromContainerOptionsBuilder::default()
        .path(path)
        .build();
    let mut stream = docker.download_from_container(container, Some(options));
    let mut archive = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => archive.extend_from_slice(&bytes),
            Err(error) if is_not_found(&error) => return Ok(Vec::new()),
            Err(source) => {
                return Err(OpError::Engine {
                    action: "cannot read the project state from",
                    target: container.to_owned(),
                    error: source,
                })
            }
        }
    }
    let unpack_error = |error: std::io::Error| OpError::Other {
        container: container.to_owned(),
        message: format!("cannot unpack {path}: {error}"),
    };
    let mut files = Vec::new();
    let mut reader = tar::Archive::new(archive.as_slice());
    for entry in reader.entries().map_err(unpack_error)? {
        let mut entry = entry.map_err(unpack_error)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map_err(unpack_error)?
            .to_string_lossy()
            .into_owned();
        let mut contents = Vec::new();
        entry.read_to_end(&mut contents).map_err(unpack_error)?;
        files.push((name, contents));
    }
    Ok(files)
}

/// The empty image the keeper and lock containers are created from (never run).
pub async fn ensure_keeper_image(docker: &Docker) -> Result<(), OpError> {
    if docker.inspect_image(KEEPER_IMAGE).await.is_ok() {
        return Ok(());
    }
    let pack_error = |error: std::io::Error| OpError::Other {
        container: KEEPER_IMAGE.to_owned(),
        message: format!("cannot pack the keeper image: {error}"),
    };
    let mut archive = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_size(0);
    header.set_mode(0o700);
    header.set_cksum();
    archive
        .append_data(&mut header, "state/", std::io::empty())
        .map_err(pack_error)?;
    let bytes = archive.into_inner().map_err(pack_error)?;
    let (repo, tag) = KEEPER_IMAGE
        .split_once(':')
        .unwrap_or((KEEPER_IMAGE, "latest"));
    let options = CreateImageOptionsBuilder::default()
        .from_src("-")
        .repo(repo)
        .tag(tag)
        .message("empty image for tmctl's state and lock containers; never run")
        .build();
    let mut stream =
        std::pin::pin!(docker.create_image(Some(options), Some(body_full(bytes.into())), None));
    while let Some(item) = stream.next().await {
        item.map_err(engine_error("cannot create the image", KEEPER_IMAGE))?;
    }
    Ok(())
}
