//! Rewrites the short forms compose users write into the one form the typed model reads,
//! and merges a profile over the one it `extends`.

use serde_yaml::{Mapping, Value};

fn key(name: &str) -> Value {
    Value::String(name.to_owned())
}

/// Applies every short form in place. Shapes it does not recognise are left for the typed
/// model to reject with a precise message.
pub fn normalize(document: &mut Value) {
    for section in ["networks", "volumes"] {
        if let Some(Value::Mapping(entries)) = document.get_mut(section) {
            for (_, entry) in entries.iter_mut() {
                if entry.is_null() {
                    *entry = Value::Mapping(Mapping::new());
                }
            }
        }
    }
    if let Some(Value::Mapping(gateway)) = document.get_mut("gateway") {
        if let Some(tls) = gateway.get_mut(key("tls")) {
            if tls.as_str() == Some("self_signed") {
                let mut mapping = Mapping::new();
                mapping.insert(key("self_signed"), Value::Bool(true));
                *tls = Value::Mapping(mapping);
            }
            if let Value::Mapping(tls) = tls {
                normalize_tls_files(tls);
            }
        }
    }
    if let Some(Value::Mapping(services)) = document.get_mut("services") {
        for (_, service) in services.iter_mut() {
            if let Value::Mapping(service) = service {
                normalize_service(service);
            }
        }
    }
}

/// `cert: ${TM_TLS_CERT:-}` with the variable unset is no file: when both paths are empty
/// the gateway gets a self-signed certificate, so a profile can take files from the
/// environment when they are given. One empty path is dropped for validation to report.
fn normalize_tls_files(tls: &mut Mapping) {
    let empty = |name: &str| tls.get(key(name)).and_then(Value::as_str) == Some("");
    let (cert_empty, key_empty) = (empty("cert"), empty("key"));
    if cert_empty {
        tls.remove(key("cert"));
    }
    if key_empty {
        tls.remove(key("key"));
    }
    if cert_empty && key_empty && !tls.contains_key(key("self_signed")) {
        tls.insert(key("self_signed"), Value::Bool(true));
    }
}

fn normalize_service(service: &mut Mapping) {
    if let Some(depends_on) = service.get_mut(key("depends_on")) {
        if let Value::Sequence(names) = depends_on {
            let mut mapping = Mapping::new();
            for name in names.iter() {
                let mut condition = Mapping::new();
                condition.insert(key("condition"), key("service_started"));
                mapping.insert(name.clone(), Value::Mapping(condition));
            }
            *depends_on = Value::Mapping(mapping);
        }
    }
    if let Some(environment) = service.get_mut(key("environment")) {
        if let Value::Sequence(items) = environment {
            if items
                .iter()
                .all(|item| item.as_str().is_some_and(|s| s.contains('=')))
            {
                let mut mapping = Mapping::new();
                for item in items.iter() {
                    if let Some((name, value)) = item.as_str().and_then(|s| s.split_once('=')) {
                        mapping.insert(key(name), key(value));
                    }
                }
                *environment = Value::Mapping(mapping);
            }
        }
    }
    if let Some(Value::Mapping(healthcheck)) = service.get_mut(key("healthcheck")) {
        if let Some(test) = healthcheck.get_mut(key("test")) {
            if let Value::String(command) = test {
                *test = Value::Sequence(vec![key("CMD-SHELL"), key(command)]);
            }
        }
    }
}

/// Merges `child` over `base`: mappings merge key by key, anything else is replaced.
pub fn merge(base: &mut Value, child: Value) {
    match (base, child) {
        (Value::Mapping(base), Value::Mapping(child)) => {
            for (name, value) in child {
                match base.get_mut(&name) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(name, value);
                    }
                }
            }
        }
        (base, child) => *base = child,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms_become_long_forms() {
        let mut doc: Value = serde_yaml::from_str(
            "networks: {a: }\nservices:\n  s:\n    depends_on: [db]\n    environment: [A=1]\n    healthcheck: {test: 'true'}\n",
        )
        .unwrap();
        normalize(&mut doc);
        assert!(doc["networks"]["a"].is_mapping());
        assert_eq!(
            doc["services"]["s"]["depends_on"]["db"]["condition"],
            key("service_started")
        );
        assert_eq!(doc["services"]["s"]["environment"]["A"], key("1"));
        assert_eq!(
            doc["services"]["s"]["healthcheck"]["test"][0],
            key("CMD-SHELL")
        );
    }

    #[test]
    fn merge_is_deep_for_maps_and_replaces_lists() {
        let mut base: Value = serde_yaml::from_str("a: {x: 1, y: [1, 2]}\nb: 1").unwrap();
        let child: Value = serde_yaml::from_str("a: {y: [3]}\nc: 2").unwrap();
        merge(&mut base, child);
        assert_eq!(base["a"]["x"], Value::Number(1.into()));
        assert_eq!(
            base["a"]["y"],
            serde_yaml::from_str::<Value>("[3]").unwrap()
        );
        assert_eq!(base["c"], Value::Number(2.into()));
    }
}
