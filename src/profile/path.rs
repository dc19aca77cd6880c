//! Field paths (`services.gateway.ports[0]`) and finding them in YAML text.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path from the document root to a value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    pub fn key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_owned()));
        next
    }

    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    /// Parses the dotted form produced by `Display` and by serde_path_to_error.
    pub fn parse(text: &str) -> Self {
        let mut segments = Vec::new();
        for part in text
            .split('.')
            .filter(|part| !part.is_empty() && *part != "?")
        {
            let (key, mut rest) = match part.find('[') {
                Some(at) => (&part[..at], &part[at..]),
                None => (part, ""),
            };
            if !key.is_empty() {
                segments.push(Segment::Key(key.to_owned()));
            }
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some(end) = stripped.find(']') else { break };
                if let Ok(index) = stripped[..end].parse() {
                    segments.push(Segment::Index(index));
                }
                rest = &stripped[end + 1..];
            }
        }
        FieldPath(segments)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for (position, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if position == 0 => f.write_str(key)?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
struct Line<'a> {
    number: usize,
    indent: usize,
    content: &'a str,
}

fn meaningful_lines(text: &str) -> Vec<Line<'_>> {
    text.lines()
        .enumerate()
        .filter_map(|(index, raw)| {
            let content = raw.trim_start();
            if content.is_empty() || content.starts_with('#') || content == "---" {
                return None;
            }
            Some(Line {
                number: index + 1,
                indent: raw.len() - content.len(),
                content,
            })
        })
        .collect()
}

fn key_of(content: &str) -> Option<&str> {
    let (key, _) = content.split_once(':')?;
    let key = key.trim();
    let unquoted = key
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')));
    Some(unquoted.unwrap_or(key))
}

/// Best-effort position (1-based line and column) of `path` in block-style YAML `text`,
/// with the number of segments matched, so callers can pick the best of several files.
pub fn locate(text: &str, path: &FieldPath) -> Option<(usize, (usize, usize))> {
    let mut block = meaningful_lines(text);
    let mut found = None;
    for (depth, segment) in path.0.iter().enumerate() {
        let base = block.iter().map(|line| line.indent).min()?;
        let hit = match segment {
            Segment::Key(wanted) => block.iter().position(|line| {
                line.indent == base && key_of(line.content) == Some(wanted.as_str())
            }),
            Segment::Index(wanted) => block
                .iter()
                .enumerate()
                .filter(|(_, line)| line.indent == base && line.content.starts_with('-'))
                .nth(*wanted)
                .map(|(position, _)| position),
        };
        let Some(offset) = hit else { break };
        let entry = block[offset];
        found = Some((depth + 1, (entry.number, entry.indent + 1)));
        let children_end = block[offset + 1..]
            .iter()
            .position(|line| line.indent <= entry.indent)
            .map_or(block.len(), |position| offset + 1 + position);
        let mut children: Vec<Line> = Vec::new();
        if let Segment::Index(_) = segment {
            // `- key: value` holds the item's first entry two columns in.
            let rest = entry.content.trim_start_matches('-');
            let trimmed = rest.trim_start();
            if !trimmed.is_empty() {
                children.push(Line {
                    number: entry.number,
                    indent: entry.indent + 1 + (rest.len() - trimmed.len()),
                    content: trimmed,
                });
            }
        }
        children.extend_from_slice(&block[offset + 1..children_end]);
        if children.is_empty() {
            break;
        }
        block = children;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
# comment
services:
  gateway:
    image: nginx
    ports:
      - 127.0.0.1:8080:80
      - 127.0.0.1:8443:443
  service:
    replicas: two
networks:
  backend: {}
";

    #[test]
    fn finds_nested_keys_and_items() {
        let at = |p: &str| locate(DOC, &FieldPath::parse(p)).map(|(_, position)| position);
        assert_eq!(at("services.gateway.image"), Some((4, 5)));
        assert_eq!(at("services.gateway.ports[1]"), Some((7, 7)));
        assert_eq!(at("services.service.replicas"), Some((9, 5)));
        assert_eq!(at("networks.backend"), Some((11, 3)));
    }

    #[test]
    fn falls_back_to_the_deepest_known_parent() {
        let (depth, position) =
            locate(DOC, &FieldPath::parse("services.service.healthcheck")).unwrap();
        assert_eq!(depth, 2);
        assert_eq!(position, (8, 3));
    }

    #[test]
    fn path_display_round_trips() {
        let path = FieldPath::parse("services.gateway.ports[0]");
        assert_eq!(path.to_string(), "services.gateway.ports[0]");
    }
}
