//! Users, refresh tokens and revoked access tokens.

use sqlx::Row;

use crate::db::Db;

/// A user's id and password hash, for login.
pub struct Credentials {
    pub id: String,
    pub password_hash: String,
}

/// A user as `/auth/me` shows it.
pub struct User {
    pub id: String,
    pub username: String,
    pub created_at: i64,
}

/// Adds a user; false when the name is taken.
pub async fn insert(
    db: &Db,
    id: &str,
    username: &str,
    password_hash: &str,
    created_at: i64,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO users (id, username, password_hash, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (username) DO NOTHING",
    )
    .bind(id)
    .bind(username)
    .bind(password_hash)
    .bind(created_at)
    .execute(db.writer())
    .await?;
    Ok(inserted.rows_affected() > 0)
}

pub async fn credentials(db: &Db, username: &str) -> Result<Option<Credentials>, sqlx::Error> {
    let row = sqlx::query("SELECT id, password_hash FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(db.reader())
        .await?;
    row.map(|row| {
        Ok(Credentials {
            id: row.try_get("id")?,
            password_hash: row.try_get("password_hash")?,
        })
    })
    .transpose()
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<User>, sqlx::Error> {
    let row = sqlx::query("SELECT id, username, created_at FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(db.reader())
        .await?;
    row.map(|row| {
        Ok(User {
            id: row.try_get("id")?,
            username: row.try_get("username")?,
            created_at: row.try_get("created_at")?,
        })
    })
    .transpose()
}

pub async fn insert_refresh_token(
    db: &Db,
    jti: &str,
    user_id: &str,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO refresh_tokens (jti, user_id, expires_at) VALUES ($1, $2, $3)")
        .bind(jti)
        .bind(user_id)
        .bind(expires_at)
        .execute(db.writer())
        .await
        .map(|_| ())
}

/// Revokes one unrevoked refresh token of the user; false when there was none.
pub async fn revoke_refresh_token(
    db: &Db,
    jti: &str,
    user_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let revoked = sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE jti = $2 AND user_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(jti)
    .bind(user_id)
    .execute(db.writer())
    .await?;
    Ok(revoked.rows_affected() > 0)
}

/// Revokes every unrevoked refresh token of the user.
pub async fn revoke_all_refresh_tokens(
    db: &Db,
    user_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(db.writer())
    .await
    .map(|_| ())
}

pub async fn revoke_access_token(db: &Db, jti: &str, expires_at: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING",
    )
    .bind(jti)
    .bind(expires_at)
    .execute(db.writer())
    .await
    .map(|_| ())
}

pub async fn is_access_token_revoked(db: &Db, jti: &str) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT 1 AS one FROM revoked_tokens WHERE jti = $1")
        .bind(jti)
        .fetch_optional(db.reader())
        .await?;
    Ok(row.is_some())
}
