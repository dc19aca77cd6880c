//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod load;
pub mod stack;

use tmctl::profile::{LoadedProfile, ProfileError, ProfileStore, Variables};

/// A temporary project folder with a `profiles/` directory.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("profiles")).expect("profiles dir");
        Workspace { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("parent dir");
        }
        std::fs::write(&path, text).expect("write file");
        path
    }

    pub fn load(&self, name: &str, variables: &Variables) -> Result<LoadedProfile, ProfileError> {
        ProfileStore::new(None, self.path().to_path_buf()).load(name, variables)
    }

    /// Runs the tmctl binary in this folder with a clean, colourless environment.
    pub fn tmctl(&self, args: &[&str]) -> Output {
        tmctl_in(self.path(), args)
    }
}

pub fn tmctl_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tmctl"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .env_remove("TMCTL_PROFILE")
        .env_remove("TMCTL_PROJECT")
        .env_remove("TMCTL_STATE_DIR")
        .env_remove("TMCTL_PROFILES_DIR")
        .output()
        .expect("run tmctl")
}

pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Whether an external tool is on PATH. Under CI a missing tool is a failure, not a skip.
pub fn require_tool(name: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .map(|output| output.status.success())
        .unwrap_or(false);
    if !found && std::env::var_os("CI").is_some() {
        panic!("{name} is required under CI; .ci/run installs it");
    }
    if !found {
        eprintln!("skipping: {name} is not installed");
    }
    found
}
