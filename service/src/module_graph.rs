//! Test-only guard of the crate's layering: the dependency graph between modules, derived
//! from the `crate::` and `super::` paths in the source, must have no cycle (between
//! top-level modules, and between sibling sub-modules of one module), and SQL statements
//! appear only in the storage modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where `sqlx::query` may appear: the storage modules (and the pool itself).
const STORAGE_MODULES: &[&str] = &[
    "db",
    "storage",
    "storage::jobs",
    "storage::sessions",
    "storage::settings",
    "storage::strategies",
    "storage::users",
    "datasets::store",
    "jobs::queue",
];

/// Built so that this file does not match its own check.
const SQL_CALL: &str = concat!("sqlx", "::", "query");

/// A source file's module path: `src/jobs/exec/data.rs` is `["jobs", "exec", "data"]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The paths that follow `prefix` in `text`: `crate::a::b::C` gives `[a, b, C]`; a group
/// `crate::a::{b::X, c}` gives `[a, b, X]` and `[a, c]`.
fn paths_after(text: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().last();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        parse_tree(rest, Vec::new(), &mut found);
    }
    found
}

/// Parses `a::b::{c, d::e}` at the start of `text` into paths (each prefixed by `base`);
/// returns how many bytes it read.
fn parse_tree(text: &str, base: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut path = base;
    let mut at = 0;
    loop {
        let rest = &text[at..];
        if let Some(group) = rest.strip_prefix('{') {
            at += 1;
            let mut inner = 0;
            loop {
                let item = &group[inner..];
                let skipped = item.len() - item.trim_start().len();
                inner += skipped;
                match group[inner..].chars().next() {
                    None => return at + inner,
                    Some('}') => return at + inner + 1,
                    Some(',') => inner += 1,
                    Some(_) => {
                        let read = parse_tree(&group[inner..], path.clone(), out);
                        inner += read.max(1);
                    }
                }
            }
        }
        let name = identifier(rest);
        if name.is_empty() {
            if !path.is_empty() {
                out.push(path);
            }
            return at;
        }
        at += name.len();
        path.push(name);
        if text[at..].starts_with("::") {
            at += 2;
        } else {
            out.push(path);
            return at;
        }
    }
}

fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Text without `//` comments (doc links name modules without depending on them).
fn code_only(source: &str) -> String {
    source
        .lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Edges `from -> to` between modules at `depth` (1 = top-level) that share the first
/// `depth - 1` path segments; `super::` paths are resolved against the file's module.
fn edges(files: &[(Vec<String>, String)], depth: usize) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, source) in files {
        if path.len() < depth {
            continue;
        }
        let from = path[..depth].join("::");
        let code = code_only(source);
        let mut targets = paths_after(&code, "crate::");
        // `super::x` in a/b/c.rs (module a::b::c) is a::b::x; in a/b/mod.rs (a::b), a::x.
        for relative in paths_after(&code, "super::") {
            let parent_len = path.len().saturating_sub(1);
            targets.push([&path[..parent_len], &relative[..]].concat());
        }
        for target in targets {
            if target.len() < depth || target[..depth - 1] != path[..depth - 1] {
                continue;
            }
            let to = target[..depth].join("::");
            if to != from {
                graph.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    graph
}

/// A cycle in `graph`, as the list of its nodes, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, done, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut done, &mut Vec::new()) {
            return Some(cycle);
        }
    }
    None
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn crate_sources() -> Vec<(Vec<String>, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        files.len() > 20,
        "found only {} files in {src:?}",
        files.len()
    );
    files
        .iter()
        .map(|file| {
            let text = std::fs::read_to_string(file)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
            (module_path(&src, file), text)
        })
        .collect()
}

#[test]
fn no_cycle_between_top_level_modules() {
    let graph = edges(&crate_sources(), 1);
    assert!(graph.contains_key("jobs") && graph.contains_key("web_api"));
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle between modules: {}", cycle.join(" -> "));
    }
}

#[test]
fn no_cycle_between_sibling_sub_modules() {
    let files = crate_sources();
    let deepest = files.iter().map(|(p, _)| p.len()).max().unwrap_or(1);
    for depth in 2..=deepest {
        if let Some(cycle) = find_cycle(&edges(&files, depth)) {
            panic!("import cycle between modules: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn sql_only_in_storage_modules() {
    let offenders: Vec<String> = crate_sources()
        .iter()
        .filter(|(_, text)| code_only(text).contains(SQL_CALL))
        .map(|(path, _)| path.join("::"))
        .filter(|module| !STORAGE_MODULES.contains(&module.as_str()))
        .collect();
    assert!(
        offenders.is_empty(),
        "SQL outside the storage modules: {offenders:?}"
    );
}

#[test]
fn the_checker_sees_cycles_and_grouped_imports() {
    let file = |path: &str, text: &str| {
        (
            path.split("::").map(str::to_string).collect::<Vec<_>>(),
            text.to_string(),
        )
    };
    let files = vec![
        file("a", "use crate::{b::X, c};"),
        file("b::inner", "fn f() { crate::c::g() }"),
        file("c", "use crate::util::now; // crate::a is only named here"),
        file("d::one", "use super::two::Y;"),
        file("d::two", "use crate::d::{three, one::{Z, W}};"),
    ];
    assert_eq!(
        paths_after("use crate::d::{three, one::{Z, W}};", "crate::"),
        [
            vec!["d", "three"],
            vec!["d", "one", "Z"],
            vec!["d", "one", "W"]
        ]
    );
    let top = edges(&files, 1);
    assert_eq!(top["a"], BTreeSet::from(["b".into(), "c".into()]));
    assert_eq!(find_cycle(&top), None);
    let with_cycle = [files.clone(), vec![file("c", "use crate::a::T;")]].concat();
    assert_eq!(
        find_cycle(&edges(&with_cycle, 1)),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        find_cycle(&edges(&files, 2)),
        Some(vec!["d::one".into(), "d::two".into(), "d::one".into()])
    );
}
