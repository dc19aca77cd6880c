//! The catalog beside the dump files: one record per run, good or failed.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::BackupError;

pub const CATALOG_FILE: &str = "catalog.json";
pub const DUMP_SUFFIX: &str = ".dump";
pub const PART_SUFFIX: &str = ".dump.part";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ok,
    Failed,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
        })
    }
}

/// One backup run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupRecord {
    /// The run's UTC start time, `20261125T020000Z`; the dump file is `<id>.dump`.
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub outcome: Outcome,
    /// File name within the project's backup directory (good runs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    pub database: String,
    pub server_version: String,
    pub tmctl_version: String,
    /// The compression pg_dump used (after falling back from zstd where unsupported).
    pub compression: String,
    /// Why the run failed, with pg_dump's stderr.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl BackupRecord {
    pub fn finished_at(&self) -> DateTime<Utc> {
        self.started_at + chrono::Duration::milliseconds(self.duration_ms as i64)
    }

    pub fn is_good(&self) -> bool {
        self.outcome == Outcome::Ok && self.file.is_some()
    }
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Catalog {
    pub backups: Vec<BackupRecord>,
}

impl Catalog {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(CATALOG_FILE)
    }

    /// Reads the catalog; a directory without one has an empty catalog.
    pub fn load(dir: &Path) -> Result<Self, BackupError> {
        let path = Self::path(dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Catalog::default())
            }
            Err(source) => {
                return Err(BackupError::Io {
                    action: "cannot read",
                    path,
                    source,
                })
            }
        };
        let mut catalog: Catalog =
            serde_json::from_str(&text).map_err(|error| BackupError::Catalog {
                path: path.clone(),
                message: error.to_string(),
            })?;
        catalog.backups.sort_by_key(|record| record.started_at);
        Ok(catalog)
    }

    /// Writes the catalog atomically (temporary file, fsync, rename).
    pub fn save(&self, dir: &Path) -> Result<(), BackupError> {
        let path = Self::path(dir);
        let text = serde_json::to_vec_pretty(self).map_err(|error| BackupError::Catalog {
            path: path.clone(),
            message: error.to_string(),
        })?;
        crate::state::write_private_file(&path, &text).map_err(|error| BackupError::Io {
            action: "cannot write",
            path,
            source: std::io::Error::other(error.to_string()),
        })
    }

    /// Reloads, adds `record` and saves, so concurrent readers never see a partial file.
    pub fn append(dir: &Path, record: BackupRecord) -> Result<(), BackupError> {
        let mut catalog = Self::load(dir)?;
        catalog.backups.push(record);
        catalog.save(dir)
    }

    pub fn latest_good(&self) -> Option<&BackupRecord> {
        self.backups.iter().rev().find(|record| record.is_good())
    }

    pub fn latest(&self) -> Option<&BackupRecord> {
        self.backups.last()
    }

    /// `latest` (the newest good backup) or an exact id.
    pub fn find(&self, wanted: &str, dir: &Path) -> Result<&BackupRecord, BackupError> {
        let found = if wanted == "latest" {
            self.latest_good()
        } else {
            self.backups.iter().find(|record| record.id == wanted)
        };
        found.ok_or_else(|| BackupError::NotFound {
            wanted: wanted.to_owned(),
            dir: dir.to_path_buf(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, outcome: Outcome) -> BackupRecord {
        BackupRecord {
            id: id.to_owned(),
            started_at: Utc::now(),
            duration_ms: 1,
            outcome,
            file: (outcome == Outcome::Ok).then(|| format!("{id}.dump")),
            size: 10,
            sha256: None,
            database: "db".to_owned(),
            server_version: "15".to_owned(),
            tmctl_version: "0".to_owned(),
            compression: "gzip:3".to_owned(),
            error: None,
        }
    }

    #[test]
    fn round_trips_and_finds_the_latest_good() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Catalog::load(dir.path()).unwrap().backups.is_empty());
        Catalog::append(dir.path(), record("a", Outcome::Ok)).unwrap();
        Catalog::append(dir.path(), record("b", Outcome::Failed)).unwrap();
        let catalog = Catalog::load(dir.path()).unwrap();
        assert_eq!(catalog.backups.len(), 2);
        assert_eq!(catalog.find("latest", dir.path()).unwrap().id, "a");
        assert_eq!(catalog.find("b", dir.path()).unwrap().id, "b");
        let error = catalog.find("zzz", dir.path()).unwrap_err().to_string();
        assert!(error.contains("no backup `zzz`"), "{error}");
    }

    #[test]
    fn a_malformed_catalog_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CATALOG_FILE), "{nope").unwrap();
        let error = Catalog::load(dir.path()).unwrap_err().to_string();
        assert!(error.contains("catalog.json is malformed"), "{error}");
    }
}
