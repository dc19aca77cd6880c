//! Service-wide settings kept in the database.

use sqlx::Row;

use crate::db::Db;

/// The stored token key; `candidate` becomes it when none is stored yet (the first replica
/// to start wins, the others read its key).
pub async fn token_key_or_insert(db: &Db, candidate: &str) -> Result<String, sqlx::Error> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ('token_key', $1) ON CONFLICT (key) DO NOTHING",
    )
    .bind(candidate)
    .execute(db.writer())
    .await?;
    let row = sqlx::query("SELECT value FROM settings WHERE key = 'token_key'")
        .fetch_one(db.writer())
        .await?;
    row.try_get("value")
}
