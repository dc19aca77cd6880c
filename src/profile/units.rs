//! Small value types used in profiles: durations, byte sizes, port bindings and mounts.
//! Each parses from the compact string form users write and prints back the same way.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

/// Implements serde for a type that has `FromStr` (with a `String` error) and `Display`.
macro_rules! string_serde {
    ($ty:ty, $expecting:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = ScalarText::deserialize(deserializer)
                    .map_err(|_| de::Error::custom(concat!("expected ", $expecting)))?;
                raw.0.parse().map_err(de::Error::custom)
            }
        }
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }
    };
}

/// A scalar read as text whatever its YAML type (`5`, `"5s"`, `1.5`).
struct ScalarText(String);

impl<'de> Deserialize<'de> for ScalarText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = ScalarText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A duration written like compose does: `250ms`, `5s`, `1m30s`, `2h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub std::time::Duration);

impl Duration {
    pub const fn from_secs(secs: u64) -> Self {
        Self(std::time::Duration::from_secs(secs))
    }
    pub fn as_std(self) -> std::time::Duration {
        self.0
    }
    pub fn as_nanos(self) -> u128 {
        self.0.as_nanos()
    }
}

impl FromStr for Duration {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        parse_duration(text.trim()).ok_or_else(|| {
            format!("invalid duration `{text}`: use a number with a unit (ms, s, m, h), e.g. 500ms, 5s, 1m30s")
        })
    }
}

fn parse_duration(text: &str) -> Option<Duration> {
    if text.is_empty() {
        return None;
    }
    let mut total_ms: u128 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let value: u128 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let factor_ms = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            _ => return None,
        };
        total_ms = total_ms.checked_add(value.checked_mul(factor_ms)?)?;
        rest = &rest[unit_len..];
    }
    let millis = u64::try_from(total_ms).ok()?;
    Some(Duration(std::time::Duration::from_millis(millis)))
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms == 0 {
            return f.write_str("0s");
        }
        let (h, rem) = (ms / 3_600_000, ms % 3_600_000);
        let (m, rem) = (rem / 60_000, rem % 60_000);
        let (s, ms) = (rem / 1_000, rem % 1_000);
        for (value, unit) in [(h, "h"), (m, "m"), (s, "s"), (ms, "ms")] {
            if value > 0 {
                write!(f, "{value}{unit}")?;
            }
        }
        Ok(())
    }
}

string_serde!(Duration, "a duration such as 5s or 1m30s");

/// A byte size: `512m`, `1g`, `1gb`, `256MiB`, or a plain number of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

impl FromStr for ByteSize {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || {
            format!("invalid size `{text}`: use a number with a unit (k, m, g), e.g. 512m or 1g")
        };
        let lower = text.trim().to_ascii_lowercase();
        let split = lower
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(lower.len());
        if split == 0 {
            return Err(invalid());
        }
        let number: u64 = lower[..split].parse().map_err(|_| invalid())?;
        let factor = match lower[split..].trim() {
            "" | "b" => 1,
            "k" | "kb" | "kib" => KIB,
            "m" | "mb" | "mib" => MIB,
            "g" | "gb" | "gib" => GIB,
            _ => return Err(invalid()),
        };
        number.checked_mul(factor).map(ByteSize).ok_or_else(invalid)
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let bytes = self.0;
        match bytes {
            0 => f.write_str("0"),
            b if b % GIB == 0 => write!(f, "{}g", b / GIB),
            b if b % MIB == 0 => write!(f, "{}m", b / MIB),
            b if b % KIB == 0 => write!(f, "{}k", b / KIB),
            b => write!(f, "{b}"),
        }
    }
}

string_serde!(ByteSize, "a size such as 512m or 1g");

/// Transport protocol of a published port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        })
    }
}

/// A host address and port to bind: `127.0.0.1:8080`, `[::1]:8080`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostBinding {
    pub ip: IpAddr,
    pub port: u16,
}

impl HostBinding {
    /// Whether two bindings would fight over the same host port.
    pub fn overlaps(&self, other: &HostBinding) -> bool {
        self.port == other.port
            && (self.ip == other.ip || self.ip.is_unspecified() || other.ip.is_unspecified())
    }
}

fn split_host_ip(text: &str) -> Option<(IpAddr, &str)> {
    if let Some(rest) = text.strip_prefix('[') {
        let end = rest.find(']')?;
        let ip = rest[..end].parse().ok()?;
        let tail = rest[end + 1..].strip_prefix(':')?;
        return Some((ip, tail));
    }
    let (ip, tail) = text.split_once(':')?;
    Some((ip.parse().ok()?, tail))
}

fn parse_port(text: &str) -> Option<u16> {
    match text.parse::<u16>() {
        Ok(0) | Err(_) => None,
        Ok(port) => Some(port),
    }
}

impl FromStr for HostBinding {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || {
            format!(
                "invalid binding `{text}`: write HOST_IP:PORT, e.g. 127.0.0.1:8080 (loopback only) or 0.0.0.0:80 (all interfaces)"
            )
        };
        let (ip, port) = split_host_ip(text.trim()).ok_or_else(invalid)?;
        let port = parse_port(port).ok_or_else(invalid)?;
        Ok(HostBinding { ip, port })
    }
}

impl fmt::Display for HostBinding {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.ip {
            IpAddr::V6(ip) => write!(f, "[{ip}]:{}", self.port),
            IpAddr::V4(ip) => write!(f, "{ip}:{}", self.port),
        }
    }
}

string_serde!(HostBinding, "a binding such as 127.0.0.1:8080");

/// A published port: `HOST_IP:HOST_PORT:CONTAINER_PORT[/udp]`. The host IP is mandatory so
/// nothing is exposed on every interface by accident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortSpec {
    pub host: HostBinding,
    pub container: u16,
    pub protocol: Protocol,
}

impl FromStr for PortSpec {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || {
            format!(
                "invalid port `{text}`: write HOST_IP:HOST_PORT:CONTAINER_PORT[/udp] with an explicit host IP, e.g. 127.0.0.1:8080:80"
            )
        };
        let trimmed = text.trim();
        let (spec, protocol) = match trimmed.rsplit_once('/') {
            Some((spec, "tcp")) => (spec, Protocol::Tcp),
            Some((spec, "udp")) => (spec, Protocol::Udp),
            Some(_) => return Err(invalid()),
            None => (trimmed, Protocol::Tcp),
        };
        let (ip, rest) = split_host_ip(spec).ok_or_else(invalid)?;
        let (host_port, container_port) = rest.split_once(':').ok_or_else(invalid)?;
        Ok(PortSpec {
            host: HostBinding {
                ip,
                port: parse_port(host_port).ok_or_else(invalid)?,
            },
            container: parse_port(container_port).ok_or_else(invalid)?,
            protocol,
        })
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.container)?;
        if self.protocol == Protocol::Udp {
            f.write_str("/udp")?;
        }
        Ok(())
    }
}

string_serde!(PortSpec, "a port such as 127.0.0.1:8080:80");

/// Where a mount comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MountSource {
    /// A named volume declared under `volumes:`.
    Volume(String),
    /// A host path (absolute, or relative to the profile's base directory).
    Bind(String),
}

/// A mount: `NAME:/container/path[:ro]` or `./host/path:/container/path[:ro]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VolumeMount {
    pub source: MountSource,
    pub target: String,
    pub read_only: bool,
}

impl FromStr for VolumeMount {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = |why: &str| {
            format!(
                "invalid mount `{text}`: {why}; write VOLUME:/path[:ro] or ./host/path:/path[:ro]"
            )
        };
        let parts: Vec<&str> = text.trim().split(':').collect();
        let (source, target, mode) = match parts.as_slice() {
            [source, target] => (*source, *target, None),
            [source, target, mode] => (*source, *target, Some(*mode)),
            _ => return Err(invalid("expected two or three parts separated by `:`")),
        };
        let read_only = match mode {
            None | Some("rw") => false,
            Some("ro") => true,
            Some(other) => return Err(invalid(&format!("unknown mode `{other}` (use ro or rw)"))),
        };
        if !target.starts_with('/') {
            return Err(invalid("the container path must be absolute"));
        }
        if source.is_empty() {
            return Err(invalid("the source is empty"));
        }
        let is_path = source.starts_with('/') || source.starts_with('.') || source.starts_with('~');
        let source = if is_path {
            MountSource::Bind(source.to_owned())
        } else {
            MountSource::Volume(source.to_owned())
        };
        Ok(VolumeMount {
            source,
            target: target.to_owned(),
            read_only,
        })
    }
}

impl fmt::Display for VolumeMount {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match &self.source {
            MountSource::Volume(name) => write!(f, "{name}:{}", self.target)?,
            MountSource::Bind(path) => write!(f, "{path}:{}", self.target)?,
        }
        if self.read_only {
            f.write_str(":ro")?;
        }
        Ok(())
    }
}

string_serde!(
    VolumeMount,
    "a mount such as pgdata:/var/lib/postgresql/data"
);

/// An nginx request rate: `10r/s` or `30r/m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub requests: u32,
    pub per_minute: bool,
}

impl FromStr for Rate {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || format!("invalid rate `{text}`: write N r/s or N r/m, e.g. 10r/s");
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let (count, per_minute) = if let Some(count) = compact.strip_suffix("r/s") {
            (count, false)
        } else if let Some(count) = compact.strip_suffix("r/m") {
            (count, true)
        } else {
            return Err(invalid());
        };
        match count.parse::<u32>() {
            Ok(requests) if requests > 0 => Ok(Rate {
                requests,
                per_minute,
            }),
            _ => Err(invalid()),
        }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let unit = if self.per_minute { "m" } else { "s" };
        write!(f, "{}r/{unit}", self.requests)
    }
}

string_serde!(Rate, "a rate such as 10r/s");

/// Dump compression: `zstd`, `zstd:9`, `gzip`, `gzip:6`, `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip(u8),
    Zstd(u8),
}

impl FromStr for Compression {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let invalid =
            || format!("invalid compression `{text}`: use zstd[:1-19], gzip[:0-9] or none");
        let (algorithm, level) = match text.trim().split_once(':') {
            Some((algorithm, level)) => {
                (algorithm, Some(level.parse::<u8>().map_err(|_| invalid())?))
            }
            None => (text.trim(), None),
        };
        match (algorithm, level) {
            ("none", None) => Ok(Compression::None),
            ("gzip", None) => Ok(Compression::Gzip(6)),
            ("gzip", Some(level @ 0..=9)) => Ok(Compression::Gzip(level)),
            ("zstd", None) => Ok(Compression::Zstd(3)),
            ("zstd", Some(level @ 1..=19)) => Ok(Compression::Zstd(level)),
            _ => Err(invalid()),
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Compression::None => f.write_str("none"),
            Compression::Gzip(level) => write!(f, "gzip:{level}"),
            Compression::Zstd(level) => write!(f, "zstd:{level}"),
        }
    }
}

string_serde!(Compression, "a compression such as zstd:3");

/// CPU count for limits and reservations: `0.5`, `2`, `"1.5"`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Cpus(pub f64);

impl FromStr for Cpus {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim().parse::<f64>() {
            Ok(value) if value.is_finite() && value > 0.0 && value <= 1024.0 => Ok(Cpus(value)),
            _ => Err(format!(
                "invalid cpus `{text}`: use a positive number of CPUs, e.g. 0.5 or 2"
            )),
        }
    }
}

impl fmt::Display for Cpus {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

string_serde!(Cpus, "a number of CPUs such as 0.5");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip() {
        for (text, ms) in [
            ("250ms", 250),
            ("5s", 5_000),
            ("1m30s", 90_000),
            ("2h", 7_200_000),
        ] {
            let parsed: Duration = text.parse().unwrap();
            assert_eq!(parsed.0.as_millis(), ms);
            assert_eq!(parsed.to_string(), text);
        }
        assert!("5".parse::<Duration>().is_err());
        assert!("5x".parse::<Duration>().is_err());
        assert!("".parse::<Duration>().is_err());
    }

    #[test]
    fn sizes_parse_common_spellings() {
        assert_eq!("1g".parse::<ByteSize>().unwrap().0, GIB);
        assert_eq!("1gb".parse::<ByteSize>().unwrap().0, GIB);
        assert_eq!("256MiB".parse::<ByteSize>().unwrap().0, 256 * MIB);
        assert_eq!("200m".parse::<ByteSize>().unwrap().to_string(), "200m");
        assert!("lots".parse::<ByteSize>().is_err());
    }

    #[test]
    fn ports_need_an_explicit_host_ip() {
        let port: PortSpec = "127.0.0.1:8080:80".parse().unwrap();
        assert_eq!(port.host.port, 8080);
        assert_eq!(port.container, 80);
        assert_eq!(port.to_string(), "127.0.0.1:8080:80");
        let v6: PortSpec = "[::1]:8443:443/tcp".parse().unwrap();
        assert_eq!(v6.to_string(), "[::1]:8443:443");
        assert!("8080:80".parse::<PortSpec>().is_err());
        assert!("127.0.0.1:0:80".parse::<PortSpec>().is_err());
    }

    #[test]
    fn unspecified_ip_overlaps_every_ip_on_the_port() {
        let any: HostBinding = "0.0.0.0:80".parse().unwrap();
        let local: HostBinding = "127.0.0.1:80".parse().unwrap();
        let other: HostBinding = "127.0.0.1:81".parse().unwrap();
        assert!(any.overlaps(&local));
        assert!(!local.overlaps(&other));
    }

    #[test]
    fn mounts_distinguish_volumes_from_paths() {
        let volume: VolumeMount = "pgdata:/var/lib/postgresql/data".parse().unwrap();
        assert_eq!(volume.source, MountSource::Volume("pgdata".into()));
        let bind: VolumeMount = "./backups:/backups:ro".parse().unwrap();
        assert_eq!(bind.source, MountSource::Bind("./backups".into()));
        assert!(bind.read_only);
        assert!("data:relative".parse::<VolumeMount>().is_err());
    }

    #[test]
    fn compression_levels_are_bounded() {
        assert_eq!("zstd".parse::<Compression>().unwrap(), Compression::Zstd(3));
        assert_eq!(
            "gzip:9".parse::<Compression>().unwrap(),
            Compression::Gzip(9)
        );
        assert!("zstd:40".parse::<Compression>().is_err());
        assert!("lz4".parse::<Compression>().is_err());
    }
}
