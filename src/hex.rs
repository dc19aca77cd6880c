//! Lowercase hexadecimal text of bytes (digests, generated keys).

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
