//! Finding the Debian mirror the host's apt is configured with.

use std::path::{Path, PathBuf};

use crate::images::catalog::DEBIAN_SUITE;
use crate::images::ImageError;

const SOURCES_LIST: &str = "/etc/apt/sources.list";
const SOURCES_DIR: &str = "/etc/apt/sources.list.d";

/// The first `deb` source serving the bookworm suite in the host's apt configuration.
pub fn host_mirror() -> Result<String, ImageError> {
    let mut files = vec![PathBuf::from(SOURCES_LIST)];
    if let Ok(entries) = std::fs::read_dir(SOURCES_DIR) {
        let mut extra: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        extra.sort();
        files.extend(extra);
    }
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let found = if has_extension(file, "sources") {
            mirror_in_deb822(&text)
        } else if has_extension(file, "list") {
            mirror_in_one_line_format(&text)
        } else {
            None
        };
        if let Some(mirror) = found {
            tracing::debug!(file = %file.display(), %mirror, "Debian mirror from the host's apt sources");
            return Ok(mirror);
        }
    }
    Err(ImageError::NoMirror {
        searched: format!("{SOURCES_LIST} and {SOURCES_DIR}/"),
    })
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension().is_some_and(|e| e == ext)
}

/// `deb [options] URI suite components...` lines.
pub fn mirror_in_one_line_format(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or("").trim();
        let rest = line.strip_prefix("deb ")?.trim_start();
        let rest = match rest.strip_prefix('[') {
            Some(after) => after.split_once(']')?.1.trim_start(),
            None => rest,
        };
        let mut fields = rest.split_whitespace();
        let uri = fields.next()?;
        let suite = fields.next()?;
        (suite == DEBIAN_SUITE).then(|| uri.trim_end_matches('/').to_string())
    })
}

/// deb822 stanzas (`Types:`, `URIs:`, `Suites:` fields separated by blank lines).
pub fn mirror_in_deb822(text: &str) -> Option<String> {
    text.split("\n\n").find_map(|stanza| {
        let field = |name: &str| {
            stanza.lines().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_string())
            })
        };
        let enabled = field("Enabled").is_none_or(|v| !v.eq_ignore_ascii_case("no"));
        let is_deb = field("Types")?.split_whitespace().any(|t| t == "deb");
        let serves_suite = field("Suites")?
            .split_whitespace()
            .any(|s| s == DEBIAN_SUITE);
        if !(enabled && is_deb && serves_suite) {
            return None;
        }
        field("URIs")?
            .split_whitespace()
            .next()
            .map(|uri| uri.trim_end_matches('/').to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deb822_picks_the_stanza_serving_bookworm() {
        let text = "Types: deb\n# comment\nURIs: http://deb.debian.org/debian/\nSuites: bookworm bookworm-updates\nComponents: main\n\n\
                    Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n";
        assert_eq!(
            mirror_in_deb822(text).as_deref(),
            Some("http://deb.debian.org/debian")
        );
    }

    #[test]
    fn one_line_format_skips_options_and_other_suites() {
        let text = "deb http://security.debian.org/ bookworm-security main\n\
                    deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main\n";
        assert_eq!(
            mirror_in_one_line_format(text).as_deref(),
            Some("http://mirror.example/debian")
        );
    }
}
