//! Importing the cached root filesystem as the Debian base image.

use std::time::{Duration, Instant};

use bollard::query_parameters::{CreateImageOptionsBuilder, TagImageOptionsBuilder};
use bollard::{body_full, Docker};
use futures_util::StreamExt;

use super::rootfs::Rootfs;
use super::{inspect, recipe};
use crate::images::catalog::{split_reference, StandIn, DEBIAN_SUITE};
use crate::images::progress::Progress;
use crate::images::{labels, ImageError};

/// Repository of the bases tmctl imports, tagged by package state so that stand-ins are
/// always installed on the exact package set their packages were resolved against.
const INTERNAL_REPOSITORY: &str = "tmctl-bootstrap/debian";

pub struct BaseImage {
    /// Reference of the imported base matching the cached root filesystem.
    pub reference: String,
    /// Time the import took, when this run imported it.
    pub imported: Option<Duration>,
}

/// Makes sure the base for `rootfs` is on the Engine; tags it `debian:bookworm-slim` too
/// when `publish` is set.
pub async fn ensure(
    docker: &Docker,
    rootfs: &Rootfs,
    publish: bool,
    progress: &Progress,
) -> Result<BaseImage, ImageError> {
    let state = rootfs.package_state()?;
    let tag = format!("{DEBIAN_SUITE}-{state}");
    let reference = format!("{INTERNAL_REPOSITORY}:{tag}");
    let mut imported = None;
    if inspect(docker, &reference).await?.is_none() {
        let started = Instant::now();
        let spinner = progress.spinner(format!("importing {}", StandIn::DebianBase.image()));
        let result = import(docker, rootfs, &tag, &state).await;
        spinner.finish_and_clear();
        result?;
        imported = Some(started.elapsed());
    }
    if publish {
        let (repo, tag) = split_reference(StandIn::DebianBase.image());
        docker
            .tag_image(
                &reference,
                Some(
                    TagImageOptionsBuilder::default()
                        .repo(repo)
                        .tag(tag)
                        .build(),
                ),
            )
            .await
            .map_err(|e| ImageError::docker(format!("tagging {reference}"), e))?;
        progress.announce(&format!(
            "bootstrapped {} from Debian packages",
            StandIn::DebianBase.image()
        ));
    }
    Ok(BaseImage {
        reference,
        imported,
    })
}

async fn import(
    docker: &Docker,
    rootfs: &Rootfs,
    tag: &str,
    state: &str,
) -> Result<(), ImageError> {
    let tar = rootfs.to_tar()?;
    tracing::info!(bytes = tar.len(), "importing the Debian root filesystem");
    let label = |key: &str, value: &str| format!("LABEL {key}=\"{value}\"");
    let changes = vec![
        "CMD [\"bash\"]".to_string(),
        label(labels::ORIGIN, labels::ORIGIN_BOOTSTRAP),
        label(
            labels::RECIPE,
            &recipe::of(StandIn::DebianBase, &rootfs.mirror),
        ),
        label(labels::STANDS_IN_FOR, StandIn::DebianBase.image()),
        label(labels::MIRROR, &rootfs.mirror),
        label(labels::PACKAGE_STATE, state),
        label(labels::VERSION, env!("CARGO_PKG_VERSION")),
    ];
    let options = CreateImageOptionsBuilder::default()
        .from_src("-")
        .repo(INTERNAL_REPOSITORY)
        .tag(tag)
        .changes(changes)
        .message("debootstrap --variant=minbase, imported by tmctl")
        .build();
    let mut stream =
        std::pin::pin!(docker.create_image(Some(options), Some(body_full(tar.into())), None));
    while let Some(item) = stream.next().await {
        item.map_err(|e| ImageError::BootstrapFailed {
            image: StandIn::DebianBase.image().into(),
            step: "import through the Engine API".into(),
            reason: e.to_string(),
        })?;
    }
    Ok(())
}
