//! The desired state of a project: its networks and volumes, and per service the container
//! spec, replica count, dependencies, update policy and the files delivered into it.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

use super::labels;
use super::plan::{Readiness, ReloadKind};
use super::spec::{ContainerSpec, RecordedConfig};
use crate::profile::units::MountSource;
use crate::profile::{DependencyCondition, Hooks, Profile, UpdatePolicy};
use crate::secrets::Secrets;

#[derive(Debug, Clone)]
pub struct DesiredNetwork {
    /// The Engine's name, `<project>_<short>`.
    pub name: String,
    pub short: String,
    pub internal: bool,
    pub subnet: Option<String>,
}

/// A bind-mount source, owned by the numeric user of a service that writes there.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DesiredDirectory {
    pub path: String,
    /// `uid:gid` of the writing service's `user:`, when numeric.
    pub owner: Option<(u32, u32)>,
}

#[derive(Debug, Clone)]
pub struct DesiredVolume {
    pub name: String,
    pub short: String,
}

/// Files copied into a service's containers, and how the container picks up a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSet {
    /// Directory inside the container the paths are relative to.
    pub directory: String,
    pub files: Vec<DeliveredFile>,
    pub reload: ReloadKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveredFile {
    pub path: String,
    pub contents: Vec<u8>,
    pub mode: u32,
}

impl FileSet {
    /// Digest of everything copied: paths, modes and contents.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        for file in &self.files {
            hasher.update(file.path.as_bytes());
            hasher.update(file.mode.to_le_bytes());
            hasher.update((file.contents.len() as u64).to_le_bytes());
            hasher.update(&file.contents);
        }
        crate::hex::hex(&hasher.finalize())
    }
}

type GatewayRenderer = dyn Fn(&[String]) -> Result<FileSet, String> + Send + Sync;

/// The gateway's files depend on the upstream servers it should send requests to.
pub struct GatewayFiles {
    pub service: String,
    /// Where the files go in the gateway's containers.
    pub directory: String,
    pub upstream_service: String,
    pub upstream_port: u16,
    render: Box<GatewayRenderer>,
}

impl std::fmt::Debug for GatewayFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.debug_struct("GatewayFiles")
            .field("service", &self.service)
            .field("upstream_service", &self.upstream_service)
            .finish()
    }
}

impl GatewayFiles {
    /// `render` receives `container:port` servers and returns the gateway's files.
    pub fn new(
        service: &str,
        directory: &str,
        upstream_service: &str,
        upstream_port: u16,
        render: Box<GatewayRenderer>,
    ) -> GatewayFiles {
        GatewayFiles {
            service: service.to_owned(),
            directory: directory.to_owned(),
            upstream_service: upstream_service.to_owned(),
            upstream_port,
            render,
        }
    }

    /// The files for a gateway sending requests to exactly these upstream containers.
    pub fn files_for(&self, containers: &[String]) -> Result<FileSet, String> {
        let servers: Vec<String> = containers
            .iter()
            .map(|name| format!("{name}:{}", self.upstream_port))
            .collect();
        (self.render)(&servers)
    }
}

#[derive(Debug, Clone)]
pub struct DesiredService {
    pub name: String,
    pub spec: ContainerSpec,
    pub record: RecordedConfig,
    pub hash: String,
    pub replicas: u32,
    /// Dependencies and what this service needs of them before it starts.
    pub depends_on: Vec<(String, Readiness)>,
    pub update: UpdatePolicy,
    pub hooks: Hooks,
    /// Files copied into every replica (not the gateway's: see [`GatewayFiles`]).
    pub files: Option<FileSet>,
}

#[derive(Debug)]
pub struct DesiredState {
    pub project: String,
    pub profile: String,
    pub networks: Vec<DesiredNetwork>,
    pub volumes: Vec<DesiredVolume>,
    /// Bind-mount sources on the Engine's host that must exist.
    pub directories: Vec<DesiredDirectory>,
    /// In start order.
    pub services: Vec<DesiredService>,
    pub gateway: Option<GatewayFiles>,
    pub secrets: Secrets,
}

/// What the desired state is built from besides the profile.
pub struct DesiredInput<'a> {
    pub project: &'a str,
    pub profile: &'a Profile,
    pub secrets: Secrets,
    /// Image reference for `build: service` services.
    pub service_image: &'a str,
    /// IDs of the images present, by reference.
    pub image_ids: &'a HashMap<String, String>,
    pub gateway: Option<GatewayFiles>,
    /// Files for services other than the gateway, by service.
    pub files: BTreeMap<String, FileSet>,
}

/// `1000` or `1000:1000` as (uid, gid); names cannot be resolved outside the image.
fn numeric_user(user: &str) -> Option<(u32, u32)> {
    let (uid, gid) = user.split_once(':').unwrap_or((user, user));
    Some((uid.parse().ok()?, gid.parse().ok()?))
}

fn readiness(condition: DependencyCondition) -> Readiness {
    match condition {
        DependencyCondition::ServiceStarted => Readiness::Running,
        DependencyCondition::ServiceHealthy => Readiness::Healthy,
        DependencyCondition::ServiceCompletedSuccessfully => Readiness::CompletedSuccessfully,
    }
}

impl DesiredState {
    pub fn build(input: DesiredInput) -> DesiredState {
        let DesiredInput {
            project,
            profile,
            secrets,
            service_image,
            image_ids,
            gateway,
            mut files,
        } = input;
        let networks = profile
            .networks
            .iter()
            .map(|(short, network)| DesiredNetwork {
                name: labels::network_name(project, short),
                short: short.clone(),
                internal: network.internal,
                subnet: network.subnet.clone(),
            })
            .collect();
        let volumes = profile
            .volumes
            .keys()
            .map(|short| DesiredVolume {
                name: labels::volume_name(project, short),
                short: short.clone(),
            })
            .collect();
        let mut directories: Vec<DesiredDirectory> = Vec::new();
        for service in profile.services.values() {
            for mount in &service.volumes {
                let MountSource::Bind(path) = &mount.source else {
                    continue;
                };
                let owner = (!mount.read_only)
                    .then(|| service.user.as_deref().and_then(numeric_user))
                    .flatten();
                match directories.iter_mut().find(|d| d.path == *path) {
                    Some(known) => known.owner = known.owner.or(owner),
                    None => directories.push(DesiredDirectory {
                        path: path.clone(),
                        owner,
                    }),
                }
            }
        }
        directories.sort();
        let services = profile
            .services_in_start_order()
            .into_iter()
            .map(|name| {
                let service = &profile.services[name];
                let spec =
                    ContainerSpec::of_service(profile, name, service, service_image, image_ids);
                let record = spec.record(&secrets);
                DesiredService {
                    name: name.to_owned(),
                    hash: record.hash(),
                    record,
                    spec,
                    replicas: service.replicas,
                    depends_on: service
                        .depends_on
                        .iter()
                        .map(|(dependency, spec)| (dependency.clone(), readiness(spec.condition)))
                        .collect(),
                    update: service.update.clone(),
                    hooks: service.hooks.clone(),
                    files: files.remove(name),
                }
            })
            .collect();
        DesiredState {
            project: project.to_owned(),
            profile: profile.name.clone(),
            networks,
            volumes,
            directories,
            services,
            gateway,
            secrets,
        }
    }

    /// Points the specs at the IDs of the images now present (after images were provided).
    pub fn set_image_ids(&mut self, image_ids: &HashMap<String, String>) {
        for service in &mut self.services {
            service.spec.image_id = image_ids.get(&service.spec.image).cloned();
            service.record = service.spec.record(&self.secrets);
            service.hash = service.record.hash();
        }
    }

    /// Runs these images by ID instead of by their references (a rollback whose tags have
    /// been moved to other images since).
    pub fn pin_images(&mut self, ids_by_reference: &HashMap<String, String>) {
        for service in &mut self.services {
            if let Some(id) = ids_by_reference.get(&service.spec.image) {
                service.spec.image = id.clone();
                service.spec.image_id = Some(id.clone());
                service.record = service.spec.record(&self.secrets);
                service.hash = service.record.hash();
            }
        }
    }

    pub fn service(&self, name: &str) -> Option<&DesiredService> {
        self.services.iter().find(|service| service.name == name)
    }

    /// Every image the services run, once each.
    pub fn images(&self) -> Vec<String> {
        let mut images: Vec<String> = self
            .services
            .iter()
            .map(|service| service.spec.image.clone())
            .collect();
        images.sort();
        images.dedup();
        images
    }

    pub fn container_name(&self, service: &str, number: u32) -> String {
        labels::container_name(&self.project, service, number)
    }

    /// Every desired container: (service, replica number, name), in start order.
    pub fn containers(&self) -> Vec<(&DesiredService, u32, String)> {
        self.services
            .iter()
            .flat_map(|service| {
                (1..=service.replicas).map(move |number| {
                    (service, number, self.container_name(&service.name, number))
                })
            })
            .collect()
    }

    /// What the dependents of `service` need of it before they start, and who they are.
    pub fn needed_by_dependents(&self, service: &str) -> Option<(Readiness, Vec<String>)> {
        let mut needed: Option<Readiness> = None;
        let mut dependents = Vec::new();
        for other in &self.services {
            for (dependency, readiness) in &other.depends_on {
                if dependency != service {
                    continue;
                }
                dependents.push(other.name.clone());
                needed = Some(match (needed, *readiness) {
                    (Some(Readiness::CompletedSuccessfully), _)
                    | (_, Readiness::CompletedSuccessfully) => Readiness::CompletedSuccessfully,
                    (Some(Readiness::Healthy), _) | (_, Readiness::Healthy) => Readiness::Healthy,
                    _ => Readiness::Running,
                });
            }
        }
        needed.map(|readiness| (readiness, dependents))
    }

    /// The gateway when `service` is its upstream.
    pub fn gateway_of(&self, service: &str) -> Option<&GatewayFiles> {
        self.gateway
            .as_ref()
            .filter(|gateway| gateway.upstream_service == service)
    }

    /// The files the gateway gets once every upstream replica is in place.
    pub fn final_gateway_files(&self) -> Option<Result<FileSet, String>> {
        let gateway = self.gateway.as_ref()?;
        let replicas = self
            .service(&gateway.upstream_service)
            .map_or(0, |s| s.replicas);
        let names: Vec<String> = (1..=replicas)
            .map(|number| self.container_name(&gateway.upstream_service, number))
            .collect();
        Some(gateway.files_for(&names))
    }
}
