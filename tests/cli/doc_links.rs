//! Every relative link in the repository's Markdown points at a file (and heading) that
//! exists inside the repository: users have nothing outside it.

use std::path::{Component, Path, PathBuf};
use std::process::Command;

fn tracked_markdown(root: &Path) -> Vec<PathBuf> {
    let output = Command::new("git")
        .args([
            "ls-files",
            "--cached",
            "--others",
            "--exclude-standard",
            "*.md",
        ])
        .current_dir(root)
        .output()
        .expect("run git ls-files");
    assert!(output.status.success(), "git ls-files failed");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| root.join(line))
        .filter(|path| path.exists())
        .collect()
}

/// Link targets outside fenced code blocks and inline code: `[text](target)`.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut fenced = false;
    for (number, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let mut outside_code = String::new();
        for (index, part) in line.split('`').enumerate() {
            if index % 2 == 0 {
                outside_code.push_str(part);
            }
        }
        let mut rest = outside_code.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            let target = after[..end].split_whitespace().next().unwrap_or("");
            found.push((number + 1, target.to_owned()));
            rest = &after[end..];
        }
    }
    found
}

/// GitHub's anchor of a heading: lowercase, punctuation dropped, spaces as dashes.
fn anchors(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| line.starts_with('#'))
        .map(|line| {
            line.trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                .map(|c| if c == ' ' { '-' } else { c })
                .collect()
        })
        .collect()
}

/// `base/relative` with `.` and `..` resolved lexically.
fn resolve(base: &Path, relative: &str) -> PathBuf {
    let mut path = PathBuf::new();
    for component in base.join(relative).components() {
        match component {
            Component::ParentDir => {
                path.pop();
            }
            Component::CurDir => {}
            other => path.push(other),
        }
    }
    path
}

#[test]
fn every_relative_markdown_link_resolves_inside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = tracked_markdown(root);
    assert!(files.iter().any(|f| f.ends_with("README.md")), "{files:?}");
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read markdown");
        let shown = file
            .strip_prefix(root)
            .unwrap_or(file)
            .display()
            .to_string();
        for (line, target) in links(&text) {
            if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path_part, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let resolved = if path_part.is_empty() {
                file.clone()
            } else {
                resolve(file.parent().unwrap_or(root), path_part)
            };
            if !resolved.starts_with(root) {
                broken.push(format!("{shown}:{line}: {target} leaves the repository"));
            } else if !resolved.exists() {
                broken.push(format!("{shown}:{line}: {target} does not exist"));
            } else if let Some(anchor) =
                anchor.filter(|_| resolved.extension().is_some_and(|e| e == "md"))
            {
                let text = std::fs::read_to_string(&resolved).unwrap_or_default();
                if !anchors(&text).iter().any(|a| a == anchor) {
                    broken.push(format!("{shown}:{line}: {target}: no heading #{anchor}"));
                }
            }
        }
    }
    assert!(checked > 10, "found only {checked} relative links");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_link_reader_finds_links_and_skips_code() {
    let text =
        "see [a](docs/a.md#x) and `[b](nope.md)`\n```\n[c](nope.md)\n```\n[d](https://e.org)";
    let found: Vec<String> = links(text).into_iter().map(|(_, t)| t).collect();
    assert_eq!(found, vec!["docs/a.md#x", "https://e.org"]);
    assert_eq!(
        anchors("## CSV rules\n# A, b & c"),
        vec!["csv-rules", "a-b--c"]
    );
    assert_eq!(
        resolve(Path::new("/r/docs"), "../x.md"),
        PathBuf::from("/r/x.md")
    );
}
