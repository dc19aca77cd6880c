//! A minimal HTTP/1.1 GET over a TCP stream: enough for health endpoints on loopback,
//! and much faster to start than a full client.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

/// The most of a response body kept; health answers are small.
const BODY_LIMIT: usize = 64 * 1024;

#[derive(Debug, Error)]
pub enum HttpError {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot connect to {address}: {source}")]
    Connect {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("connection to {address} failed: {source}")]
    Io {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("TLS with {address} failed: {reason}")]
    Tls { address: SocketAddr, reason: String },
    #[error("{address} answered something that is not HTTP: {start:?}")]
    Malformed { address: SocketAddr, start: String },
}

#[derive(Debug, Clone)]
pub struct HttpAnswer {
    pub status: u16,
    pub body: String,
}

/// `GET path` on `address`, the whole exchange bounded by `timeout`.
pub async fn get(
    address: SocketAddr,
    path: &str,
    timeout: Duration,
) -> Result<HttpAnswer, HttpError> {
    tokio::time::timeout(timeout, async {
        let stream = connect(address).await?;
        exchange(stream, address, path).await
    })
    .await
    .map_err(|_| HttpError::Timeout(timeout))?
}

/// `GET path` over TLS. The certificate is not verified: this only asks our own gateway on
/// loopback whether it answers, and its certificate is usually self-signed.
pub async fn get_tls(
    address: SocketAddr,
    path: &str,
    timeout: Duration,
) -> Result<HttpAnswer, HttpError> {
    tokio::time::timeout(timeout, async {
        let stream = connect(address).await?;
        let tls_error = |reason: String| HttpError::Tls { address, reason };
        let connector = tokio_rustls::TlsConnector::from(tls_config().map_err(tls_error)?);
        let name = rustls::pki_types::ServerName::IpAddress(address.ip().into());
        let stream = connector
            .connect(name, stream)
            .await
            .map_err(|error| tls_error(error.to_string()))?;
        exchange(stream, address, path).await
    })
    .await
    .map_err(|_| HttpError::Timeout(timeout))?
}

async fn connect(address: SocketAddr) -> Result<TcpStream, HttpError> {
    TcpStream::connect(address)
        .await
        .map_err(|source| HttpError::Connect { address, source })
}

fn tls_config() -> Result<Arc<rustls::ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Accepts any certificate, but still checks the handshake signatures.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

async fn exchange<S>(
    mut stream: S,
    address: SocketAddr,
    path: &str,
) -> Result<HttpAnswer, HttpError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let io = |source| HttpError::Io { address, source };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nUser-Agent: tmctl-health\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.map_err(io)?;
    let mut raw = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        let read = match stream.read(&mut buffer).await {
            Ok(read) => read,
            // A TLS peer closing without close_notify after a complete answer.
            Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => 0,
            Err(error) => return Err(io(error)),
        };
        if read == 0 || raw.len() > BODY_LIMIT {
            break;
        }
        raw.extend_from_slice(&buffer[..read]);
    }
    parse(address, &raw)
}

fn parse(address: SocketAddr, raw: &[u8]) -> Result<HttpAnswer, HttpError> {
    let text = String::from_utf8_lossy(raw);
    let malformed = || HttpError::Malformed {
        address,
        start: text.chars().take(40).collect(),
    };
    let status_line = text.lines().next().ok_or_else(malformed)?;
    let mut parts = status_line.split_whitespace();
    if !parts.next().is_some_and(|v| v.starts_with("HTTP/1.")) {
        return Err(malformed());
    }
    let status = parts
        .next()
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(malformed)?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok(HttpAnswer { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    async fn serve_once(reply: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 1024];
            let _ = socket.read(&mut request).await.unwrap();
            socket.write_all(reply.as_bytes()).await.unwrap();
        });
        address
    }

    #[tokio::test]
    async fn reads_status_and_body() {
        let address =
            serve_once("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\":true}").await;
        let answer = get(address, "/health", Duration::from_secs(2))
            .await
            .unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, "{\"ok\":true}");
    }

    #[tokio::test]
    async fn a_closed_port_is_a_connect_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let error = get(address, "/", Duration::from_secs(2)).await.unwrap_err();
        assert!(matches!(error, HttpError::Connect { .. }), "{error}");
    }

    #[tokio::test]
    async fn a_non_http_answer_is_malformed() {
        let address = serve_once("-ERR hello\r\n").await;
        let error = get(address, "/", Duration::from_secs(2)).await.unwrap_err();
        assert!(matches!(error, HttpError::Malformed { .. }), "{error}");
    }
}
