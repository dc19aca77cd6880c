//! The project's secrets and certificate: kept on the Engine (the project store), cached in
//! the local state directory. Precedence: `TMCTL_SECRET_<NAME>` in the environment, then
//! the Engine, then the local copy; only what none of them has is generated, and never all
//! of it for a project whose data volumes exist.

use anyhow::{bail, Context as _};
use bollard::Docker;

use super::Project;
use crate::engine::project_store::{self, ProjectStore};
use crate::secrets::{self, SecretValues, Secrets};
use crate::state::{write_private_file, write_public_file};

const SECRETS: &str = "secrets.env";
const TLS_CERT: &str = "tls/tls.crt";
const TLS_KEY: &str = "tls/tls.key";

/// The project's secrets, brought in line on the Engine and locally. `volumes` are the
/// project's volumes on the Engine.
pub async fn secrets(
    docker: &Docker,
    project: &Project,
    volumes: &[String],
) -> anyhow::Result<Secrets> {
    let store = ProjectStore::open(docker, &project.name).await?;
    let remote = match &store {
        Some(store) => match store.read(SECRETS).await? {
            Some(bytes) => secrets::parse(&String::from_utf8_lossy(&bytes), "the project store")?,
            None => SecretValues::new(),
        },
        None => SecretValues::new(),
    };
    let local = secrets::read_local(&project.state)?;
    let mut values = local.clone();
    values.extend(remote.clone());
    values.extend(secrets::from_environment());
    let state_volume = project_store::volume_name(&project.name);
    let data_volumes: Vec<&String> = volumes.iter().filter(|v| **v != state_volume).collect();
    if values.is_empty() && !data_volumes.is_empty() {
        let names: Vec<&str> = data_volumes.iter().map(|v| v.as_str()).collect();
        bail!(
            "{} has data volumes ({}) but no stored secrets: new passwords would not open the existing data. \
             Put the project's secrets.env back into {}, or give them as TMCTL_SECRET_POSTGRES_PASSWORD etc., \
             or delete the data with `tmctl down --volumes`",
            project.name,
            names.join(", "),
            project.state.dir.display()
        );
    }
    let generated = secrets::generate_missing(&mut values);
    if !generated.is_empty() {
        let names: Vec<&str> = generated.iter().map(|name| name.env_var()).collect();
        tracing::info!(
            "generated secrets for {}: {}",
            project.name,
            names.join(", ")
        );
    }
    if store.is_none() || remote != values {
        let store = ProjectStore::open_or_create(docker, &project.name).await?;
        store
            .write(&[(SECRETS, secrets::render(&values).as_bytes())])
            .await?;
    }
    secrets::write_local(&project.state, &values)?;
    Ok(Secrets::from_values(values))
}

/// The gateway's self-signed certificate and key, made once per project and kept with it.
pub async fn self_signed_certificate(
    docker: &Docker,
    project: &Project,
) -> anyhow::Result<(String, String)> {
    let store = ProjectStore::open_or_create(docker, &project.name).await?;
    let text = |bytes: Option<Vec<u8>>| bytes.map(|b| String::from_utf8_lossy(&b).into_owned());
    let remote = (
        text(store.read(TLS_CERT).await?),
        text(store.read(TLS_KEY).await?),
    );
    let dir = project.state.tls_dir();
    let (cert_path, key_path) = (dir.join("tls.crt"), dir.join("tls.key"));
    let (cert, key) = match remote {
        (Some(cert), Some(key)) => (cert, key),
        _ => {
            let local = (
                std::fs::read_to_string(&cert_path).ok(),
                std::fs::read_to_string(&key_path).ok(),
            );
            let (cert, key) = match local {
                (Some(cert), Some(key)) => (cert, key),
                _ => generate_certificate(&project.name)?,
            };
            store
                .write(&[(TLS_CERT, cert.as_bytes()), (TLS_KEY, key.as_bytes())])
                .await?;
            (cert, key)
        }
    };
    if std::fs::read_to_string(&cert_path).ok().as_deref() != Some(cert.as_str()) {
        write_public_file(&cert_path, cert.as_bytes())?;
        write_private_file(&key_path, key.as_bytes())?;
    }
    Ok((cert, key))
}

fn generate_certificate(project: &str) -> anyhow::Result<(String, String)> {
    let names = vec!["localhost".to_owned(), project.to_owned()];
    let generated = rcgen::generate_simple_self_signed(names)
        .context("cannot generate a self-signed certificate")?;
    tracing::info!("generated a self-signed certificate for the gateway of {project}");
    Ok((generated.cert.pem(), generated.key_pair.serialize_pem()))
}

/// Replaces the stored secrets (on the Engine and locally) with `values`.
pub async fn store_secrets(
    docker: &Docker,
    project: &Project,
    values: &SecretValues,
) -> anyhow::Result<()> {
    let store = ProjectStore::open_or_create(docker, &project.name).await?;
    store
        .write(&[(SECRETS, secrets::render(values).as_bytes())])
        .await?;
    secrets::write_local(&project.state, values)?;
    Ok(())
}
