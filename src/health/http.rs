//! A minimal HTTP/1.1 GET over a TCP stream: enough for health endpoints on loopback,
//! and much faster to start than a full client.

use std::net::SocketAddr;
use std::time::Duration;

use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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
    tokio::time::timeout(timeout, exchange(address, path))
        .await
        .map_err(|_| HttpError::Timeout(timeout))?
}

async fn exchange(address: SocketAddr, path: &str) -> Result<HttpAnswer, HttpError> {
    let mut stream = TcpStream::connect(address)
        .await
        .map_err(|source| HttpError::Connect { address, source })?;
    let io = |source| HttpError::Io { address, source };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nUser-Agent: tmctl-health\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.map_err(io)?;
    let mut raw = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        let read = stream.read(&mut buffer).await.map_err(io)?;
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
