//! Small helpers shared by the modules: ids and clocks.

use std::time::{SystemTime, UNIX_EPOCH};

use rand::RngCore;

/// A random 128-bit identifier as 32 lowercase hex digits.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Whether `id` looks like one of ours (so it can go into a cache key or a log safely).
pub fn is_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// This host's (in a container: the container's) name: `/etc/hostname`, else `$HOSTNAME`,
/// else `unknown`.
pub fn hostname() -> String {
    let from_file = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|text| text.trim().to_string());
    from_file
        .filter(|name| !name.is_empty())
        .or_else(|| {
            std::env::var("HOSTNAME")
                .ok()
                .filter(|n| !n.trim().is_empty())
        })
        .unwrap_or_else(|| "unknown".to_string())
}
