//! What up, plan, down and ps share: the Engine connection, the loaded profile, the
//! desired containers, what runs, and the plan between them.

use std::collections::HashMap;

use anyhow::{bail, Context as _};
use bollard::Docker;

use super::Context;
use crate::engine::apply::GatewayFiles;
use crate::engine::observe::{self, Observed};
use crate::engine::plan::{self, Plan};
use crate::engine::spec::{self, DesiredContainer, SpecContext};
use crate::engine::{docker, tls};
use crate::images::service_image::{service_image_tag, ServiceImageSpec};
use crate::profile::LoadedProfile;
use crate::render::{self, templates, RenderOptions};
use crate::secrets::{ensure_secrets, Secrets};
use crate::state::ProjectState;

pub struct Stack {
    pub docker: Docker,
    pub loaded: LoadedProfile,
    pub project: String,
    pub state: ProjectState,
    pub secrets: Secrets,
    pub desired: Vec<DesiredContainer>,
    pub observed: Observed,
    pub plan: Plan,
    pub gateway: Option<GatewayFiles>,
    pub missing_images: Vec<String>,
    /// The content-hash tag of this executable's service image.
    pub service_image: String,
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

pub async fn connect() -> anyhow::Result<Docker> {
    Ok(docker::connect().await?)
}

/// Loads everything and computes the plan; `scale` overrides replica counts.
pub async fn prepare(context: &Context, scale: &[(String, u32)]) -> anyhow::Result<Stack> {
    let mut loaded = context.load_profile()?;
    for (service, replicas) in scale {
        let Some(spec) = loaded.profile.services.get_mut(service) else {
            let known: Vec<&String> = loaded.profile.services.keys().collect();
            bail!("--scale {service}={replicas}: no service `{service}` in the profile (services: {known:?})");
        };
        if *replicas > 1 && !spec.ports.is_empty() {
            bail!("--scale {service}={replicas}: `{service}` publishes a fixed host port, so it can run only one replica");
        }
        spec.replicas = *replicas;
    }
    let project = context.project()?;
    let state = context.project_state()?;
    let secrets = ensure_secrets(&state)?;
    let docker = connect().await?;

    let spec = ServiceImageSpec::from_current_exe()?;
    let service_image = cached_service_image_tag(&context.state_dir(), &spec).await?;
    let mut image_ids = HashMap::new();
    let mut missing_images = Vec::new();
    let mut images: Vec<String> = loaded
        .profile
        .services
        .values()
        .map(|service| spec::image_for(service, &service_image))
        .collect();
    images.sort();
    images.dedup();
    for image in images {
        match docker.inspect_image(&image).await {
            Ok(inspect) => {
                if let Some(id) = inspect.id {
                    image_ids.insert(image, id);
                }
            }
            Err(error) if crate::engine::ops::is_not_found(&error) => missing_images.push(image),
            Err(error) => {
                return Err(error).with_context(|| format!("cannot inspect image {image}"))
            }
        }
    }

    let spec_context = SpecContext {
        project: &project,
        profile: &loaded.profile,
        secrets: &secrets,
        service_image: &service_image,
        image_ids: &image_ids,
    };
    let desired = spec::desired_containers(&spec_context);
    let observed = observe::observe(&docker, &project)
        .await
        .context("cannot list the project's containers")?;
    let plan = plan::compute(&project, &loaded.profile, &desired, &observed);
    let gateway = gateway_files(context, &loaded, &state, &project, &desired)?;
    Ok(Stack {
        docker,
        loaded,
        project,
        state,
        secrets,
        desired,
        observed,
        plan,
        gateway,
        missing_images,
        service_image,
    })
}

/// The service image tag of this executable. Hashing the binary takes longer than a
/// no-op `up` should, so the tag is remembered per binary path, size and modification time.
async fn cached_service_image_tag(
    state_root: &std::path::Path,
    spec: &ServiceImageSpec,
) -> anyhow::Result<String> {
    let metadata = std::fs::metadata(&spec.binary)
        .with_context(|| format!("cannot read {}", spec.binary.display()))?;
    let modified = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|since| since.as_nanos())
        .unwrap_or(0);
    let key = format!("{} {} {modified}", spec.binary.display(), metadata.len());
    let cache = state_root.join("service-image.cache");
    if let Ok(text) = std::fs::read_to_string(&cache) {
        if let Some((cached_key, tag)) = text.split_once('\n') {
            if cached_key == key && !tag.trim().is_empty() {
                return Ok(tag.trim().to_owned());
            }
        }
    }
    let tag = service_image_tag(spec).await?;
    if let Err(error) =
        crate::state::write_private_file(&cache, format!("{key}\n{tag}\n").as_bytes())
    {
        tracing::debug!("cannot cache the service image tag: {error}");
    }
    Ok(tag)
}

fn gateway_files(
    context: &Context,
    loaded: &LoadedProfile,
    state: &ProjectState,
    project: &str,
    desired: &[DesiredContainer],
) -> anyhow::Result<Option<GatewayFiles>> {
    let Some(gateway) = &loaded.profile.gateway else {
        return Ok(None);
    };
    let upstream: Vec<String> = desired
        .iter()
        .filter(|want| want.service == gateway.upstream.service)
        .map(|want| format!("{}:{}", want.name, gateway.upstream.port))
        .collect();
    let mut options = RenderOptions::new(project, "/etc/nginx");
    options.upstream_servers = Some(if upstream.is_empty() {
        // nginx needs at least one server; with the service scaled to zero it answers 502.
        vec![format!("127.0.0.1:{}", gateway.upstream.port)]
    } else {
        upstream
    });
    let registry =
        templates::registry(templates::default_override_dir(&context.working_dir).as_deref())?;
    let nginx_conf = render::render_nginx(&registry, loaded, state, &options)?.unwrap_or_default();
    let tls = match &gateway.tls {
        None => None,
        Some(settings) => {
            let files = match (&settings.cert, &settings.key) {
                (Some(cert), Some(key)) => Some((cert.as_str(), key.as_str())),
                _ => None,
            };
            Some(tls::certificate(state, files)?)
        }
    };
    Ok(Some(GatewayFiles {
        service: gateway.service.clone(),
        nginx_conf,
        tls,
    }))
}
