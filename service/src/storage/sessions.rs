//! TradeMaster sessions: one row per workspace, with a JSON map of what was done in it.

use serde_json::{Map, Value};
use sqlx::Row;

use crate::db::Db;
use crate::util::{new_id, now_ms};

pub async fn create(db: &Db) -> Result<String, sqlx::Error> {
    let id = new_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (id, params, created_at, updated_at) VALUES ($1, '{}', $2, $2)",
    )
    .bind(&id)
    .bind(now)
    .execute(db.writer())
    .await?;
    Ok(id)
}

/// The session's parameters, or None when there is no such session.
pub async fn params(db: &Db, id: &str) -> Result<Option<Map<String, Value>>, sqlx::Error> {
    let row = sqlx::query("SELECT params FROM sessions WHERE id = $1")
        .bind(id)
        .fetch_optional(db.reader())
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let text: String = row.try_get("params")?;
    Ok(Some(serde_json::from_str(&text).unwrap_or_default()))
}

pub async fn set_params(db: &Db, id: &str, params: Map<String, Value>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET params = $1, updated_at = $2 WHERE id = $3")
        .bind(Value::Object(params).to_string())
        .bind(now_ms())
        .bind(id)
        .execute(db.writer())
        .await
        .map(|_| ())
}

pub async fn delete(db: &Db, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id)
        .execute(db.writer())
        .await
        .map(|_| ())
}
