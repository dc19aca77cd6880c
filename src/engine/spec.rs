//! One description per container: everything that decides how a replica of a service is
//! created. The config hash, the Engine's create body and the compose rendering are all
//! derived from it, so a field cannot reach one of them without the others.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::profile::units::{Duration, PortSpec, VolumeMount};
use crate::profile::{Healthcheck, Profile, Resources, RestartPolicy, SecretName, Service};
use crate::secrets::Secrets;

/// How one replica of a service is created; the same for every replica.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerSpec {
    pub image: String,
    /// The image's ID when it is present, so a re-tagged image is noticed.
    #[serde(default)]
    pub image_id: Option<String>,
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default)]
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Generated secrets delivered as environment variables (values never stored here).
    #[serde(default)]
    pub secrets: Vec<SecretName>,
    #[serde(default)]
    pub ports: Vec<PortSpec>,
    #[serde(default)]
    pub mounts: Vec<VolumeMount>,
    #[serde(default)]
    pub tmpfs: Vec<String>,
    /// Short network names, the first one attached at create.
    #[serde(default)]
    pub networks: Vec<String>,
    #[serde(default)]
    pub healthcheck: Option<Healthcheck>,
    #[serde(default)]
    pub restart: RestartPolicy,
    #[serde(default)]
    pub resources: Option<Resources>,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default)]
    pub cap_drop: Vec<String>,
    #[serde(default)]
    pub cap_add: Vec<String>,
    #[serde(default)]
    pub security_opt: Vec<String>,
    #[serde(default)]
    pub stop_grace_period: Option<Duration>,
    /// Run an init process as PID 1 (the service image: signals and zombies handled).
    #[serde(default)]
    pub init: bool,
}

/// What a container records about itself in its `io.tmctl.config` label: its spec, and a
/// digest of each secret it received, so `plan` can name what changed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedConfig {
    pub spec: ContainerSpec,
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
}

/// The image a service runs: its own `image:`, or the service image tmctl builds.
pub fn image_for(service: &Service, service_image: &str) -> String {
    service
        .image
        .clone()
        .unwrap_or_else(|| service_image.to_owned())
}

impl ContainerSpec {
    /// The spec of one service of `profile`. `image_ids` maps image references to the IDs
    /// of the images present (absent: not present yet).
    pub fn of_service(
        profile: &Profile,
        name: &str,
        service: &Service,
        service_image: &str,
        image_ids: &HashMap<String, String>,
    ) -> ContainerSpec {
        let image = image_for(service, service_image);
        ContainerSpec {
            image_id: image_ids.get(&image).cloned(),
            image,
            entrypoint: service.entrypoint.clone(),
            command: service.command.clone(),
            user: service.user.clone(),
            environment: service
                .environment
                .iter()
                .map(|(key, value)| (key.clone(), value.to_string()))
                .collect(),
            secrets: service.secrets.clone(),
            ports: profile.published_ports(name),
            mounts: service.volumes.clone(),
            tmpfs: service.tmpfs.clone(),
            networks: service.networks.clone(),
            healthcheck: service.healthcheck.clone(),
            restart: service.restart,
            resources: service.resources.clone(),
            read_only: service.read_only,
            cap_drop: service.cap_drop.clone(),
            cap_add: service.cap_add.clone(),
            security_opt: service.security_opt.clone(),
            stop_grace_period: service.stop_grace_period,
            init: service.build.is_some(),
        }
    }

    /// The record stored on the container, with secret values replaced by digests.
    pub fn record(&self, secrets: &Secrets) -> RecordedConfig {
        RecordedConfig {
            spec: self.clone(),
            secrets: secrets
                .environment_for(&self.secrets)
                .into_iter()
                .map(|(key, value)| (key, format!("sha256:{}", &digest(&value)[..16])))
                .collect(),
        }
    }

    pub fn stop_grace(&self) -> Option<std::time::Duration> {
        self.stop_grace_period.map(|d| d.as_std())
    }
}

impl RecordedConfig {
    /// The config hash: changes exactly when the container must be recreated.
    pub fn hash(&self) -> String {
        digest(&self.to_json())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn parse(text: &str) -> Option<RecordedConfig> {
        serde_json::from_str(text).ok()
    }
}

fn digest(text: &str) -> String {
    crate::hex::hex(&Sha256::digest(text.as_bytes()))
}

/// Names what differs between a recorded configuration and a new one: top-level fields,
/// environment variables (`environment.NAME`) and secrets (`secret NAME`).
pub fn changed_fields(old: &Value, new: &RecordedConfig) -> Vec<String> {
    let new = serde_json::to_value(new).unwrap_or(Value::Null);
    let (Some(old_spec), Some(new_spec)) = (
        old.get("spec").and_then(Value::as_object),
        new.get("spec").and_then(Value::as_object),
    ) else {
        return vec!["(configuration recorded by an older tmctl)".to_owned()];
    };
    let mut changed = Vec::new();
    for key in union(old_spec.keys(), new_spec.keys()) {
        let (before, after) = (old_spec.get(key), new_spec.get(key));
        if before == after {
            continue;
        }
        if key == "environment" {
            changed.extend(
                differing_keys(before, after)
                    .into_iter()
                    .map(|name| format!("environment.{name}")),
            );
        } else {
            changed.push(key.clone());
        }
    }
    changed.extend(
        differing_keys(old.get("secrets"), new.get("secrets"))
            .into_iter()
            .map(|name| format!("secret {name}")),
    );
    changed
}

fn union<'a>(
    a: impl Iterator<Item = &'a String>,
    b: impl Iterator<Item = &'a String>,
) -> Vec<&'a String> {
    let mut keys: Vec<&String> = a.chain(b).collect();
    keys.sort();
    keys.dedup();
    keys
}

fn differing_keys(before: Option<&Value>, after: Option<&Value>) -> Vec<String> {
    let empty = serde_json::Map::new();
    let before = before.and_then(Value::as_object).unwrap_or(&empty);
    let after = after.and_then(Value::as_object).unwrap_or(&empty);
    union(before.keys(), after.keys())
        .into_iter()
        .filter(|key| before.get(*key) != after.get(*key))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::create_body::{create_body, Replica};

    fn sample() -> ContainerSpec {
        serde_json::from_value(serde_json::json!({
            "image": "tmctl:1", "image_id": "sha256:aa", "entrypoint": ["/bin/e"],
            "command": ["serve"], "user": "1000:1000", "environment": {"A": "1"},
            "secrets": ["POSTGRES_PASSWORD"], "ports": ["127.0.0.1:8080:80"],
            "mounts": ["data:/data"], "tmpfs": ["/tmp"], "networks": ["backend", "frontend"],
            "healthcheck": {"test": ["CMD", "true"], "interval": "2s", "timeout": "3s",
                            "retries": 5, "start_period": "5s"},
            "restart": "unless-stopped",
            "resources": {"limits": {"cpus": 1, "memory": "256m", "pids": 100},
                          "reservations": {"memory": "64m"}},
            "read_only": true, "cap_drop": ["ALL"], "cap_add": ["CHOWN"],
            "security_opt": ["no-new-privileges:true"], "stop_grace_period": "30s",
            "init": true
        }))
        .expect("sample spec")
    }

    /// A different value of the same shape for every field of the spec.
    fn mutated(key: &str, value: &Value) -> Value {
        match (key, value) {
            ("restart", _) => Value::String("always".into()),
            ("healthcheck", _) => {
                serde_json::json!({"test": ["CMD", "false"], "interval": "2s", "timeout": "3s", "retries": 5, "start_period": "5s"})
            }
            ("resources", _) => serde_json::json!({"limits": {"memory": "512m"}}),
            ("secrets", _) => serde_json::json!(["REDIS_PASSWORD"]),
            ("ports", _) => serde_json::json!(["127.0.0.1:8081:80"]),
            ("mounts", _) => serde_json::json!(["other:/data"]),
            ("stop_grace_period", _) => Value::String("31s".into()),
            (_, Value::Bool(flag)) => Value::Bool(!flag),
            (_, Value::String(text)) => Value::String(format!("{text}x")),
            (_, Value::Array(items)) if items.is_empty() => serde_json::json!(["x"]),
            (_, Value::Array(items)) => Value::Array(items[..items.len() - 1].to_vec()),
            (_, Value::Object(_)) => serde_json::json!({"B": "2"}),
            (_, other) => panic!("no mutation for {key}: {other}"),
        }
    }

    /// The body minus the labels that carry the hash and the record themselves.
    fn without_hash_labels(mut body: Value) -> Value {
        if let Some(labels) = body.get_mut("Labels").and_then(Value::as_object_mut) {
            labels.remove(crate::engine::labels::CONFIG_HASH);
            labels.remove(crate::engine::labels::TMCTL_CONFIG);
        }
        body
    }

    #[test]
    fn every_field_of_the_spec_changes_the_hash_and_the_create_body() {
        let secrets = Secrets::from_pairs(&[
            ("POSTGRES_PASSWORD", "pg-secret"),
            ("REDIS_PASSWORD", "redis-secret"),
        ]);
        let base = sample();
        let replica = Replica {
            project: "tm-x",
            service: "service",
            number: 1,
            name: "tm-x-service-1",
            profile: "dev",
            one_off: false,
        };
        let base_hash = base.record(&secrets).hash();
        let base_body =
            serde_json::to_value(create_body(&base, &replica, &secrets).body).expect("body json");
        let fields = serde_json::to_value(&base).expect("spec json");
        let fields = fields.as_object().expect("spec is an object");
        assert!(fields.len() >= 20, "every field is set in the sample");
        for (key, value) in fields {
            let mut changed = fields.clone();
            changed.insert(key.clone(), mutated(key, value));
            let spec: ContainerSpec = serde_json::from_value(Value::Object(changed))
                .unwrap_or_else(|error| panic!("mutated {key}: {error}"));
            assert_ne!(
                spec.record(&secrets).hash(),
                base_hash,
                "changing `{key}` must change the config hash"
            );
            let created = create_body(&spec, &replica, &secrets);
            let body = without_hash_labels(serde_json::to_value(created.body).expect("json"));
            let expected = without_hash_labels(base_body.clone());
            if key == "networks" {
                // The first network is attached at create, the rest right after.
                assert!(
                    body != expected || created.extra_networks.is_empty(),
                    "changing `networks` must change the networks attached"
                );
            } else {
                assert_ne!(
                    body, expected,
                    "changing `{key}` must change the create body"
                );
            }
        }
    }

    #[test]
    fn a_changed_secret_changes_the_hash_and_is_named() {
        let spec = sample();
        let before = spec.record(&Secrets::from_pairs(&[("POSTGRES_PASSWORD", "one")]));
        let after = spec.record(&Secrets::from_pairs(&[("POSTGRES_PASSWORD", "two")]));
        assert_ne!(before.hash(), after.hash());
        let old: Value = serde_json::from_str(&before.to_json()).expect("json");
        assert_eq!(
            changed_fields(&old, &after),
            vec!["secret POSTGRES_PASSWORD"]
        );
        assert!(
            !before.to_json().contains("one"),
            "no secret value recorded"
        );
    }

    #[test]
    fn changed_fields_names_environment_variables() {
        let secrets = Secrets::from_pairs(&[]);
        let mut old = sample();
        old.secrets.clear();
        old.environment = BTreeMap::from([("A".into(), "1".into()), ("B".into(), "2".into())]);
        let mut new = old.clone();
        new.image = "tmctl:2".into();
        new.environment = BTreeMap::from([
            ("A".into(), "1".into()),
            ("B".into(), "3".into()),
            ("C".into(), "4".into()),
        ]);
        let old: Value = serde_json::to_value(old.record(&secrets)).expect("json");
        assert_eq!(
            changed_fields(&old, &new.record(&secrets)),
            vec!["environment.B", "environment.C", "image"]
        );
    }
}
