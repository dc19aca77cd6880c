//! Recipe hashes: an image is remade when anything it is made from changes.

use sha2::{Digest, Sha256};

use crate::hex::hex;
use crate::images::catalog::{StandIn, DEBIAN_SUITE};

/// Hash of the stand-in's packages, scripts, files and configuration, plus the base's.
pub fn of(standin: StandIn, mirror: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(DEBIAN_SUITE);
    hasher.update([0]);
    hasher.update(mirror);
    for part in [standin, StandIn::DebianBase] {
        hasher.update([0]);
        hasher.update(part.image());
        hasher.update([0]);
        hasher.update(part.packages().join(" "));
        hasher.update([0]);
        hasher.update(part.install_script());
        for file in part.stage_files() {
            hasher.update([0]);
            hasher.update(file.name);
            hasher.update(file.contents);
            hasher.update(file.mode.to_le_bytes());
        }
        hasher.update(format!("{:?}", part.runtime_config()));
    }
    hex(&hasher.finalize())[..16].to_string()
}
