//! The gateway's TLS material when the profile names certificate and key files.

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read TLS file {path}: {source}; check gateway.tls.cert and gateway.tls.key in the profile")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// PEM certificate and key read from the files the profile names.
pub fn read_pair(cert: &str, key: &str) -> Result<(String, String), TlsError> {
    let read = |path: &str| {
        std::fs::read_to_string(path).map_err(|source| TlsError::Read {
            path: path.to_owned(),
            source,
        })
    };
    Ok((read(cert)?, read(key)?))
}
