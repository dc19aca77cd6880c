//! `tmctl probe URL`: a dependency-free HTTP check for container healthchecks, so images
//! need no curl.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};

use crate::cli::ProbeArgs;

pub fn run(args: &ProbeArgs) -> anyhow::Result<()> {
    let status = get_status(&args.url, Duration::from_millis(args.timeout_ms))?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        bail!("{} answered HTTP {status}", args.url)
    }
}

/// Sends `GET` and returns the status code.
pub fn get_status(url: &str, timeout: Duration) -> anyhow::Result<u16> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("`{url}`: only http:// URLs can be probed"))?;
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    let address = authority
        .to_socket_addrs()
        .or_else(|_| format!("{authority}:80").to_socket_addrs())
        .with_context(|| format!("cannot resolve `{authority}`"))?
        .next()
        .ok_or_else(|| anyhow!("`{authority}` has no address"))?;
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .with_context(|| format!("cannot connect to {address}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: tmctl-probe\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0u8; 64];
    let mut read = 0;
    while read < 12 {
        let count = stream.read(&mut head[read..])?;
        if count == 0 {
            break;
        }
        read += count;
    }
    let line = String::from_utf8_lossy(&head[..read]);
    line.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| anyhow!("{url} did not answer with HTTP"))
}
