//! Redis `AUTH` + `PING` in the Redis serialization protocol, over a plain TCP stream.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn command(parts: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", parts.len()).into_bytes();
    for part in parts {
        out.extend_from_slice(format!("${}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Authenticates (when `password` is not empty) and expects `+PONG` to a PING.
pub async fn ping(address: SocketAddr, password: &str) -> Result<String, String> {
    let mut stream = TcpStream::connect(address)
        .await
        .map_err(|error| format!("cannot connect to {address}: {error}"))?;
    let mut request = Vec::new();
    if !password.is_empty() {
        request.extend(command(&["AUTH", password]));
    }
    request.extend(command(&["PING"]));
    stream
        .write_all(&request)
        .await
        .map_err(|error| format!("{address}: {error}"))?;
    let mut reply = Vec::new();
    let mut buffer = [0u8; 512];
    loop {
        let read = stream
            .read(&mut buffer)
            .await
            .map_err(|error| format!("{address}: {error}"))?;
        if read == 0 {
            break;
        }
        reply.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&reply);
        if text.contains("+PONG\r\n") || text.starts_with('-') || reply.len() > 4096 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&reply);
    if text.contains("+PONG\r\n") {
        Ok("PONG".to_owned())
    } else {
        let first = text.lines().next().unwrap_or("connection closed").trim();
        Err(format!("no PONG: {first}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_resp_arrays_of_bulk_strings() {
        assert_eq!(
            command(&["AUTH", "p w"]),
            b"*2\r\n$4\r\nAUTH\r\n$3\r\np w\r\n".to_vec()
        );
    }

    #[tokio::test]
    async fn a_refused_password_is_reported() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 256];
            let _ = socket.read(&mut request).await.unwrap();
            socket
                .write_all(b"-WRONGPASS invalid username-password pair\r\n")
                .await
                .unwrap();
        });
        let error = ping(address, "nope").await.unwrap_err();
        assert!(error.contains("WRONGPASS"), "{error}");
    }
}
