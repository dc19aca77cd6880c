//! Finding, reading, interpolating, merging, typing and validating a profile.

use std::path::{Path, PathBuf};

use serde_yaml::Value;

use super::env::Variables;
use super::error::{Diagnostic, ProfileError};
use super::interpolate::{interpolate_tree, Substitution};
use super::model::Profile;
use super::normalize::{merge, normalize};
use super::path::{locate, FieldPath, Segment};
use super::validate::validate;
use crate::assets;

const MAX_EXTENDS_DEPTH: usize = 8;

/// Where a profile's text came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Embedded,
    File(PathBuf),
}

/// The text of one profile file.
#[derive(Debug, Clone)]
pub struct ProfileDocument {
    pub name: String,
    /// How the file is named in messages.
    pub display: String,
    pub text: String,
    pub origin: Origin,
    /// Relative paths in the profile (bind mounts, TLS files, backups) resolve from here.
    pub base_dir: PathBuf,
}

/// A loaded, valid profile and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedProfile {
    pub profile: Profile,
    /// The file asked for first, then the files it extends.
    pub documents: Vec<ProfileDocument>,
}

impl LoadedProfile {
    pub fn origin(&self) -> &Origin {
        &self.documents[0].origin
    }
}

/// The places profiles are looked up, in order: `--profiles-dir`, `./profiles`, built-ins.
#[derive(Debug, Clone)]
pub struct ProfileStore {
    directories: Vec<PathBuf>,
    working_dir: PathBuf,
}

/// One line of `tmctl profiles`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProfileListing {
    pub name: String,
    pub source: String,
    pub description: String,
    pub extends: Option<String>,
}

impl ProfileStore {
    pub fn new(profiles_dir: Option<PathBuf>, working_dir: PathBuf) -> Self {
        let mut directories = Vec::new();
        if let Some(dir) = profiles_dir {
            directories.push(if dir.is_absolute() {
                dir
            } else {
                working_dir.join(dir)
            });
        }
        directories.push(working_dir.join("profiles"));
        ProfileStore {
            directories,
            working_dir,
        }
    }

    /// Finds the text of profile `name`; a name with a `/` or a `.yaml` suffix is a path.
    pub fn document(&self, name: &str) -> Result<ProfileDocument, ProfileError> {
        if name.contains('/') || name.ends_with(".yaml") || name.ends_with(".yml") {
            let path = self.working_dir.join(name);
            return read_document(&path);
        }
        for directory in &self.directories {
            for extension in ["yaml", "yml"] {
                let path = directory.join(format!("{name}.{extension}"));
                if path.is_file() {
                    return read_document(&path);
                }
            }
        }
        if let Some(text) = assets::embedded_profile(name) {
            return Ok(ProfileDocument {
                name: name.to_owned(),
                display: format!("<built-in>/profiles/{name}.yaml"),
                text: text.to_owned(),
                origin: Origin::Embedded,
                base_dir: self.working_dir.clone(),
            });
        }
        Err(ProfileError::NotFound {
            name: name.to_owned(),
            searched: self
                .directories
                .iter()
                .map(|dir| dir.display().to_string())
                .chain(std::iter::once("the built-in profiles".to_owned()))
                .collect::<Vec<_>>()
                .join(", "),
            available: self
                .list()
                .iter()
                .map(|listing| listing.name.clone())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// Every profile that can be loaded by name, overrides first.
    pub fn list(&self) -> Vec<ProfileListing> {
        let mut names: Vec<String> = Vec::new();
        for directory in &self.directories {
            let Ok(entries) = std::fs::read_dir(directory) else {
                continue;
            };
            let mut found: Vec<String> = entries
                .filter_map(Result::ok)
                .filter_map(|entry| {
                    let path = entry.path();
                    let extension = path.extension()?.to_str()?;
                    if extension != "yaml" && extension != "yml" {
                        return None;
                    }
                    path.file_stem()?.to_str().map(str::to_owned)
                })
                .collect();
            found.sort();
            names.extend(found);
        }
        names.extend(assets::PROFILES.iter().map(|asset| asset.name.to_owned()));
        let mut seen = std::collections::BTreeSet::new();
        names.retain(|name| seen.insert(name.clone()));
        names
            .into_iter()
            .filter_map(|name| {
                let document = self.document(&name).ok()?;
                let head: Value = serde_yaml::from_str(&document.text).unwrap_or(Value::Null);
                Some(ProfileListing {
                    source: match &document.origin {
                        Origin::Embedded => "built-in".to_owned(),
                        Origin::File(path) => path.display().to_string(),
                    },
                    description: head
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                    extends: head
                        .get("extends")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    name,
                })
            })
            .collect()
    }

    /// Loads profile `name` with `variables` (the caller's environment); the `.env` file
    /// beside the profile fills in what the environment does not set.
    pub fn load(&self, name: &str, variables: &Variables) -> Result<LoadedProfile, ProfileError> {
        let first = self.document(name)?;
        let mut variables = variables.clone();
        variables
            .add_dotenv(&first.base_dir.join(".env"))
            .map_err(|diagnostic| ProfileError::Invalid(vec![diagnostic]))?;
        let chain = self.read_chain(first)?;

        let mut diagnostics = Vec::new();
        let mut values = Vec::new();
        let mut substitutions: Vec<Substitution> = Vec::new();
        for (position, (document, mut value)) in chain.iter().cloned().enumerate() {
            let outcome = interpolate_tree(&mut value, &variables);
            for (path, message) in outcome.errors {
                diagnostics.push(place(&chain[position..=position], &path, message));
            }
            // A value set by a more specific file shadows what the base file interpolated.
            let shadowed = |path: &FieldPath| {
                values
                    .iter()
                    .any(|(_, child): &(ProfileDocument, Value)| value_at(child, path).is_some())
            };
            substitutions.extend(
                outcome
                    .substitutions
                    .into_iter()
                    .filter(|substitution| !shadowed(&substitution.path)),
            );
            normalize(&mut value);
            values.push((document, value));
        }
        if !diagnostics.is_empty() {
            return Err(ProfileError::Invalid(diagnostics));
        }

        let mut merged = Value::Mapping(Default::default());
        for (_, value) in values.iter().rev() {
            merge(&mut merged, value.clone());
        }
        if let Value::Mapping(map) = &mut merged {
            map.remove("extends");
            let has_name = map
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| !n.is_empty());
            if !has_name {
                map.insert("name".into(), Value::String(chain[0].0.name.clone()));
            }
        }

        let documents: Vec<ProfileDocument> =
            chain.into_iter().map(|(document, _)| document).collect();
        let profile: Profile = serde_path_to_error::deserialize(merged).map_err(|error| {
            let path = FieldPath::parse(&error.path().to_string());
            let message = tidy_serde_message(&error.inner().to_string());
            ProfileError::Invalid(vec![place_in(&documents, &path, message)])
        })?;

        let problems = validate(&profile, &substitutions);
        if !problems.is_empty() {
            return Err(ProfileError::Invalid(
                problems
                    .into_iter()
                    .map(|(path, message)| place_in(&documents, &path, message))
                    .collect(),
            ));
        }
        let mut profile = profile;
        resolve_paths(&mut profile, &documents[0].base_dir);
        Ok(LoadedProfile { profile, documents })
    }

    fn read_chain(
        &self,
        first: ProfileDocument,
    ) -> Result<Vec<(ProfileDocument, Value)>, ProfileError> {
        let mut chain: Vec<(ProfileDocument, Value)> = Vec::new();
        let mut current = first;
        loop {
            let value = parse_yaml(&current)?;
            let parent = match value.get("extends") {
                None | Some(Value::Null) => None,
                Some(Value::String(parent)) => Some(parent.clone()),
                Some(other) => {
                    let at = locate(&current.text, &FieldPath::root().key("extends"));
                    let mut diagnostic = Diagnostic::new(
                        &current.display,
                        "extends",
                        format!("expected the name of a profile, found {}", describe(other)),
                    );
                    if let Some((_, (line, column))) = at {
                        diagnostic = diagnostic.at(line, column);
                    }
                    return Err(ProfileError::Invalid(vec![diagnostic]));
                }
            };
            chain.push((current, value));
            let Some(parent) = parent else { break };
            let cyclic = chain.iter().any(|(document, _)| document.name == parent);
            if cyclic || chain.len() > MAX_EXTENDS_DEPTH {
                let names: Vec<&str> = chain.iter().map(|(d, _)| d.name.as_str()).collect();
                let (document, _) = &chain[chain.len() - 1];
                return Err(ProfileError::Invalid(vec![place(
                    &chain[chain.len() - 1..],
                    &FieldPath::root().key("extends"),
                    format!(
                        "`extends: {parent}` makes a loop ({} -> {parent}); a profile may not extend itself, directly or through others",
                        names.join(" -> ")
                    ),
                )
                .with_file(&document.display)]));
            }
            current = self.document(&parent).map_err(|error| match error {
                ProfileError::NotFound { available, .. } => {
                    let (document, _) = &chain[chain.len() - 1];
                    ProfileError::Invalid(vec![place(
                        &chain[chain.len() - 1..],
                        &FieldPath::root().key("extends"),
                        format!(
                            "extends unknown profile `{parent}`; available profiles: {available}"
                        ),
                    )
                    .with_file(&document.display)])
                }
                other => other,
            })?;
        }
        Ok(chain)
    }
}

trait WithFile {
    fn with_file(self, file: &str) -> Self;
}

impl WithFile for Diagnostic {
    fn with_file(mut self, file: &str) -> Self {
        file.clone_into(&mut self.file);
        self
    }
}

fn read_document(path: &Path) -> Result<ProfileDocument, ProfileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let name = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("profile")
        .to_owned();
    let base_dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    // A profile in `<dir>/profiles/` resolves relative paths from `<dir>`, like the built-ins.
    let base_dir = if base_dir.file_name().is_some_and(|name| name == "profiles") {
        base_dir.parent().map(Path::to_path_buf).unwrap_or(base_dir)
    } else {
        base_dir
    };
    Ok(ProfileDocument {
        name,
        display: path.display().to_string(),
        text,
        origin: Origin::File(path.to_path_buf()),
        base_dir,
    })
}

fn parse_yaml(document: &ProfileDocument) -> Result<Value, ProfileError> {
    let value: Value = serde_yaml::from_str(&document.text).map_err(|error| {
        let mut diagnostic = Diagnostic::new(
            &document.display,
            "",
            format!("not valid YAML: {}", strip_location(&error.to_string())),
        );
        if let Some(location) = error.location() {
            diagnostic = diagnostic.at(location.line(), location.column());
        }
        ProfileError::Invalid(vec![diagnostic])
    })?;
    match value {
        Value::Mapping(_) => Ok(value),
        Value::Null => Err(ProfileError::Invalid(vec![Diagnostic::new(
            &document.display,
            "",
            "the profile is empty; it needs at least `services:`",
        )])),
        other => Err(ProfileError::Invalid(vec![Diagnostic::new(
            &document.display,
            "",
            format!(
                "a profile must be a mapping of settings (services:, networks:, ...), found {}",
                describe(&other)
            ),
        )
        .at(1, 1)])),
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// serde_yaml appends " at line X column Y" itself; we print the position up front.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Rewrites serde's "invalid type: X, expected Y" into "expected Y, found X" with plain
/// names for number types.
fn tidy_serde_message(message: &str) -> String {
    let message = strip_location(message);
    let plain = |text: &str| {
        text.replace("u32", "a whole number (0 or more)")
            .replace("u16", "a port number (1-65535)")
            .replace("u8", "a small whole number")
    };
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            if let Some((found, expected)) = rest.split_once(", expected ") {
                return format!("expected {}, found {found}", plain(expected));
            }
        }
    }
    plain(&message)
}

fn value_at<'a>(value: &'a Value, path: &FieldPath) -> Option<&'a Value> {
    let mut current = value;
    for segment in &path.0 {
        current = match segment {
            Segment::Key(key) => current.get(key.as_str())?,
            Segment::Index(index) => current.get(*index)?,
        };
    }
    Some(current)
}

fn place(chain: &[(ProfileDocument, Value)], path: &FieldPath, message: String) -> Diagnostic {
    let documents: Vec<ProfileDocument> =
        chain.iter().map(|(document, _)| document.clone()).collect();
    place_in(&documents, path, message)
}

/// Attributes a problem to the file (of the extends chain) that defines the path.
fn place_in(documents: &[ProfileDocument], path: &FieldPath, message: String) -> Diagnostic {
    let mut best: Option<(usize, &ProfileDocument, (usize, usize))> = None;
    for document in documents {
        if let Some((depth, position)) = locate(&document.text, path) {
            if best.is_none_or(|(best_depth, _, _)| depth > best_depth) {
                best = Some((depth, document, position));
            }
        }
    }
    match best {
        Some((_, document, (line, column))) => {
            Diagnostic::new(&document.display, path.to_string(), message).at(line, column)
        }
        None => Diagnostic::new(&documents[0].display, path.to_string(), message),
    }
}

fn absolute(base: &Path, path: &str) -> String {
    if let Some(rest) = path.strip_prefix("~/") {
        if let Some(home) = std::env::var_os("HOME") {
            return PathBuf::from(home).join(rest).display().to_string();
        }
    }
    let joined = if Path::new(path).is_absolute() {
        PathBuf::from(path)
    } else {
        base.join(path)
    };
    let mut clean = PathBuf::new();
    for component in joined.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    clean.display().to_string()
}

/// Makes bind mounts, TLS files and the backup directory absolute, so rendered files work
/// wherever they are written.
fn resolve_paths(profile: &mut Profile, base: &Path) {
    use super::units::MountSource;
    for service in profile.services.values_mut() {
        for mount in &mut service.volumes {
            if let MountSource::Bind(path) = &mut mount.source {
                *path = absolute(base, path);
            }
        }
    }
    if let Some(tls) = profile
        .gateway
        .as_mut()
        .and_then(|gateway| gateway.tls.as_mut())
    {
        for file in [&mut tls.cert, &mut tls.key].into_iter().flatten() {
            *file = absolute(base, file);
        }
    }
    if let Some(backup) = &mut profile.backup {
        backup.directory = absolute(base, &backup.directory);
    }
}
