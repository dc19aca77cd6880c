//! One module per command; each turns parsed arguments into an operation and its output.

pub mod audit;
pub mod backup;
pub mod config;
pub mod doctor;
pub mod down;
pub mod dynamics;
pub mod exec;
pub mod heal;
pub mod health;
pub mod images;
pub mod images_prune;
pub mod logs;
pub mod manual;
pub mod plan;
pub mod probe;
pub mod profiles;
pub mod ps;
pub mod releases;
pub mod render;
pub mod rollback;
pub mod secrets;
pub mod serve;
pub mod up;
pub mod version;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};

use crate::cli::GlobalArgs;
use crate::deploy::Project;
use crate::output::Style;
use crate::profile::{LoadedProfile, ProfileStore, Variables};
use crate::state::{absolute, ProjectState};

/// What every command needs: the global flags, where it runs, how to print.
pub struct Context {
    pub global: GlobalArgs,
    pub working_dir: PathBuf,
    pub style: Style,
}

impl Context {
    pub fn new(global: GlobalArgs) -> anyhow::Result<Self> {
        let working_dir =
            std::env::current_dir().context("cannot determine the current directory")?;
        let style = Style::detect(global.no_color, global.json);
        Ok(Context {
            global,
            working_dir,
            style,
        })
    }

    pub fn store(&self) -> ProfileStore {
        ProfileStore::new(self.global.profiles_dir.clone(), self.working_dir.clone())
    }

    pub fn load_profile(&self) -> anyhow::Result<LoadedProfile> {
        Ok(self
            .store()
            .load(&self.global.profile, &Variables::from_process())?)
    }

    /// `--project`, or `tm-<profile>`.
    pub fn project(&self) -> anyhow::Result<String> {
        let project = match &self.global.project {
            Some(project) => project.clone(),
            None => {
                let stem = Path::new(&self.global.profile)
                    .file_stem()
                    .and_then(|stem| stem.to_str())
                    .unwrap_or(&self.global.profile);
                format!("tm-{}", stem.to_ascii_lowercase())
            }
        };
        let valid = !project.is_empty()
            && project.len() <= 40
            && project.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && project
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid {
            bail!(
                "project name `{project}` is not allowed: use lowercase letters, digits, - and _ (at most 40 characters), e.g. --project tm-staging"
            );
        }
        Ok(project)
    }

    pub fn state_dir(&self) -> PathBuf {
        absolute(&self.working_dir, &self.global.state_dir)
    }

    pub fn project_state(&self) -> anyhow::Result<ProjectState> {
        Ok(ProjectState::new(&self.state_dir(), &self.project()?))
    }

    /// The profile loaded and the project named: what `up`, `plan` and friends work on.
    pub fn open_project(&self) -> anyhow::Result<Project> {
        let name = self.project()?;
        Ok(Project {
            loaded: self.load_profile()?,
            state: ProjectState::new(&self.state_dir(), &name),
            name,
            state_root: self.state_dir(),
            working_dir: self.working_dir.clone(),
        })
    }
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Prints `value` as pretty JSON on stdout: the `--json` output of the listing commands.
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Asks `question` on the terminal unless `yes`; off a terminal without `yes` it fails
/// with `refusal`, and an answer other than yes fails with `declined`.
pub fn confirm(yes: bool, question: &str, refusal: &str, declined: &str) -> anyhow::Result<()> {
    use std::io::{BufRead, IsTerminal, Write};
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("{refusal}");
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if !matches!(answer.trim(), "y" | "Y" | "yes") {
        bail!("{declined}");
    }
    Ok(())
}
