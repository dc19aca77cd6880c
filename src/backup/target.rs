//! The PostgreSQL container a project's backups come from, and how to reach it.

use bollard::Docker;

use super::error::BackupError;
use crate::engine::{labels, observe};

/// A running database container and the credentials its environment names.
#[derive(Debug, Clone)]
pub struct Database {
    pub container: String,
    pub user: String,
    pub database: String,
    /// Handed to the tools as PGPASSWORD when the container has one; local socket
    /// connections as the postgres OS user usually need none.
    pub password: Option<String>,
}

impl Database {
    /// `program args... -U <user> -d <database>`: a PostgreSQL client tool's command line
    /// in the container, connected as this target's user to `database`.
    pub fn client(&self, program: &str, args: &[&str], database: &str) -> Vec<String> {
        std::iter::once(program)
            .chain(args.iter().copied())
            .chain(["-U", &self.user, "-d", database])
            .map(str::to_owned)
            .collect()
    }

    /// `psql` running one statement against `database`, quiet and unaligned.
    pub fn psql(&self, database: &str, statement: &str) -> Vec<String> {
        let mut command = self.client("psql", &["-X", "-At", "-v", "ON_ERROR_STOP=1"], database);
        command.extend(["-c".to_owned(), statement.to_owned()]);
        command
    }

    /// Environment for commands run in the container.
    pub fn exec_env(&self) -> Vec<String> {
        self.password
            .iter()
            .map(|password| format!("PGPASSWORD={password}"))
            .collect()
    }
}

/// Finds replica 1 (or any running replica) of `service` in `project`.
pub async fn find(docker: &Docker, project: &str, service: &str) -> Result<Database, BackupError> {
    let containers = observe::containers(docker, project)
        .await
        .map_err(BackupError::engine(format!(
            "cannot list the containers of {project}"
        )))?;
    let container = containers
        .iter()
        .filter(|c| c.service == service && c.is_running())
        .min_by_key(|c| c.number)
        .ok_or_else(|| BackupError::NoDatabase {
            project: project.to_owned(),
            service: service.to_owned(),
        })?;
    let inspect = docker
        .inspect_container(&container.name, None)
        .await
        .map_err(BackupError::engine(format!(
            "cannot inspect {}",
            container.name
        )))?;
    let env = inspect.config.and_then(|c| c.env).unwrap_or_default();
    let value = |key: &str| {
        env.iter()
            .find_map(|entry| entry.strip_prefix(&format!("{key}=")).map(str::to_owned))
    };
    let user = value("POSTGRES_USER").unwrap_or_else(|| "postgres".to_owned());
    let database = value("POSTGRES_DB").unwrap_or_else(|| user.clone());
    Ok(Database {
        container: container.name.clone(),
        user,
        database,
        password: value("POSTGRES_PASSWORD").filter(|p| !p.is_empty()),
    })
}

/// The project this process belongs to when it runs inside one of the project's
/// containers: the compose project label of its own container (found by hostname).
pub async fn own_project(docker: &Docker) -> Option<String> {
    let hostname = tmctl_service::util::hostname();
    let inspect = docker.inspect_container(&hostname, None).await.ok()?;
    inspect.config?.labels?.get(labels::PROJECT).cloned()
}
