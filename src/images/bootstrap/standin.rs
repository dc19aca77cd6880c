//! Making one stand-in: its install script runs in a scratch container made from the base,
//! without network, then the container is committed with the official image's configuration.

use std::collections::HashMap;
use std::path::Path;

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CommitContainerOptionsBuilder, CreateContainerOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use bollard::{body_full, Docker};
use futures_util::StreamExt;

use crate::images::catalog::{split_reference, StandIn};
use crate::images::context::TarArchive;
use crate::images::progress::Progress;
use crate::images::run::tail;
use crate::images::{labels, ImageError};

const STAGE: &str = "tmp/tmctl-stage";

pub async fn build(
    docker: &Docker,
    standin: StandIn,
    base: &str,
    debs: &Path,
    recipe: &str,
    mirror: &str,
    progress: &Progress,
) -> Result<(), ImageError> {
    let name = format!("tmctl-bootstrap-{}-{}", standin.key(), std::process::id());
    let spinner = progress.spinner(format!("{}: installing packages", standin.image()));
    remove(docker, &name).await;
    let result = async {
        create(docker, &name, base).await?;
        upload_stage(docker, &name, standin, debs).await?;
        run_install(docker, &name, standin).await?;
        spinner.set_message(format!("{}: committing", standin.image()));
        commit(docker, &name, standin, recipe, mirror).await
    }
    .await;
    spinner.finish_and_clear();
    remove(docker, &name).await;
    result
}

fn failure(standin: StandIn, step: &str, reason: impl ToString) -> ImageError {
    ImageError::BootstrapFailed {
        image: standin.image().to_string(),
        step: step.to_string(),
        reason: reason.to_string(),
    }
}

async fn create(docker: &Docker, name: &str, base: &str) -> Result<(), ImageError> {
    let body = ContainerCreateBody {
        image: Some(base.to_string()),
        cmd: Some(vec!["/bin/sh".into(), format!("/{STAGE}/install.sh")]),
        network_disabled: Some(true),
        host_config: Some(HostConfig {
            network_mode: Some("none".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    docker
        .create_container(
            Some(CreateContainerOptionsBuilder::default().name(name).build()),
            body,
        )
        .await
        .map_err(|e| ImageError::docker(format!("creating scratch container {name}"), e))?;
    Ok(())
}

async fn upload_stage(
    docker: &Docker,
    name: &str,
    standin: StandIn,
    debs: &Path,
) -> Result<(), ImageError> {
    let mut archive = TarArchive::new();
    archive.add_bytes(
        &format!("{STAGE}/install.sh"),
        standin.install_script().as_bytes(),
        0o755,
    )?;
    for file in standin.stage_files() {
        archive.add_bytes(
            &format!("{STAGE}/{}", file.name),
            file.contents.as_bytes(),
            file.mode,
        )?;
    }
    archive.add_debs_of(debs, &format!("{STAGE}/debs"))?;
    let tar = archive.finish()?;
    docker
        .upload_to_container(
            name,
            Some(UploadToContainerOptionsBuilder::default().path("/").build()),
            body_full(tar.into()),
        )
        .await
        .map_err(|e| ImageError::docker(format!("copying packages into {name}"), e))
}

async fn run_install(docker: &Docker, name: &str, standin: StandIn) -> Result<(), ImageError> {
    docker
        .start_container(name, None)
        .await
        .map_err(|e| ImageError::docker(format!("starting scratch container {name}"), e))?;
    let exit = match docker.wait_container(name, None).next().await {
        Some(Ok(response)) => response.status_code,
        Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => code,
        Some(Err(e)) => return Err(ImageError::docker(format!("waiting for {name}"), e)),
        None => -1,
    };
    let log = logs(docker, name).await;
    tracing::debug!(image = standin.image(), "install log:\n{log}");
    if exit != 0 {
        return Err(failure(
            standin,
            "install script",
            format!("exited with {exit}{}", tail(&log)),
        ));
    }
    Ok(())
}

async fn logs(docker: &Docker, name: &str) -> String {
    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .build();
    let mut stream = std::pin::pin!(docker.logs(name, Some(options)));
    let mut log = String::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(output) => log.push_str(&output.to_string()),
            Err(e) => {
                log.push_str(&format!("\n(log unavailable: {e})"));
                break;
            }
        }
    }
    log
}

async fn commit(
    docker: &Docker,
    name: &str,
    standin: StandIn,
    recipe: &str,
    mirror: &str,
) -> Result<(), ImageError> {
    let (repo, tag) = split_reference(standin.image());
    let mut config = standin.runtime_config();
    let image_labels: HashMap<String, String> = [
        (labels::ORIGIN, labels::ORIGIN_BOOTSTRAP),
        (labels::RECIPE, recipe),
        (labels::STANDS_IN_FOR, standin.image()),
        (labels::MIRROR, mirror),
        (labels::VERSION, env!("CARGO_PKG_VERSION")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    config.labels = Some(image_labels);
    let options = CommitContainerOptionsBuilder::default()
        .container(name)
        .repo(repo)
        .tag(tag)
        .comment(&format!(
            "tmctl stand-in for {} from Debian packages: {}",
            standin.image(),
            standin.packages().join(", ")
        ))
        .build();
    docker
        .commit_container(options, config)
        .await
        .map_err(|e| ImageError::docker(format!("committing {}", standin.image()), e))?;
    Ok(())
}

async fn remove(docker: &Docker, name: &str) {
    let options = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build();
    if let Err(e) = docker.remove_container(name, Some(options)).await {
        if !matches!(
            e,
            bollard::errors::Error::DockerResponseServerError {
                status_code: 404,
                ..
            }
        ) {
            tracing::warn!(container = name, "could not remove scratch container: {e}");
        }
    }
}
