//! Production safety of a profile: no plain-text, default or empty secrets.

use std::collections::BTreeMap;

use super::interpolate::Substitution;
use super::model::{Profile, SecretName};
use super::path::FieldPath;
use super::validate::Problem;

/// Values nobody should run a production database with.
const WEAK_PASSWORDS: &[&str] = &[
    "postgres",
    "password",
    "changeme",
    "admin",
    "secret",
    "redis",
    "trademaster",
    "root",
    "123456",
];

/// Parts of a variable name that mark it as holding a secret.
const SECRET_MARKERS: [&str; 5] = ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "_KEY"];

/// Whether `name` looks like it holds a secret: a common marker or one of `extra`.
pub fn name_looks_secret(name: &str, extra: &[&str]) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_MARKERS
        .iter()
        .chain(extra)
        .any(|marker| upper.contains(marker))
}

fn looks_secret(variable: &str) -> bool {
    name_looks_secret(variable, &["REQUIREPASS"])
}

pub(super) fn check_production_secrets(
    profile: &Profile,
    substitutions: &[Substitution],
    problems: &mut Vec<Problem>,
) {
    let by_path: BTreeMap<String, &Substitution> = substitutions
        .iter()
        .map(|substitution| (substitution.path.to_string(), substitution))
        .collect();
    for (name, service) in &profile.services {
        let path = FieldPath::root().key("services").key(name);
        for (variable, value) in &service.environment {
            if !looks_secret(variable) {
                continue;
            }
            let field = path.key("environment").key(variable);
            let value = value.to_string();
            let generated = SecretName::ALL
                .iter()
                .any(|name| name.env_var() == variable);
            let fix = if generated {
                format!("remove it and list {variable} under `secrets:` so tmctl generates a strong one")
            } else {
                format!("take it from the environment with no default, e.g. `{variable}: ${{{variable}:?required}}`")
            };
            let message = match by_path.get(&field.to_string()) {
                _ if value.trim().is_empty() => {
                    format!("production profile would use an empty {variable}; {fix}")
                }
                Some(substitution) if substitution.used_default => format!(
                    "production profile would use the default value of ${{{}}} for {variable}; set {} in the environment or {fix}",
                    substitution.variable, substitution.variable
                ),
                Some(_) => continue,
                None if WEAK_PASSWORDS.contains(&value.to_ascii_lowercase().as_str()) => {
                    format!("production profile uses the well-known default {variable}; {fix}")
                }
                None => format!("production profile writes {variable} in plain text; {fix}"),
            };
            problems.push((field, message));
        }
        for (index, argument) in service
            .command
            .iter()
            .flatten()
            .chain(service.entrypoint.iter().flatten())
            .enumerate()
        {
            if let Some(after) = argument.split("requirepass").nth(1) {
                let value = after.trim_start().trim_start_matches(['"', '\'']);
                if value.is_empty() || !value.starts_with('$') {
                    problems.push((
                        path.key("command").index(index),
                        "production profile gives redis a literal or empty requirepass; use the generated secret (list REDIS_PASSWORD under `secrets:` and write requirepass $${REDIS_PASSWORD})".to_owned(),
                    ));
                }
            }
        }
    }
}
