//! Strategies: what to train (task, agent), on which dataset, with which hyperparameters.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db::Db;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Strategy {
    pub id: String,
    pub name: String,
    pub task: String,
    pub agent: String,
    pub dataset_id: String,
    pub hyperparameters: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, name, task, agent, dataset_id, hyperparameters, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<Strategy, sqlx::Error> {
    let hyperparameters: String = row.try_get("hyperparameters")?;
    Ok(Strategy {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        task: row.try_get("task")?,
        agent: row.try_get("agent")?,
        dataset_id: row.try_get("dataset_id")?,
        hyperparameters: serde_json::from_str(&hyperparameters).unwrap_or(Value::Null),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

pub async fn insert(db: &Db, owner_id: &str, strategy: &Strategy) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO strategies (owner_id, {COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(owner_id)
    .bind(&strategy.id)
    .bind(&strategy.name)
    .bind(&strategy.task)
    .bind(&strategy.agent)
    .bind(&strategy.dataset_id)
    .bind(strategy.hyperparameters.to_string())
    .bind(strategy.created_at)
    .bind(strategy.updated_at)
    .execute(db.writer())
    .await
    .map(|_| ())
}

pub async fn update(db: &Db, owner_id: &str, strategy: &Strategy) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE strategies SET name = $1, task = $2, agent = $3, dataset_id = $4, \
         hyperparameters = $5, updated_at = $6 WHERE id = $7 AND owner_id = $8",
    )
    .bind(&strategy.name)
    .bind(&strategy.task)
    .bind(&strategy.agent)
    .bind(&strategy.dataset_id)
    .bind(strategy.hyperparameters.to_string())
    .bind(strategy.updated_at)
    .bind(&strategy.id)
    .bind(owner_id)
    .execute(db.writer())
    .await
    .map(|_| ())
}

pub async fn get(db: &Db, owner_id: &str, id: &str) -> Result<Option<Strategy>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM strategies WHERE id = $1 AND owner_id = $2"
    ))
    .bind(id)
    .bind(owner_id)
    .fetch_optional(db.reader())
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(db: &Db, owner_id: &str) -> Result<Vec<Strategy>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM strategies WHERE owner_id = $1 ORDER BY created_at, id"
    ))
    .bind(owner_id)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Deletes the strategy with its finished jobs and results.
pub async fn delete(db: &Db, owner_id: &str, id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM strategies WHERE id = $1 AND owner_id = $2")
        .bind(id)
        .bind(owner_id)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Some strategy that trains on the dataset, if any.
pub async fn strategy_using_dataset(
    db: &Db,
    dataset_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT id FROM strategies WHERE dataset_id = $1 LIMIT 1")
        .bind(dataset_id)
        .fetch_optional(db.reader())
        .await?;
    row.map(|r| r.try_get("id")).transpose()
}
