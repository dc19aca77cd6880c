//! `backup run`: pg_dump in the database container, streamed to `<id>.dump.part` on the
//! host, fsynced, checked with `pg_restore --list`, then renamed to `<id>.dump`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bollard::Docker;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::catalog::{BackupRecord, Catalog, Outcome, DUMP_SUFFIX, PART_SUFFIX};
use super::error::BackupError;
use super::exec;
use super::target::{self, Database};
use crate::hex::hex;
use crate::lock::file as lock;
use crate::profile::units::Compression;

/// What a run needs to know.
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub project: String,
    /// The project's backup directory (`<backups>/<project>`).
    pub dir: PathBuf,
    /// The service running PostgreSQL.
    pub database_service: String,
    pub compression: Compression,
    /// How long to wait for a run already in progress.
    pub lock_wait: Duration,
    /// Counts the dumped bytes on a terminal (`None`: no progress display).
    pub progress: Option<indicatif::ProgressBar>,
}

/// The pg_dump `-Z` argument for `wanted`, given pg_dump's major version. Custom-format
/// zstd needs PostgreSQL 16; older servers fall back to gzip at the same level (at most 9).
pub fn effective_compression(wanted: Compression, pg_dump_major: u32) -> (Compression, String) {
    let effective = match wanted {
        Compression::Zstd(level) if pg_dump_major < 16 => Compression::Gzip(level.min(9)),
        other => other,
    };
    let argument = match effective {
        Compression::None => "0".to_owned(),
        Compression::Gzip(level) => level.to_string(),
        Compression::Zstd(level) => format!("zstd:{level}"),
    };
    (effective, argument)
}

/// The major version in `pg_dump (PostgreSQL) 15.18 (Debian ...)`.
pub fn major_version(version_line: &str) -> Option<u32> {
    version_line
        .split_whitespace()
        .find_map(|word| word.split('.').next()?.parse::<u32>().ok())
}

/// Deletes `.dump.part` files left by a run that crashed. Call with the lock held.
pub fn sweep_partial(dir: &Path) -> Result<Vec<PathBuf>, BackupError> {
    let mut swept = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(BackupError::io("cannot read", dir))?;
    for entry in entries {
        let path = entry.map_err(BackupError::io("cannot read", dir))?.path();
        let partial = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.ends_with(PART_SUFFIX));
        if partial {
            std::fs::remove_file(&path).map_err(BackupError::io("cannot remove", &path))?;
            tracing::warn!("removed {} left by an interrupted run", path.display());
            swept.push(path);
        }
    }
    Ok(swept)
}

pub fn backup_id(time: DateTime<Utc>) -> String {
    time.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Runs one backup. Failures are recorded in the catalog too; the returned record says
/// which it was. `Err` only when even the failure could not be recorded.
pub async fn run(docker: &Docker, settings: &RunSettings) -> Result<BackupRecord, BackupError> {
    std::fs::create_dir_all(&settings.dir)
        .map_err(BackupError::io("cannot create", &settings.dir))?;
    let _lock = lock::acquire(
        &settings.dir,
        &settings.project,
        "tmctl backup run",
        settings.lock_wait,
    )?;
    sweep_partial(&settings.dir)?;
    let started_at = Utc::now();
    let mut id = backup_id(started_at);
    let mut suffix = 1;
    while settings.dir.join(format!("{id}{DUMP_SUFFIX}")).exists() {
        id = format!("{}-{suffix}", backup_id(started_at));
        suffix += 1;
    }
    let clock = Instant::now();
    let part = settings.dir.join(format!("{id}{PART_SUFFIX}"));
    let mut record = BackupRecord {
        id: id.clone(),
        started_at,
        duration_ms: 0,
        outcome: Outcome::Failed,
        file: None,
        size: 0,
        sha256: None,
        database: String::new(),
        server_version: String::new(),
        tmctl_version: env!("CARGO_PKG_VERSION").to_owned(),
        compression: settings.compression.to_string(),
        error: None,
    };
    match dump(docker, settings, &part, &mut record).await {
        Ok(()) => {
            let final_name = format!("{id}{DUMP_SUFFIX}");
            let target = settings.dir.join(&final_name);
            match std::fs::rename(&part, &target)
                .map_err(BackupError::io("cannot rename", &part))
                .and_then(|()| sync_dir(&settings.dir))
            {
                Ok(()) => {
                    record.outcome = Outcome::Ok;
                    record.file = Some(final_name);
                }
                Err(error) => record.error = Some(error.to_string()),
            }
        }
        Err(error) => record.error = Some(error.to_string()),
    }
    if record.outcome == Outcome::Failed {
        if let Err(error) = std::fs::remove_file(&part) {
            if error.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!("cannot remove {}: {error}", part.display());
            }
        }
        record.sha256 = None;
    }
    record.duration_ms = clock.elapsed().as_millis() as u64;
    Catalog::append(&settings.dir, record.clone())?;
    Ok(record)
}

async fn dump(
    docker: &Docker,
    settings: &RunSettings,
    part: &Path,
    record: &mut BackupRecord,
) -> Result<(), BackupError> {
    let database = target::find(docker, &settings.project, &settings.database_service).await?;
    record.database = database.database.clone();
    let pg_dump_version = capture(
        docker,
        &database,
        &["pg_dump".to_owned(), "--version".to_owned()],
    )
    .await?;
    record.server_version = capture(
        docker,
        &database,
        &database.psql(&database.database, "show server_version"),
    )
    .await?;
    let major = major_version(&pg_dump_version).unwrap_or(0);
    let (effective, level) = effective_compression(settings.compression, major);
    if effective != settings.compression {
        tracing::info!(
            "{pg_dump_version} cannot write zstd custom-format archives (PostgreSQL 16+ can); using {effective}"
        );
    }
    record.compression = effective.to_string();
    let command = database.client(
        "pg_dump",
        &["--format=custom", "-Z", &level],
        &database.database,
    );
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options
        .open(part)
        .map_err(BackupError::io("cannot create", part))?;
    let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    tracing::info!("dumping {} from {}", database.database, database.container);
    let result = exec::run(docker, &database, &command, None, |chunk| {
        hasher.update(chunk);
        size += chunk.len() as u64;
        if let Some(bar) = &settings.progress {
            bar.inc(chunk.len() as u64);
        }
        writer
            .write_all(chunk)
            .map_err(BackupError::io("cannot write", part))
    })
    .await?;
    let file = writer.into_inner().map_err(|error| BackupError::Io {
        action: "cannot write",
        path: part.to_path_buf(),
        source: error.into_error(),
    })?;
    file.sync_all()
        .map_err(BackupError::io("cannot fsync", part))?;
    drop(file);
    if !result.success() {
        return Err(result.into_error(&command, &database.container));
    }
    tracing::debug!("{size} bytes dumped and synced to {}", part.display());
    let streamed = hex(&hasher.finalize());
    record.size = size;
    record.sha256 = Some(streamed.clone());
    check_archive(docker, &database, part, &streamed).await
}

/// `pg_restore --list` on the file streamed back into the container, which also re-reads
/// it from disk: the checksum of what was read must equal what was written.
pub async fn check_archive(
    docker: &Docker,
    database: &Database,
    path: &Path,
    expected_sha256: &str,
) -> Result<(), BackupError> {
    let command = vec!["pg_restore".to_owned(), "--list".to_owned()];
    let mut entries = 0usize;
    let result = exec::run(docker, database, &command, Some(path), |chunk| {
        entries += chunk.iter().filter(|byte| **byte == b'\n').count();
        Ok(())
    })
    .await?;
    let found = result.input_sha256.clone().unwrap_or_default();
    if found != expected_sha256 {
        return Err(BackupError::Checksum {
            path: path.to_path_buf(),
            expected: expected_sha256.to_owned(),
            found,
        });
    }
    if !result.success() {
        return Err(result.into_error(&command, &database.container));
    }
    tracing::debug!("{} lists {entries} lines", path.display());
    Ok(())
}

/// Runs a short command and returns its trimmed stdout, or its failure.
pub async fn capture(
    docker: &Docker,
    database: &Database,
    command: &[String],
) -> Result<String, BackupError> {
    let mut stdout = Vec::new();
    let result = exec::run(docker, database, command, None, |chunk| {
        stdout.extend_from_slice(chunk);
        Ok(())
    })
    .await?;
    if !result.success() {
        return Err(result.into_error(command, &database.container));
    }
    Ok(String::from_utf8_lossy(&stdout).trim().to_owned())
}

fn sync_dir(dir: &Path) -> Result<(), BackupError> {
    std::fs::File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(BackupError::io("cannot fsync", dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zstd_falls_back_to_gzip_before_postgresql_16() {
        assert_eq!(
            effective_compression(Compression::Zstd(3), 15),
            (Compression::Gzip(3), "3".to_owned())
        );
        assert_eq!(
            effective_compression(Compression::Zstd(12), 15).0,
            Compression::Gzip(9)
        );
        assert_eq!(
            effective_compression(Compression::Zstd(3), 16),
            (Compression::Zstd(3), "zstd:3".to_owned())
        );
        assert_eq!(effective_compression(Compression::None, 15).1, "0");
    }

    #[test]
    fn reads_the_major_version() {
        assert_eq!(
            major_version("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"),
            Some(15)
        );
        assert_eq!(major_version("pg_dump (PostgreSQL) 16.2"), Some(16));
    }

    #[test]
    fn sweeps_only_partial_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.dump.part"), "x").unwrap();
        std::fs::write(dir.path().join("b.dump"), "x").unwrap();
        let swept = sweep_partial(dir.path()).unwrap();
        assert_eq!(swept.len(), 1);
        assert!(dir.path().join("b.dump").exists());
        assert!(!dir.path().join("a.dump.part").exists());
    }
}
