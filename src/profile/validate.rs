//! Checks that need the whole profile: references, cycles, port clashes, schedules and
//! production safety. Each problem names the field path and what would fix it.

use std::collections::BTreeSet;

use super::interpolate::Substitution;
use super::model::{DependencyCondition, Profile, Service, UpdateOrder};
use super::path::FieldPath;
use super::units::{HostBinding, MountSource, Protocol};
use crate::schedule::CronSchedule;

use super::production::check_production_secrets;
pub use super::production::name_looks_secret;

pub type Problem = (FieldPath, String);

pub fn validate(profile: &Profile, substitutions: &[Substitution]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let root = FieldPath::root();
    if profile.services.is_empty() {
        problems.push((
            root.key("services"),
            "a profile needs at least one service".to_owned(),
        ));
    }
    let service_list = join_names(profile.services.keys());
    for (name, service) in &profile.services {
        let path = root.key("services").key(name);
        check_service_name(name, &path, &mut problems);
        check_service(profile, name, service, &path, &service_list, &mut problems);
    }
    check_cycles(profile, &mut problems);
    check_ports(profile, &mut problems);
    check_gateway(profile, &service_list, &mut problems);
    check_backup(profile, &service_list, &mut problems);
    super::validate_monitoring::check(profile, &service_list, &mut problems);
    if profile.production {
        check_production_secrets(profile, substitutions, &mut problems);
    }
    for (name, network) in &profile.networks {
        if let Some(subnet) = &network.subnet {
            if !is_cidr(subnet) {
                problems.push((
                    root.key("networks").key(name).key("subnet"),
                    format!("`{subnet}` is not a CIDR subnet; write it like 172.28.0.0/16"),
                ));
            }
        }
    }
    problems
}

fn join_names<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let list: Vec<&str> = names.map(String::as_str).collect();
    if list.is_empty() {
        "(none)".to_owned()
    } else {
        list.join(", ")
    }
}

fn check_service_name(name: &str, path: &FieldPath, problems: &mut Vec<Problem>) {
    let valid = name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid {
        problems.push((
            path.clone(),
            format!("service name `{name}` is not allowed: use lowercase letters, digits, - and _, starting with a letter (at most 40 characters)"),
        ));
    }
}

fn check_service(
    profile: &Profile,
    name: &str,
    service: &Service,
    path: &FieldPath,
    service_list: &str,
    problems: &mut Vec<Problem>,
) {
    match (&service.image, &service.build) {
        (Some(_), Some(_)) => problems.push((
            path.key("image"),
            "give either `image` or `build: service`, not both".to_owned(),
        )),
        (None, None) => problems.push((
            path.clone(),
            "no image: set `image: NAME:TAG` or `build: service`".to_owned(),
        )),
        (Some(image), None) if image.trim().is_empty() || image.contains(char::is_whitespace) => {
            problems.push((
                path.key("image"),
                format!("`{image}` is not an image reference; write NAME:TAG, e.g. postgres:15"),
            ))
        }
        _ => {}
    }
    if service.replicas > 64 {
        problems.push((
            path.key("replicas"),
            format!("{} replicas is more than the allowed 64", service.replicas),
        ));
    }
    for (dependency, spec) in &service.depends_on {
        let dep_path = path.key("depends_on").key(dependency);
        if dependency == name {
            problems.push((
                dep_path,
                format!("service `{name}` cannot depend on itself"),
            ));
            continue;
        }
        match profile.services.get(dependency) {
            None => problems.push((
                dep_path,
                format!("unknown service `{dependency}`; defined services: {service_list}"),
            )),
            Some(target)
                if spec.condition == DependencyCondition::ServiceHealthy
                    && target.healthcheck.is_none() =>
            {
                problems.push((
                    dep_path.key("condition"),
                    format!("service_healthy needs a healthcheck on `{dependency}`; add one or use service_started"),
                ))
            }
            Some(_) => {}
        }
    }
    let network_list = join_names(profile.networks.keys());
    for (index, network) in service.networks.iter().enumerate() {
        if !profile.networks.contains_key(network) {
            problems.push((
                path.key("networks").index(index),
                format!("unknown network `{network}`; declare it under `networks:` (declared: {network_list})"),
            ));
        }
    }
    let volume_list = join_names(profile.volumes.keys());
    for (index, mount) in service.volumes.iter().enumerate() {
        if let MountSource::Volume(volume) = &mount.source {
            if !profile.volumes.contains_key(volume) {
                problems.push((
                    path.key("volumes").index(index),
                    format!("unknown volume `{volume}`; declare it under `volumes:` (declared: {volume_list}) or write a path starting with ./ or /"),
                ));
            }
        }
    }
    for variable in service.environment.keys() {
        if !super::env::is_variable_name(variable) {
            problems.push((
                path.key("environment").key(variable),
                format!("`{variable}` is not a valid environment variable name"),
            ));
        }
    }
    if let Some(healthcheck) = &service.healthcheck {
        let hc = path.key("healthcheck");
        let valid_kind = matches!(
            healthcheck.test.first().map(String::as_str),
            Some("CMD") | Some("CMD-SHELL") | Some("NONE")
        );
        if !valid_kind || (healthcheck.test.len() < 2 && healthcheck.test[0] != "NONE") {
            problems.push((
                hc.key("test"),
                format!(
                    "test {:?} must start with CMD or CMD-SHELL followed by the command, e.g. [\"CMD\", \"pg_isready\"]",
                    healthcheck.test
                ),
            ));
        }
        if healthcheck.retries == 0 {
            problems.push((hc.key("retries"), "retries must be at least 1".to_owned()));
        }
        if healthcheck.interval.as_nanos() == 0 {
            problems.push((
                hc.key("interval"),
                "interval must be longer than 0s".to_owned(),
            ));
        }
        if healthcheck.timeout.as_nanos() == 0 {
            problems.push((
                hc.key("timeout"),
                "timeout must be longer than 0s".to_owned(),
            ));
        }
    }
    if let Some(resources) = &service.resources {
        if let (Some(limits), Some(reservations)) = (&resources.limits, &resources.reservations) {
            if let (Some(limit), Some(reserved)) = (limits.memory, reservations.memory) {
                if reserved > limit {
                    problems.push((
                        path.key("resources").key("reservations").key("memory"),
                        format!("reservation {reserved} is above the limit {limit}"),
                    ));
                }
            }
            if let (Some(limit), Some(reserved)) = (limits.cpus, reservations.cpus) {
                if reserved.0 > limit.0 {
                    problems.push((
                        path.key("resources").key("reservations").key("cpus"),
                        format!("reservation {reserved} is above the limit {limit}"),
                    ));
                }
            }
        }
    }
    for (index, option) in service.security_opt.iter().enumerate() {
        let known = [
            "no-new-privileges",
            "no-new-privileges:true",
            "no-new-privileges:false",
        ]
        .contains(&option.as_str())
            || option.starts_with("seccomp=")
            || option.starts_with("apparmor=")
            || option.starts_with("label=");
        if !known {
            problems.push((
                path.key("security_opt").index(index),
                format!("unknown security option `{option}`; allowed: no-new-privileges[:true|false], seccomp=..., apparmor=..., label=..."),
            ));
        }
    }
    for (index, capability) in service.cap_drop.iter().chain(&service.cap_add).enumerate() {
        let field = if index < service.cap_drop.len() {
            "cap_drop"
        } else {
            "cap_add"
        };
        let position = if index < service.cap_drop.len() {
            index
        } else {
            index - service.cap_drop.len()
        };
        let valid = !capability.is_empty()
            && capability
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_');
        if !valid {
            problems.push((
                path.key(field).index(position),
                format!("`{capability}` is not a capability name; write it in capitals, e.g. ALL or NET_BIND_SERVICE"),
            ));
        }
    }
    if service.update.parallelism == 0 {
        problems.push((
            path.key("update").key("parallelism"),
            "`0` replicas at a time would never finish an update; use 1 or more".to_owned(),
        ));
    }
    let ratio = service.update.max_failure_ratio;
    if !(0.0..=1.0).contains(&ratio) || ratio.is_nan() {
        problems.push((
            path.key("update").key("max_failure_ratio"),
            format!("`{ratio}` is not a share; use a number from 0 to 1, e.g. 0.25"),
        ));
    }
    for (phase, commands) in [
        ("pre_deploy", &service.hooks.pre_deploy),
        ("post_deploy", &service.hooks.post_deploy),
    ] {
        for (index, command) in commands.iter().enumerate() {
            if command.is_empty() {
                problems.push((
                    path.key("hooks").key(phase).index(index),
                    "an empty command; write a shell line (\"tmctl migrate\") or an argument list ([tmctl, migrate])".to_owned(),
                ));
            }
        }
    }
    if service.update.order == UpdateOrder::StartFirst && !service.ports.is_empty() {
        problems.push((
            path.key("update").key("order"),
            "start-first cannot work with fixed host ports (old and new containers would bind the same port); use stop-first".to_owned(),
        ));
    }
}

fn check_cycles(profile: &Profile, problems: &mut Vec<Problem>) {
    let mut reported: BTreeSet<Vec<String>> = BTreeSet::new();
    for start in profile.services.keys() {
        let mut stack = vec![start.clone()];
        find_cycle(profile, &mut stack, &mut reported, problems);
    }
}

fn find_cycle(
    profile: &Profile,
    stack: &mut Vec<String>,
    reported: &mut BTreeSet<Vec<String>>,
    problems: &mut Vec<Problem>,
) {
    let Some(current) = stack.last().cloned() else {
        return;
    };
    let Some(service) = profile.services.get(&current) else {
        return;
    };
    for dependency in service.depends_on.keys() {
        if dependency == &current || !profile.services.contains_key(dependency) {
            continue;
        }
        if let Some(position) = stack.iter().position(|name| name == dependency) {
            let mut cycle: Vec<String> = stack[position..].to_vec();
            let mut key = cycle.clone();
            key.sort();
            if reported.insert(key) {
                cycle.push(dependency.clone());
                problems.push((
                    FieldPath::root()
                        .key("services")
                        .key(&stack[position])
                        .key("depends_on"),
                    format!(
                        "dependency cycle: {}; remove one of these depends_on entries",
                        cycle.join(" -> ")
                    ),
                ));
            }
            continue;
        }
        if stack.len() > profile.services.len() {
            return;
        }
        stack.push(dependency.clone());
        find_cycle(profile, stack, reported, problems);
        stack.pop();
    }
}

struct Claim {
    owner: String,
    path: FieldPath,
    binding: HostBinding,
    protocol: Protocol,
}

fn check_ports(profile: &Profile, problems: &mut Vec<Problem>) {
    let mut claims: Vec<Claim> = Vec::new();
    if let Some(gateway) = &profile.gateway {
        let ports = FieldPath::root().key("gateway").key("ports");
        for (field, binding) in [("http", gateway.ports.http), ("https", gateway.ports.https)] {
            if let Some(binding) = binding {
                claims.push(Claim {
                    owner: "the gateway".to_owned(),
                    path: ports.key(field),
                    binding,
                    protocol: Protocol::Tcp,
                });
            }
        }
    }
    for (name, service) in &profile.services {
        for (index, port) in service.ports.iter().enumerate() {
            let path = FieldPath::root()
                .key("services")
                .key(name)
                .key("ports")
                .index(index);
            if service.replicas > 1 {
                problems.push((
                    path.clone(),
                    format!(
                        "service `{name}` has {} replicas but publishes the fixed host port {}; replicas would collide: remove the port (reach it through the gateway) or set replicas: 1",
                        service.replicas, port.host
                    ),
                ));
            }
            claims.push(Claim {
                owner: format!("service `{name}`"),
                path,
                binding: port.host,
                protocol: port.protocol,
            });
        }
    }
    for (index, claim) in claims.iter().enumerate() {
        if let Some(earlier) = claims[..index].iter().find(|other| {
            other.protocol == claim.protocol && other.binding.overlaps(&claim.binding)
        }) {
            problems.push((
                claim.path.clone(),
                format!(
                    "host port {} is also used by {} ({}); each host port can be published once",
                    claim.binding, earlier.owner, earlier.path
                ),
            ));
        }
    }
}

fn check_gateway(profile: &Profile, service_list: &str, problems: &mut Vec<Problem>) {
    let Some(gateway) = &profile.gateway else {
        return;
    };
    let path = FieldPath::root().key("gateway");
    match profile.services.get(&gateway.service) {
        None => problems.push((
            path.key("service"),
            format!(
                "unknown service `{}`; defined services: {service_list}",
                gateway.service
            ),
        )),
        Some(service) if !service.ports.is_empty() => problems.push((
            FieldPath::root()
                .key("services")
                .key(&gateway.service)
                .key("ports"),
            "the gateway's ports are set under `gateway.ports` (http, https); remove them here"
                .to_owned(),
        )),
        Some(_) => {}
    }
    if !profile.services.contains_key(&gateway.upstream.service) {
        problems.push((
            path.key("upstream").key("service"),
            format!(
                "unknown service `{}`; defined services: {service_list}",
                gateway.upstream.service
            ),
        ));
    }
    if gateway.ports.http.is_none() && gateway.ports.https.is_none() {
        problems.push((
            path.key("ports"),
            "the gateway publishes no port: set `http` and/or `https`, e.g. http: 127.0.0.1:8080"
                .to_owned(),
        ));
    }
    match (&gateway.tls, gateway.ports.https) {
        (None, Some(_)) => problems.push((
            path.key("tls"),
            "`ports.https` is set but TLS is not configured: add `tls: self_signed` or `tls: {cert: FILE, key: FILE}`".to_owned(),
        )),
        (Some(_), None) => problems.push((
            path.key("ports").key("https"),
            "TLS is configured but no https port is published; add `https: 0.0.0.0:443`".to_owned(),
        )),
        _ => {}
    }
    if let Some(tls) = &gateway.tls {
        let has_files = tls.cert.is_some() || tls.key.is_some();
        if tls.self_signed && has_files {
            problems.push((
                path.key("tls"),
                "choose either `self_signed: true` or `cert`/`key` files, not both".to_owned(),
            ));
        } else if !tls.self_signed && (tls.cert.is_none() || tls.key.is_none()) {
            problems.push((
                path.key("tls"),
                "TLS needs both `cert` and `key` file paths (or `self_signed: true`)".to_owned(),
            ));
        }
    }
}

fn check_backup(profile: &Profile, service_list: &str, problems: &mut Vec<Problem>) {
    let Some(backup) = &profile.backup else {
        return;
    };
    let path = FieldPath::root().key("backup");
    if let Err(message) = CronSchedule::parse(&backup.schedule, &backup.timezone) {
        let field = if message.contains("timezone") {
            "timezone"
        } else {
            "schedule"
        };
        problems.push((path.key(field), message));
    }
    if !profile.services.contains_key(&backup.database) {
        problems.push((
            path.key("database"),
            format!(
                "unknown service `{}`; defined services: {service_list}",
                backup.database
            ),
        ));
    }
    if let Some(service) = &backup.service {
        if !profile.services.contains_key(service) {
            problems.push((
                path.key("service"),
                format!("unknown service `{service}`; defined services: {service_list}"),
            ));
        }
    }
    if backup.keep_daily + backup.keep_weekly + backup.keep_monthly == 0 {
        problems.push((
            path.key("keep_daily"),
            "retention keeps nothing: set keep_daily, keep_weekly or keep_monthly above 0"
                .to_owned(),
        ));
    }
}

fn is_cidr(text: &str) -> bool {
    let Some((address, prefix)) = text.split_once('/') else {
        return false;
    };
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => prefix.parse::<u8>().is_ok_and(|p| p <= 32),
        Ok(std::net::IpAddr::V6(_)) => prefix.parse::<u8>().is_ok_and(|p| p <= 128),
        Err(_) => false,
    }
}
