//! `backup restore`: stop the services using the database, `pg_restore --clean
//! --if-exists` into the live database, start them again and wait for health.

use std::path::Path;
use std::time::Duration;

use bollard::query_parameters::StopContainerOptionsBuilder;
use bollard::Docker;

use super::catalog::BackupRecord;
use super::error::BackupError;
use super::exec;
use super::target::Database;
use super::verify::checked_file;
use crate::engine::observe;
use crate::engine::ops::{self, Readiness};
use crate::profile::Profile;

/// The services that depend on the database service, apart from the backup scheduler
/// (which only reads the database through the Engine).
pub fn dependent_services(profile: &Profile, database_service: &str) -> Vec<String> {
    let scheduler = profile.backup.as_ref().and_then(|b| b.service.as_deref());
    profile
        .services
        .iter()
        .filter(|(name, service)| {
            service.depends_on.contains_key(database_service) && Some(name.as_str()) != scheduler
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// Running containers of `services`, by name.
pub async fn running_containers(
    docker: &Docker,
    project: &str,
    services: &[String],
) -> Result<Vec<String>, BackupError> {
    let containers = observe::containers(docker, project)
        .await
        .map_err(BackupError::engine(format!(
            "cannot list the containers of {project}"
        )))?;
    Ok(containers
        .into_iter()
        .filter(|c| services.contains(&c.service) && c.is_running())
        .map(|c| c.name)
        .collect())
}

pub async fn restore(
    docker: &Docker,
    database: &Database,
    dir: &Path,
    record: &BackupRecord,
    stop: &[String],
    timeout: Duration,
    fed: Option<indicatif::ProgressBar>,
) -> Result<(), BackupError> {
    let path = checked_file(dir, record).await?;
    for name in stop {
        tracing::info!("stopping {name}");
        docker
            .stop_container(
                name,
                Some(StopContainerOptionsBuilder::default().t(30).build()),
            )
            .await
            .map_err(BackupError::engine(format!("cannot stop {name}")))?;
    }
    let restored = pg_restore(docker, database, &path, fed).await;
    let mut restarted = Ok(());
    for name in stop {
        tracing::info!("starting {name}");
        let started = match docker.start_container(name, None).await {
            Ok(()) => ops::wait_ready(docker, name, Readiness::EngineHealthy, timeout)
                .await
                .map_err(BackupError::from),
            Err(error) => Err(BackupError::engine(format!("cannot start {name}"))(error)),
        };
        if let Err(error) = started {
            restarted = restarted.and(Err(error));
        }
    }
    restored.and(restarted)
}

async fn pg_restore(
    docker: &Docker,
    database: &Database,
    path: &Path,
    fed: Option<indicatif::ProgressBar>,
) -> Result<(), BackupError> {
    let command = database.client(
        "pg_restore",
        &[
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
        ],
        &database.database,
    );
    tracing::info!("restoring {} into {}", path.display(), database.database);
    let result = exec::run_feeding(docker, database, &command, Some(path), fed, |_| Ok(())).await?;
    if result.success() {
        Ok(())
    } else {
        Err(result.into_error(&command, &database.container))
    }
}
