//! Generated secrets: strong random values per project, stored with mode 0600 and never
//! printed, logged or rendered into reviewable files.

use std::collections::BTreeMap;
use std::fmt;

use rand::distributions::{Alphanumeric, DistString};
use rand::rngs::OsRng;
use rand::RngCore;

use crate::profile::env::parse_dotenv;
use crate::profile::{Profile, SecretName};
use crate::state::{write_private_file, ProjectState, StateError};

/// The project's secrets. `Debug` and `Display` never show the values.
#[derive(Clone)]
pub struct Secrets {
    values: BTreeMap<SecretName, String>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("names", &self.values.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Secrets {
    pub fn get(&self, name: SecretName) -> Option<&str> {
        self.values.get(&name).map(String::as_str)
    }

    /// Every value, for checks that output never leaks one.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.values.values().map(String::as_str)
    }

    /// Secrets from `NAME=value` pairs (environment variable names); unknown names are
    /// ignored.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Secrets {
        let values = pairs
            .iter()
            .filter_map(|(key, value)| {
                let name = SecretName::ALL.iter().find(|name| name.env_var() == *key)?;
                Some((*name, (*value).to_owned()))
            })
            .collect();
        Secrets { values }
    }

    /// `NAME=value` pairs for the secrets `service` lists.
    pub fn environment_for(&self, wanted: &[SecretName]) -> Vec<(String, String)> {
        wanted
            .iter()
            .filter_map(|name| {
                self.values
                    .get(name)
                    .map(|value| (name.env_var().to_owned(), value.clone()))
            })
            .collect()
    }
}

/// A new random value for `name`.
pub fn generate(name: SecretName) -> String {
    match name {
        SecretName::TokenKey => {
            let mut bytes = [0u8; 32];
            OsRng.fill_bytes(&mut bytes);
            crate::hex::hex(&bytes)
        }
        _ => Alphanumeric.sample_string(&mut OsRng, 32),
    }
}

/// Secret values by name.
pub type SecretValues = BTreeMap<SecretName, String>;

impl Secrets {
    pub fn from_values(values: SecretValues) -> Secrets {
        Secrets { values }
    }

    pub fn to_values(&self) -> SecretValues {
        self.values.clone()
    }
}

/// Parses a `secrets.env` text; unknown names and empty values are ignored.
pub fn parse(text: &str, origin: &str) -> Result<SecretValues, StateError> {
    let pairs = parse_dotenv(text, origin).map_err(|diagnostic| StateError::Malformed {
        path: origin.to_owned(),
        message: diagnostic.message,
    })?;
    Ok(pairs
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .filter_map(|(key, value)| {
            let name = SecretName::ALL.iter().find(|name| name.env_var() == key)?;
            Some((*name, value))
        })
        .collect())
}

/// The project's local copy (`.tmctl/<project>/secrets.env`), permissions tightened;
/// empty when there is none.
pub fn read_local(state: &ProjectState) -> Result<SecretValues, StateError> {
    let path = state.secrets_file();
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            tighten_permissions(&path, state)?;
            parse(&text, &path.display().to_string())
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(SecretValues::new()),
        Err(source) => Err(StateError::Read {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// Writes the local copy (mode 0600 in a 0700 directory) when it differs.
pub fn write_local(state: &ProjectState, values: &SecretValues) -> Result<(), StateError> {
    if read_local(state).ok().as_ref() == Some(values) {
        return Ok(());
    }
    write_private_file(&state.secrets_file(), render(values).as_bytes())
}

/// Secrets given in the environment as `TMCTL_SECRET_<NAME>` (e.g.
/// `TMCTL_SECRET_POSTGRES_PASSWORD`), for CI secret stores.
pub fn from_environment() -> SecretValues {
    SecretName::ALL
        .iter()
        .filter_map(|name| {
            let value = std::env::var(format!("TMCTL_SECRET_{}", name.env_var())).ok()?;
            (!value.is_empty()).then_some((*name, value))
        })
        .collect()
}

/// Generates every secret not in `values`; returns the names generated.
pub fn generate_missing(values: &mut SecretValues) -> Vec<SecretName> {
    let mut generated = Vec::new();
    for name in SecretName::ALL {
        if let std::collections::btree_map::Entry::Vacant(slot) = values.entry(name) {
            slot.insert(generate(name));
            generated.push(name);
        }
    }
    generated
}

/// Loads the local secrets, generating any that are missing (first use of a project, or a
/// new kind of secret) — for commands that work without an Engine (`render`).
pub fn ensure_secrets(state: &ProjectState) -> Result<Secrets, StateError> {
    let mut values = read_local(state)?;
    if !generate_missing(&mut values).is_empty() {
        tracing::info!(path = %state.secrets_file().display(), "generated project secrets");
        write_private_file(&state.secrets_file(), render(&values).as_bytes())?;
    }
    Ok(Secrets { values })
}

/// The `secrets.env` text of `values`.
pub fn render(values: &SecretValues) -> String {
    let mut text = String::from("# Generated by tmctl. Keep private: mode 0600.\n");
    for (name, value) in values {
        text.push_str(name.env_var());
        text.push('=');
        text.push_str(value);
        text.push('\n');
    }
    text
}

#[cfg(unix)]
fn tighten_permissions(path: &std::path::Path, state: &ProjectState) -> Result<(), StateError> {
    use std::os::unix::fs::PermissionsExt;
    for (target, mode) in [(state.dir.as_path(), 0o700), (path, 0o600)] {
        let Ok(metadata) = std::fs::metadata(target) else {
            continue;
        };
        if metadata.permissions().mode() & 0o777 != mode {
            tracing::warn!(path = %target.display(), "permissions were too open; setting {mode:o}");
            std::fs::set_permissions(target, std::fs::Permissions::from_mode(mode)).map_err(
                |source| StateError::Write {
                    path: target.display().to_string(),
                    source,
                },
            )?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten_permissions(_: &std::path::Path, _: &ProjectState) -> Result<(), StateError> {
    Ok(())
}

/// Writes, per service that lists secrets, an env file holding just those (mode 0600), so
/// a rendered compose file can reference secrets without containing them.
pub fn write_service_env_files(
    state: &ProjectState,
    profile: &Profile,
    secrets: &Secrets,
) -> Result<(), StateError> {
    for (name, service) in &profile.services {
        if service.secrets.is_empty() {
            continue;
        }
        let mut text = String::from("# Generated by tmctl from secrets.env. Keep private.\n");
        for (key, value) in secrets.environment_for(&service.secrets) {
            text.push_str(&format!("{key}={value}\n"));
        }
        let path = state.service_env_file(name);
        let unchanged = std::fs::read_to_string(&path).is_ok_and(|existing| existing == text);
        if !unchanged {
            write_private_file(&path, text.as_bytes())?;
        }
    }
    Ok(())
}
