//! Dataset rows and their content chunks in the database.
//!
//! An upload first creates the row in state `uploading`, appends 1 MiB chunks as the bytes
//! arrive and are validated, and flips the row to `ready` at the end; any failure deletes
//! the row and its chunks. Only `ready` datasets are ever listed or read.

use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::csv_check::{CsvError, CsvValidator};
use crate::db::{opt, Db};
use crate::util::{hex, new_id, now_ms};

pub const CHUNK_BYTES: usize = 1024 * 1024;

/// Who a dataset belongs to: a web API user, or a TradeMaster session (compat API).
#[derive(Debug, Clone)]
pub enum Owner {
    User(String),
    Session(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct DatasetInfo {
    pub id: String,
    pub name: String,
    pub file_name: String,
    pub size_bytes: i64,
    pub row_count: i64,
    pub columns: Vec<String>,
    pub tics: Vec<String>,
    pub first_date: Option<String>,
    pub last_date: Option<String>,
    pub sha256: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Invalid(#[from] CsvError),
    #[error("the file is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the upload was interrupted: {0}")]
    Transfer(String),
    #[error("database error while storing the dataset: {0}")]
    Db(#[from] sqlx::Error),
}

const COLUMNS: &str = "id, name, file_name, size_bytes, row_count, columns, tics, first_date, last_date, sha256, created_at";

fn info_from_row(row: &AnyRow) -> Result<DatasetInfo, sqlx::Error> {
    let list = |column: &str| -> Result<Vec<String>, sqlx::Error> {
        let text: String = row.try_get(column)?;
        Ok(serde_json::from_str(&text).unwrap_or_default())
    };
    Ok(DatasetInfo {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        file_name: row.try_get("file_name")?,
        size_bytes: row.try_get("size_bytes")?,
        row_count: row.try_get("row_count")?,
        columns: list("columns")?,
        tics: list("tics")?,
        first_date: opt(row, "first_date")?,
        last_date: opt(row, "last_date")?,
        sha256: opt(row, "sha256")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Validates and stores a CSV file arriving as a stream of byte chunks.
pub async fn ingest<S, E>(
    db: &Db,
    owner: &Owner,
    name: &str,
    file_name: &str,
    mut body: S,
    limit: u64,
) -> Result<DatasetInfo, IngestError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let id = new_id();
    let (owner_id, session_id) = match owner {
        Owner::User(user) => (Some(user.as_str()), None),
        Owner::Session(session) => (None, Some(session.as_str())),
    };
    sqlx::query(
        "INSERT INTO datasets (id, owner_id, session_id, name, file_name, state, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'uploading', $6)",
    )
    .bind(&id)
    .bind(owner_id)
    .bind(session_id)
    .bind(name)
    .bind(file_name)
    .bind(now_ms())
    .execute(db.writer())
    .await?;
    let mut upload = Upload {
        db,
        id: &id,
        validator: CsvValidator::new(),
        hasher: Sha256::new(),
        pending: Vec::with_capacity(CHUNK_BYTES),
        seq: 0,
        size: 0,
        limit,
    };
    let stored = async {
        while let Some(piece) = body.next().await {
            let piece = piece.map_err(|e| IngestError::Transfer(e.to_string()))?;
            upload.push(&piece).await?;
        }
        upload.finish().await
    }
    .await;
    match stored {
        Ok(()) => get_ready(db, &id)
            .await?
            .ok_or_else(|| IngestError::Transfer("the dataset vanished while storing".into())),
        Err(error) => {
            if let Err(cleanup) = delete_rows(db, &id).await {
                tracing::error!(dataset = %id, error = %cleanup, "cannot remove a failed upload");
            }
            Err(error)
        }
    }
}

struct Upload<'a> {
    db: &'a Db,
    id: &'a str,
    validator: CsvValidator,
    hasher: Sha256,
    pending: Vec<u8>,
    seq: i64,
    size: u64,
    limit: u64,
}

impl Upload<'_> {
    async fn push(&mut self, piece: &[u8]) -> Result<(), IngestError> {
        self.size += piece.len() as u64;
        if self.size > self.limit {
            return Err(IngestError::TooLarge { limit: self.limit });
        }
        self.validator.feed(piece)?;
        self.hasher.update(piece);
        let mut rest = piece;
        while !rest.is_empty() {
            let room = CHUNK_BYTES - self.pending.len();
            let take = room.min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == CHUNK_BYTES {
                self.flush().await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), IngestError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        sqlx::query("INSERT INTO dataset_chunks (dataset_id, seq, data) VALUES ($1, $2, $3)")
            .bind(self.id)
            .bind(self.seq)
            .bind(std::mem::take(&mut self.pending))
            .execute(self.db.writer())
            .await?;
        self.pending = Vec::with_capacity(CHUNK_BYTES);
        self.seq += 1;
        Ok(())
    }

    async fn finish(&mut self) -> Result<(), IngestError> {
        let validator = std::mem::take(&mut self.validator);
        let summary = validator.finish()?;
        self.flush().await?;
        let digest = hex(&std::mem::take(&mut self.hasher).finalize());
        sqlx::query(
            "UPDATE datasets SET state = 'ready', size_bytes = $1, row_count = $2, columns = $3, \
             tics = $4, first_date = $5, last_date = $6, sha256 = $7 WHERE id = $8",
        )
        .bind(self.size as i64)
        .bind(summary.rows as i64)
        .bind(serde_json::to_string(&summary.columns).unwrap_or_default())
        .bind(serde_json::to_string(&summary.tics).unwrap_or_default())
        .bind(summary.first_date)
        .bind(summary.last_date)
        .bind(digest)
        .bind(self.id)
        .execute(self.db.writer())
        .await?;
        Ok(())
    }
}

async fn delete_rows(db: &Db, id: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.writer().begin().await?;
    sqlx::query("DELETE FROM dataset_chunks WHERE dataset_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM datasets WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

async fn get_ready(db: &Db, id: &str) -> Result<Option<DatasetInfo>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM datasets WHERE id = $1 AND state = 'ready'");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(db.reader())
        .await?;
    row.as_ref().map(info_from_row).transpose()
}

/// A ready dataset of this user.
pub async fn get_owned(
    db: &Db,
    user_id: &str,
    id: &str,
) -> Result<Option<DatasetInfo>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM datasets WHERE id = $1 AND owner_id = $2 AND state = 'ready'"
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(user_id)
        .fetch_optional(db.reader())
        .await?;
    row.as_ref().map(info_from_row).transpose()
}

pub async fn list_owned(db: &Db, user_id: &str) -> Result<Vec<DatasetInfo>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM datasets WHERE owner_id = $1 AND state = 'ready' ORDER BY created_at, id"
    );
    let rows = sqlx::query(&sql)
        .bind(user_id)
        .fetch_all(db.reader())
        .await?;
    rows.iter().map(info_from_row).collect()
}

/// The newest ready dataset uploaded in a TradeMaster session.
pub async fn latest_of_session(
    db: &Db,
    session_id: &str,
) -> Result<Option<DatasetInfo>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM datasets WHERE session_id = $1 AND state = 'ready' \
         ORDER BY created_at DESC, id DESC LIMIT 1"
    );
    let row = sqlx::query(&sql)
        .bind(session_id)
        .fetch_optional(db.reader())
        .await?;
    row.as_ref().map(info_from_row).transpose()
}

/// Deletes a user's dataset; `Ok(false)` when there is none.
pub async fn delete_owned(db: &Db, user_id: &str, id: &str) -> Result<bool, sqlx::Error> {
    if get_owned(db, user_id, id).await?.is_none() {
        return Ok(false);
    }
    delete_rows(db, id).await?;
    Ok(true)
}

/// The dataset's bytes, chunk by chunk, read from the database as they are sent.
pub fn content_stream(db: Db, id: String) -> impl Stream<Item = Result<Bytes, sqlx::Error>> {
    futures_util::stream::try_unfold(0i64, move |seq| {
        let db = db.clone();
        let id = id.clone();
        async move {
            let row =
                sqlx::query("SELECT data FROM dataset_chunks WHERE dataset_id = $1 AND seq = $2")
                    .bind(&id)
                    .bind(seq)
                    .fetch_optional(db.reader())
                    .await?;
            match row {
                Some(row) => {
                    let data: Vec<u8> = row.try_get("data")?;
                    Ok(Some((Bytes::from(data), seq + 1)))
                }
                None => Ok(None),
            }
        }
    })
}

/// The whole content, for callers that need it in memory (compat download, algorithms).
pub async fn read_all(db: &Db, id: &str) -> Result<Vec<u8>, sqlx::Error> {
    let rows = sqlx::query("SELECT data FROM dataset_chunks WHERE dataset_id = $1 ORDER BY seq")
        .bind(id)
        .fetch_all(db.reader())
        .await?;
    let mut content = Vec::new();
    for row in rows {
        let data: Vec<u8> = row.try_get("data")?;
        content.extend_from_slice(&data);
    }
    Ok(content)
}

/// Removes uploads that never finished (their replica died), older than `age_ms`.
pub async fn sweep_abandoned(db: &Db, age_ms: i64) -> Result<u64, sqlx::Error> {
    let cutoff = now_ms() - age_ms;
    let ids: Vec<String> =
        sqlx::query("SELECT id FROM datasets WHERE state = 'uploading' AND created_at < $1")
            .bind(cutoff)
            .fetch_all(db.reader())
            .await?
            .iter()
            .map(|row| row.try_get("id"))
            .collect::<Result<_, _>>()?;
    for id in &ids {
        delete_rows(db, id).await?;
    }
    Ok(ids.len() as u64)
}
