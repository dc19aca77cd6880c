//! The Engine's create request for one replica, derived from its [`ContainerSpec`].

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, EndpointSettings, HealthConfig, HostConfig, Mount, MountType,
    NetworkingConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};

use super::labels;
use super::spec::ContainerSpec;
use crate::profile::units::MountSource;
use crate::profile::RestartPolicy as ProfileRestart;
use crate::secrets::Secrets;

/// Which replica is being created, and under which name.
#[derive(Debug, Clone, Copy)]
pub struct Replica<'a> {
    pub project: &'a str,
    pub service: &'a str,
    pub number: u32,
    /// The container's name: its canonical one, or a temporary one during a replacement.
    pub name: &'a str,
    pub profile: &'a str,
    /// A one-off container (a deploy hook), not a replica.
    pub one_off: bool,
}

/// A create request plus the networks connected after create (older Engines take one).
#[derive(Debug, Clone)]
pub struct CreateRequest {
    pub body: ContainerCreateBody,
    pub extra_networks: Vec<(String, EndpointSettings)>,
}

fn nanos(duration: crate::profile::units::Duration) -> i64 {
    i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX)
}

pub fn create_body(spec: &ContainerSpec, replica: &Replica, secrets: &Secrets) -> CreateRequest {
    let project = replica.project;
    let record = spec.record(secrets);

    let mut env: Vec<String> = spec
        .environment
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    env.extend(
        secrets
            .environment_for(&spec.secrets)
            .into_iter()
            .map(|(key, value)| format!("{key}={value}")),
    );

    let mut label_map: HashMap<String, String> = HashMap::from([
        (labels::PROJECT.into(), project.into()),
        (labels::SERVICE.into(), replica.service.into()),
        (labels::CONTAINER_NUMBER.into(), replica.number.to_string()),
        (
            labels::ONEOFF.into(),
            if replica.one_off { "True" } else { "False" }.into(),
        ),
        (labels::CONFIG_HASH.into(), record.hash()),
        (labels::TMCTL_PROFILE.into(), replica.profile.into()),
        (
            labels::TMCTL_VERSION.into(),
            env!("CARGO_PKG_VERSION").into(),
        ),
        (labels::TMCTL_CONFIG.into(), record.to_json()),
    ]);
    if let Some(id) = &spec.image_id {
        label_map.insert(labels::TMCTL_IMAGE_ID.into(), id.clone());
    }

    let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    let mut exposed: Vec<String> = Vec::new();
    for port in &spec.ports {
        let key = format!("{}/{}", port.container, port.protocol);
        exposed.push(key.clone());
        port_bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: Some(port.host.ip.to_string()),
                host_port: Some(port.host.port.to_string()),
            });
    }

    let mounts: Vec<Mount> = spec
        .mounts
        .iter()
        .map(|mount| {
            let (typ, source) = match &mount.source {
                MountSource::Volume(volume) => {
                    (MountType::VOLUME, labels::volume_name(project, volume))
                }
                MountSource::Bind(path) => (MountType::BIND, path.clone()),
            };
            Mount {
                typ: Some(typ),
                source: Some(source),
                target: Some(mount.target.clone()),
                read_only: Some(mount.read_only),
                ..Default::default()
            }
        })
        .collect();
    let tmpfs: HashMap<String, String> = spec
        .tmpfs
        .iter()
        .map(|path| (path.clone(), String::new()))
        .collect();

    let limits = spec.resources.as_ref().and_then(|r| r.limits.as_ref());
    let reservations = spec
        .resources
        .as_ref()
        .and_then(|r| r.reservations.as_ref());
    let host_config = HostConfig {
        port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
        mounts: (!mounts.is_empty()).then_some(mounts),
        tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
        restart_policy: Some(RestartPolicy {
            name: Some(match spec.restart {
                ProfileRestart::No => RestartPolicyNameEnum::NO,
                ProfileRestart::Always => RestartPolicyNameEnum::ALWAYS,
                ProfileRestart::OnFailure => RestartPolicyNameEnum::ON_FAILURE,
                ProfileRestart::UnlessStopped => RestartPolicyNameEnum::UNLESS_STOPPED,
            }),
            maximum_retry_count: None,
        }),
        readonly_rootfs: Some(spec.read_only),
        cap_drop: (!spec.cap_drop.is_empty()).then(|| spec.cap_drop.clone()),
        cap_add: (!spec.cap_add.is_empty()).then(|| spec.cap_add.clone()),
        security_opt: (!spec.security_opt.is_empty()).then(|| spec.security_opt.clone()),
        memory: limits.and_then(|l| l.memory).map(|m| m.0 as i64),
        nano_cpus: limits.and_then(|l| l.cpus).map(|c| (c.0 * 1e9) as i64),
        pids_limit: limits.and_then(|l| l.pids).map(i64::from),
        memory_reservation: reservations.and_then(|r| r.memory).map(|m| m.0 as i64),
        cpu_shares: reservations
            .and_then(|r| r.cpus)
            .map(|c| (c.0 * 1024.0) as i64),
        init: Some(spec.init),
        ..Default::default()
    };

    let endpoint = || EndpointSettings {
        aliases: Some(vec![replica.service.to_owned()]),
        ..Default::default()
    };
    let mut networks = spec
        .networks
        .iter()
        .map(|network| (labels::network_name(project, network), endpoint()));
    let first = networks.next();
    let extra_networks: Vec<(String, EndpointSettings)> = networks.collect();
    let networking_config = first.map(|(network, settings)| NetworkingConfig {
        endpoints_config: Some(HashMap::from([(network, settings)])),
    });

    let body = ContainerCreateBody {
        hostname: Some(replica.name.to_owned()),
        image: Some(spec.image.clone()),
        entrypoint: spec.entrypoint.clone(),
        cmd: spec.command.clone(),
        user: spec.user.clone(),
        env: Some(env),
        labels: Some(label_map),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        healthcheck: spec.healthcheck.as_ref().map(|h| HealthConfig {
            test: Some(h.test.clone()),
            interval: Some(nanos(h.interval)),
            timeout: Some(nanos(h.timeout)),
            retries: Some(i64::from(h.retries)),
            start_period: Some(nanos(h.start_period)),
            start_interval: None,
        }),
        stop_timeout: spec
            .stop_grace_period
            .map(|d| i64::try_from(d.as_std().as_secs()).unwrap_or(i64::MAX)),
        host_config: Some(host_config),
        networking_config,
        ..Default::default()
    };
    CreateRequest {
        body,
        extra_networks,
    }
}
