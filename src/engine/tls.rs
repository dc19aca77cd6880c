//! The gateway's self-signed certificate, generated once per project and kept private.

use crate::state::{write_private_file, write_public_file, ProjectState, StateError};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(String),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("cannot read TLS file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// PEM certificate and key: the project's self-signed pair (made on first use), or the
/// files the profile names.
pub fn certificate(
    state: &ProjectState,
    files: Option<(&str, &str)>,
) -> Result<(String, String), TlsError> {
    let read = |path: &std::path::Path| {
        std::fs::read_to_string(path).map_err(|source| TlsError::Read {
            path: path.display().to_string(),
            source,
        })
    };
    if let Some((cert, key)) = files {
        return Ok((read(cert.as_ref())?, read(key.as_ref())?));
    }
    let dir = state.tls_dir();
    let (cert_path, key_path) = (dir.join("tls.crt"), dir.join("tls.key"));
    if cert_path.is_file() && key_path.is_file() {
        return Ok((read(&cert_path)?, read(&key_path)?));
    }
    let names = vec!["localhost".to_owned(), state.project.clone()];
    let generated = rcgen::generate_simple_self_signed(names)
        .map_err(|error| TlsError::Generate(error.to_string()))?;
    let cert = generated.cert.pem();
    let key = generated.key_pair.serialize_pem();
    write_private_file(&key_path, key.as_bytes())?;
    write_public_file(&cert_path, cert.as_bytes())?;
    tracing::info!(path = %cert_path.display(), "generated a self-signed certificate for the gateway");
    Ok((cert, key))
}
