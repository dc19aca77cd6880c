//! `backup verify`: the file's checksum, then a restore into a scratch database in the
//! database container, counting tables and rows; the scratch database is always dropped.

use std::path::Path;

use bollard::Docker;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use super::catalog::BackupRecord;
use super::error::BackupError;
use super::exec;
use super::run::capture;
use super::target::Database;
use crate::hex::hex;

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub id: String,
    pub sha256: String,
    pub tables: u64,
    pub rows: u64,
}

/// Per-table row counts of the user tables, `schema.table|rows` per line.
const COUNT_ROWS: &str = "SELECT table_schema || '.' || table_name || '|' || \
    (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', \
    table_schema, table_name), false, true, '')))[1]::text \
    FROM information_schema.tables \
    WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')";

/// SHA-256 of a file, read in chunks.
pub async fn file_sha256(path: &Path) -> Result<String, BackupError> {
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(BackupError::io("cannot open", path))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let read = file
            .read(&mut buffer)
            .await
            .map_err(BackupError::io("cannot read", path))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex(&hasher.finalize()))
}

/// The good backup's file, checked against the catalog's checksum.
pub async fn checked_file(
    dir: &Path,
    record: &BackupRecord,
) -> Result<std::path::PathBuf, BackupError> {
    let (Some(file), Some(expected)) = (&record.file, &record.sha256) else {
        return Err(BackupError::NotGood {
            id: record.id.clone(),
            outcome: record.outcome.to_string(),
        });
    };
    let path = dir.join(file);
    let found = file_sha256(&path).await?;
    if &found != expected {
        return Err(BackupError::Checksum {
            path,
            expected: expected.clone(),
            found,
        });
    }
    Ok(path)
}

pub async fn verify(
    docker: &Docker,
    database: &Database,
    dir: &Path,
    record: &BackupRecord,
) -> Result<VerifyReport, BackupError> {
    let path = checked_file(dir, record).await?;
    let scratch = format!("tmctl_verify_{}", std::process::id());
    let sql = |statement: String| database.psql(&database.database, &statement);
    let drop = sql(format!(
        "DROP DATABASE IF EXISTS \"{scratch}\" WITH (FORCE)"
    ));
    let create = sql(format!("CREATE DATABASE \"{scratch}\""));
    run_ok(docker, database, &drop).await?;
    run_ok(docker, database, &create).await?;
    let outcome = restore_and_count(docker, database, &path, &scratch, record).await;
    if let Err(error) = run_ok(docker, database, &drop).await {
        tracing::warn!("cannot drop the scratch database {scratch}: {error}");
    }
    outcome
}

async fn restore_and_count(
    docker: &Docker,
    database: &Database,
    path: &Path,
    scratch: &str,
    record: &BackupRecord,
) -> Result<VerifyReport, BackupError> {
    let command = database.client("pg_restore", &["--no-owner", "--exit-on-error"], scratch);
    let result = exec::run(docker, database, &command, Some(path), |_| Ok(())).await?;
    if !result.success() {
        return Err(result.into_error(&command, &database.container));
    }
    let counts = capture(docker, database, &database.psql(scratch, COUNT_ROWS)).await?;
    let mut tables = 0;
    let mut rows = 0;
    for line in counts.lines().filter(|line| !line.is_empty()) {
        tables += 1;
        rows += line
            .rsplit('|')
            .next()
            .and_then(|count| count.trim().parse::<u64>().ok())
            .unwrap_or(0);
    }
    Ok(VerifyReport {
        id: record.id.clone(),
        sha256: result.input_sha256.unwrap_or_default(),
        tables,
        rows,
    })
}

async fn run_ok(
    docker: &Docker,
    database: &Database,
    command: &[String],
) -> Result<(), BackupError> {
    let result = exec::run(docker, database, command, None, |_| Ok(())).await?;
    if result.success() {
        Ok(())
    } else {
        Err(result.into_error(command, &database.container))
    }
}
