//! TradeMaster sessions: one row per workspace, with a JSON map of what was done in it.

use serde_json::{Map, Value};
use sqlx::Row;

use super::TmError;
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
    .execute(&db.pool)
    .await?;
    Ok(id)
}

/// The session's parameters, or a compat error naming the unknown id.
pub async fn params(db: &Db, id: &str) -> Result<Map<String, Value>, TmError> {
    let row = sqlx::query("SELECT params FROM sessions WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    let Some(row) = row else {
        return Err(TmError(format!("unknown session_id {id:?}; start a session with train, upload_csv or start_market_dynamics_labeling")));
    };
    let text: String = row.try_get("params")?;
    Ok(serde_json::from_str(&text).unwrap_or_default())
}

/// The given session (which must exist) or a new one.
pub async fn existing_or_new(db: &Db, id: Option<String>) -> Result<String, TmError> {
    match id {
        Some(id) => {
            params(db, &id).await?;
            Ok(id)
        }
        None => Ok(create(db).await?),
    }
}

/// Sets keys of the session's parameters.
pub async fn update(db: &Db, id: &str, changes: Map<String, Value>) -> Result<(), TmError> {
    let mut current = params(db, id).await?;
    current.extend(changes);
    sqlx::query("UPDATE sessions SET params = $1, updated_at = $2 WHERE id = $3")
        .bind(Value::Object(current).to_string())
        .bind(now_ms())
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Removes a session that turned out to be of no use (its first request failed).
pub async fn delete(db: &Db, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await
        .map(|_| ())
}
