//! `backup prune`: apply the retention decision to the files and the catalog.

use std::path::Path;

use chrono_tz::Tz;

use super::catalog::Catalog;
use super::error::BackupError;
use super::retention::{self, PruneDecision, Retention};

/// Decides what to delete; with `apply`, deletes the files, then their records.
/// Call with the project's backup lock held when applying.
pub fn prune(
    dir: &Path,
    retention: Retention,
    timezone: Tz,
    apply: bool,
) -> Result<PruneDecision, BackupError> {
    let mut catalog = Catalog::load(dir)?;
    let decision = retention::select(&catalog.backups, retention, timezone);
    if !apply || decision.delete.is_empty() {
        return Ok(decision);
    }
    for record in catalog
        .backups
        .iter()
        .filter(|record| decision.delete.contains(&record.id))
    {
        if let Some(file) = &record.file {
            let path = dir.join(file);
            match std::fs::remove_file(&path) {
                Ok(()) => tracing::info!("deleted {}", path.display()),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(BackupError::Io {
                        action: "cannot delete",
                        path,
                        source,
                    })
                }
            }
        }
    }
    catalog
        .backups
        .retain(|record| !decision.delete.contains(&record.id));
    catalog.save(dir)?;
    Ok(decision)
}
