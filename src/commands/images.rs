//! `tmctl images ...`: the images a profile runs.

use anyhow::bail;
use serde_json::json;

use super::runtime;
use super::Context;
use crate::cli::{BootstrapArgs, ImagesCommand};
use crate::engine::docker::connect;
use crate::images::bootstrap::{self, BootstrapOptions};
use crate::images::catalog::{StandIn, DEBIAN_BASE};
use crate::images::progress::Progress;
use crate::images::service_image::{build_service_image, ServiceImageSpec};
use crate::images::{archive, inventory, pull};
use crate::output::stream::JsonStream;
use crate::profile::Profile;

/// Images the profile names, not counting the service image tmctl builds.
pub fn third_party_images(profile: &Profile) -> Vec<String> {
    let mut images: Vec<String> = profile
        .services
        .values()
        .filter_map(|service| service.image.clone())
        .collect();
    images.sort();
    images.dedup();
    images
}

fn uses_service_image(profile: &Profile) -> bool {
    profile
        .services
        .values()
        .any(|service| service.build.is_some())
}

/// Everything the profile needs on the Engine, base image included.
fn all_images(profile: &Profile, service_tag: Option<&str>) -> Vec<String> {
    let mut images = third_party_images(profile);
    if uses_service_image(profile) {
        images.insert(0, DEBIAN_BASE.to_owned());
        if let Some(tag) = service_tag {
            images.push(tag.to_owned());
        }
    }
    images
}

/// Bars and spinners on a terminal; nothing with --quiet or --json.
pub fn progress(context: &Context) -> Progress {
    if context.global.quiet || context.global.json {
        Progress::hidden()
    } else {
        Progress::terminal()
    }
}

pub fn run(context: &Context, command: &ImagesCommand) -> anyhow::Result<()> {
    let loaded = context.load_profile()?;
    let profile = &loaded.profile;
    runtime()?.block_on(async {
        let docker = connect().await?;
        let progress = progress(context);
        match command {
            ImagesCommand::Build => {
                let stream = JsonStream::new(context.style, "images build", "");
                let result = stream
                    .step("build image", "service", Some("service"), async {
                        let spec = ServiceImageSpec::from_current_exe()?;
                        anyhow::Ok(build_service_image(&docker, &spec, &progress).await?)
                    })
                    .await;
                let summary = result.as_ref().ok().map(|image| {
                    json!({"tag": image.tag, "version_tag": image.version_tag, "built": image.built})
                });
                stream.summary(&result, summary);
                let image = result?;
                if !context.global.quiet && !context.global.json {
                    let verb = if image.built { "built" } else { "up to date:" };
                    println!("{verb} {} (also tagged {})", image.tag, image.version_tag);
                }
            }
            ImagesCommand::Pull => {
                let images = third_party_images(profile);
                let refs: Vec<&str> = images.iter().map(String::as_str).collect();
                pull::pull_images(&docker, &refs, &progress).await?;
            }
            ImagesCommand::Bootstrap(args) => {
                let stream = JsonStream::new(context.style, "images bootstrap", "");
                let result = bootstrap_profile(context, profile, args, &docker, &progress, &stream)
                    .await;
                stream.summary(&result, result.as_ref().ok().cloned());
                result?;
            }
            ImagesCommand::Ls => {
                let spec = ServiceImageSpec::from_current_exe()?;
                let tag = crate::images::service_image::service_image_tag(&spec).await?;
                let images = all_images(profile, Some(&tag));
                let refs: Vec<&str> = images.iter().map(String::as_str).collect();
                let statuses = inventory::list(&docker, &refs).await?;
                println!("{}", inventory::render_table(&statuses));
            }
            ImagesCommand::Save { file } => {
                let spec = ServiceImageSpec::from_current_exe()?;
                let tag = crate::images::service_image::service_image_tag(&spec).await?;
                let images = all_images(profile, Some(&tag));
                let refs: Vec<&str> = images.iter().map(String::as_str).collect();
                let bytes = archive::save(&docker, &refs, file, &progress).await?;
                if !context.global.quiet {
                    println!(
                        "saved {} image(s) into {} ({bytes} bytes)",
                        refs.len(),
                        file.display()
                    );
                }
            }
            ImagesCommand::Prune(args) => super::images_prune::run(context, &docker, args).await?,
            ImagesCommand::Load { file } => {
                for line in archive::load(&docker, file, &progress).await? {
                    println!("{line}");
                }
            }
        }
        Ok(())
    })
}

async fn bootstrap_profile(
    context: &Context,
    profile: &Profile,
    args: &BootstrapArgs,
    docker: &crate::engine::docker::Engine,
    progress: &Progress,
    stream: &JsonStream,
) -> anyhow::Result<serde_json::Value> {
    let images = all_images(profile, None);
    let (standable, other): (Vec<String>, Vec<String>) = images
        .into_iter()
        .partition(|image| StandIn::for_image(image).is_some());
    let refs: Vec<&str> = standable.iter().map(String::as_str).collect();
    let options = BootstrapOptions {
        mirror: args.mirror.clone(),
        cache_dir: None,
        force: args.force,
    };
    let results = stream
        .step("bootstrap images", &refs.join(" "), None, async {
            bootstrap::bootstrap(docker, &refs, &options, progress).await
        })
        .await?;
    if !context.global.quiet && !context.global.json {
        for result in &results {
            println!(
                "{:<28} {:?} in {:.1}s, {}",
                result.image,
                result.outcome,
                result.elapsed.as_secs_f64(),
                inventory::human_size(result.size)
            );
        }
    }
    let mut missing = Vec::new();
    for image in &other {
        if bootstrap::inspect(docker, image).await?.is_none() {
            missing.push(image.clone());
        }
    }
    if !missing.is_empty() {
        bail!(
            "no Debian stand-in exists for {}: pull it where a registry is reachable, `tmctl images save` it there and `tmctl images load` it here",
            missing.join(", ")
        );
    }
    let images: Vec<serde_json::Value> = results
        .iter()
        .map(|result| {
            json!({
                "image": result.image,
                "outcome": format!("{:?}", result.outcome),
                "duration_ms": result.elapsed.as_millis() as u64,
                "size": result.size,
            })
        })
        .collect();
    Ok(json!({ "images": images }))
}
