//! The desired containers of a profile: one create request per replica, with a config hash
//! that changes exactly when the container must be recreated.

use std::collections::{BTreeMap, HashMap};

use bollard::models::{
    ContainerCreateBody, EndpointSettings, HealthConfig, HostConfig, Mount, MountType,
    NetworkingConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::labels;
use crate::profile::units::MountSource;
use crate::profile::{Profile, RestartPolicy as ProfileRestart, Service};
use crate::secrets::Secrets;

/// One container tmctl wants to exist.
#[derive(Debug, Clone)]
pub struct DesiredContainer {
    pub service: String,
    pub number: u32,
    pub name: String,
    pub image: String,
    /// What decides recreation; stored on the container as a label (secrets as digests).
    pub config: Value,
    pub hash: String,
    pub body: ContainerCreateBody,
    /// Networks after the first, connected before start (older Engines take one at create).
    pub extra_networks: Vec<(String, EndpointSettings)>,
}

/// Inputs besides the profile.
pub struct SpecContext<'a> {
    pub project: &'a str,
    pub profile: &'a Profile,
    pub secrets: &'a Secrets,
    /// Image reference for `build: service` services.
    pub service_image: &'a str,
    /// Image IDs by reference, for the image-changed check (absent = not present yet).
    pub image_ids: &'a HashMap<String, String>,
}

fn digest(text: &str) -> String {
    crate::hex::hex(&Sha256::digest(text.as_bytes()))
}

pub fn image_for(service: &Service, service_image: &str) -> String {
    service
        .image
        .clone()
        .unwrap_or_else(|| service_image.to_owned())
}

/// The service's configuration as recorded on its containers; replica-independent.
fn service_config(context: &SpecContext, name: &str, service: &Service) -> Value {
    let image = image_for(service, context.service_image);
    let mut environment: BTreeMap<String, String> = service
        .environment
        .iter()
        .map(|(key, value)| (key.clone(), value.to_string()))
        .collect();
    for (key, value) in context.secrets.environment_for(&service.secrets) {
        environment.insert(key, format!("secret:{}", &digest(&value)[..16]));
    }
    let ports: Vec<String> = context
        .profile
        .published_ports(name)
        .iter()
        .map(ToString::to_string)
        .collect();
    json!({
        "image": image,
        "image_id": context.image_ids.get(&image),
        "entrypoint": service.entrypoint,
        "command": service.command,
        "user": service.user,
        "environment": environment,
        "ports": ports,
        "volumes": service.volumes.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "tmpfs": service.tmpfs,
        "networks": service.networks,
        "healthcheck": service.healthcheck.as_ref().map(|h| json!({
            "test": h.test, "interval": h.interval.to_string(), "timeout": h.timeout.to_string(),
            "retries": h.retries, "start_period": h.start_period.to_string(),
        })),
        "restart": service.restart.as_str(),
        "resources": service.resources,
        "read_only": service.read_only,
        "cap_drop": service.cap_drop,
        "cap_add": service.cap_add,
        "security_opt": service.security_opt,
        "stop_grace_period": service.stop_grace_period.map(|d| d.to_string()),
    })
}

fn nanos(duration: crate::profile::units::Duration) -> i64 {
    i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX)
}

/// Every desired container of the profile, in start order.
pub fn desired_containers(context: &SpecContext) -> Vec<DesiredContainer> {
    let mut containers = Vec::new();
    for name in context.profile.services_in_start_order() {
        let service = &context.profile.services[name];
        let config = service_config(context, name, service);
        let hash = digest(&config.to_string());
        for number in 1..=service.replicas {
            containers.push(container(context, name, service, number, &config, &hash));
        }
    }
    containers
}

fn container(
    context: &SpecContext,
    service_name: &str,
    service: &Service,
    number: u32,
    config: &Value,
    hash: &str,
) -> DesiredContainer {
    let project = context.project;
    let name = labels::container_name(project, service_name, number);
    let image = image_for(service, context.service_image);

    let mut env: Vec<String> = service
        .environment
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    env.extend(
        context
            .secrets
            .environment_for(&service.secrets)
            .into_iter()
            .map(|(key, value)| format!("{key}={value}")),
    );

    let mut label_map: HashMap<String, String> = HashMap::new();
    label_map.insert(labels::PROJECT.into(), project.into());
    label_map.insert(labels::SERVICE.into(), service_name.into());
    label_map.insert(labels::CONTAINER_NUMBER.into(), number.to_string());
    label_map.insert(labels::ONEOFF.into(), "False".into());
    label_map.insert(labels::CONFIG_HASH.into(), hash.into());
    label_map.insert(labels::TMCTL_PROFILE.into(), context.profile.name.clone());
    label_map.insert(
        labels::TMCTL_VERSION.into(),
        env!("CARGO_PKG_VERSION").into(),
    );
    label_map.insert(labels::TMCTL_CONFIG.into(), config.to_string());
    if let Some(id) = context.image_ids.get(&image) {
        label_map.insert(labels::TMCTL_IMAGE_ID.into(), id.clone());
    }

    let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    let mut exposed: Vec<String> = Vec::new();
    let mut publish = |host_ip: String, host_port: u16, container_port: u16, protocol: &str| {
        let key = format!("{container_port}/{protocol}");
        exposed.push(key.clone());
        port_bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: Some(host_ip),
                host_port: Some(host_port.to_string()),
            });
    };
    for port in context.profile.published_ports(service_name) {
        publish(
            port.host.ip.to_string(),
            port.host.port,
            port.container,
            &port.protocol.to_string(),
        );
    }

    let mounts: Vec<Mount> = service
        .volumes
        .iter()
        .map(|mount| match &mount.source {
            MountSource::Volume(volume) => Mount {
                typ: Some(MountType::VOLUME),
                source: Some(labels::volume_name(project, volume)),
                target: Some(mount.target.clone()),
                read_only: Some(mount.read_only),
                ..Default::default()
            },
            MountSource::Bind(path) => Mount {
                typ: Some(MountType::BIND),
                source: Some(path.clone()),
                target: Some(mount.target.clone()),
                read_only: Some(mount.read_only),
                ..Default::default()
            },
        })
        .collect();
    let tmpfs: HashMap<String, String> = service
        .tmpfs
        .iter()
        .map(|path| (path.clone(), String::new()))
        .collect();

    let limits = service.resources.as_ref().and_then(|r| r.limits.as_ref());
    let reservations = service
        .resources
        .as_ref()
        .and_then(|r| r.reservations.as_ref());
    let host_config = HostConfig {
        port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
        mounts: (!mounts.is_empty()).then_some(mounts),
        tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
        restart_policy: Some(RestartPolicy {
            name: Some(match service.restart {
                ProfileRestart::No => RestartPolicyNameEnum::NO,
                ProfileRestart::Always => RestartPolicyNameEnum::ALWAYS,
                ProfileRestart::OnFailure => RestartPolicyNameEnum::ON_FAILURE,
                ProfileRestart::UnlessStopped => RestartPolicyNameEnum::UNLESS_STOPPED,
            }),
            maximum_retry_count: None,
        }),
        readonly_rootfs: Some(service.read_only),
        cap_drop: (!service.cap_drop.is_empty()).then(|| service.cap_drop.clone()),
        cap_add: (!service.cap_add.is_empty()).then(|| service.cap_add.clone()),
        security_opt: (!service.security_opt.is_empty()).then(|| service.security_opt.clone()),
        memory: limits.and_then(|l| l.memory).map(|m| m.0 as i64),
        nano_cpus: limits.and_then(|l| l.cpus).map(|c| (c.0 * 1e9) as i64),
        pids_limit: limits.and_then(|l| l.pids).map(i64::from),
        memory_reservation: reservations.and_then(|r| r.memory).map(|m| m.0 as i64),
        init: Some(service.build.is_some()),
        ..Default::default()
    };

    let endpoint = |_network: &str| EndpointSettings {
        aliases: Some(vec![service_name.to_owned()]),
        ..Default::default()
    };
    let mut networks = service
        .networks
        .iter()
        .map(|network| (labels::network_name(project, network), endpoint(network)));
    let first = networks.next();
    let extra_networks: Vec<(String, EndpointSettings)> = networks.collect();
    let networking_config = first.map(|(network, settings)| NetworkingConfig {
        endpoints_config: Some(HashMap::from([(network, settings)])),
    });

    let body = ContainerCreateBody {
        hostname: Some(name.clone()),
        image: Some(image.clone()),
        entrypoint: service.entrypoint.clone(),
        cmd: service.command.clone(),
        user: service.user.clone(),
        env: Some(env),
        labels: Some(label_map),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        healthcheck: service.healthcheck.as_ref().map(|h| HealthConfig {
            test: Some(h.test.clone()),
            interval: Some(nanos(h.interval)),
            timeout: Some(nanos(h.timeout)),
            retries: Some(i64::from(h.retries)),
            start_period: Some(nanos(h.start_period)),
            start_interval: None,
        }),
        stop_timeout: service
            .stop_grace_period
            .map(|d| i64::try_from(d.as_std().as_secs()).unwrap_or(i64::MAX)),
        host_config: Some(host_config),
        networking_config,
        ..Default::default()
    };
    DesiredContainer {
        service: service_name.to_owned(),
        number,
        name,
        image,
        config: config.clone(),
        hash: hash.to_owned(),
        body,
        extra_networks,
    }
}

/// Names the top-level fields (and environment variables) that differ between two configs.
pub fn changed_fields(old: &Value, new: &Value) -> Vec<String> {
    let (Some(old), Some(new)) = (old.as_object(), new.as_object()) else {
        return vec!["(unreadable previous configuration)".to_owned()];
    };
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut changed = Vec::new();
    for key in keys {
        let (before, after) = (old.get(key), new.get(key));
        if before == after {
            continue;
        }
        if key == "environment" {
            let empty = serde_json::Map::new();
            let before = before.and_then(Value::as_object).unwrap_or(&empty);
            let after = after.and_then(Value::as_object).unwrap_or(&empty);
            let mut variables: Vec<&String> = before.keys().chain(after.keys()).collect();
            variables.sort();
            variables.dedup();
            for variable in variables {
                if before.get(variable) != after.get(variable) {
                    changed.push(format!("environment.{variable}"));
                }
            }
        } else {
            changed.push(key.clone());
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_fields_names_environment_variables() {
        let old = json!({"image": "a", "environment": {"A": "1", "B": "2"}});
        let new = json!({"image": "b", "environment": {"A": "1", "B": "3", "C": "4"}});
        assert_eq!(
            changed_fields(&old, &new),
            vec!["environment.B", "environment.C", "image"]
        );
    }
}
