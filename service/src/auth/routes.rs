//! `/api/v1/auth/*`: register, login, refresh, logout, me.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{password, AuthUser};
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::state::AppState;
use crate::storage::users;
use crate::tokens::{Claims, TokenKind};
use crate::util::{new_id, now_ms};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/register", post(register))
        .route("/login", post(login))
        .route("/refresh", post(refresh))
        .route("/logout", post(logout))
        .route("/me", get(me))
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

fn check_username(name: &str) -> ApiResult<()> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'));
    if (3..=64).contains(&name.len()) && ok_chars {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "username must be 3 to 64 characters of letters, digits, '_', '-', '.', '@'",
        ))
    }
}

async fn register(
    State(app): State<AppState>,
    JsonBody(body): JsonBody<Credentials>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    check_username(&body.username)?;
    if body.password.chars().count() < 8 || body.password.len() > 1024 {
        return Err(ApiError::bad_request(
            "password must be at least 8 characters (at most 1024 bytes)",
        ));
    }
    let hash = password::hash(body.password)
        .await
        .map_err(|e| ApiError::internal("password hashing", e))?;
    let id = new_id();
    let created_at = now_ms();
    if !users::insert(&app.db, &id, &body.username, &hash, created_at).await? {
        return Err(ApiError::conflict(format!(
            "the username {:?} is taken",
            body.username
        )));
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "username": body.username, "created_at": created_at })),
    ))
}

/// The TCP peer, when the server records it (not in in-process tests).
pub struct PeerAddr(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

/// The client's address: the gateway's X-Real-IP / X-Forwarded-For, else the peer.
pub fn client_address(headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    header("x-real-ip")
        .or_else(|| header("x-forwarded-for"))
        .or_else(|| peer.map(|p| p.ip().to_string()))
        .unwrap_or_else(|| "unknown".into())
}

async fn login(
    State(app): State<AppState>,
    PeerAddr(peer): PeerAddr,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Credentials>,
) -> ApiResult<Json<Value>> {
    let address = client_address(&headers, peer);
    let window = app.config.login_window;
    let user_hits = app
        .cache
        .hit(
            &format!("ratelimit:login:user:{}", body.username.to_lowercase()),
            window,
        )
        .await;
    let address_hits = app
        .cache
        .hit(&format!("ratelimit:login:addr:{address}"), window)
        .await;
    if user_hits > app.config.login_limit_per_user
        || address_hits > app.config.login_limit_per_address
    {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "too many login attempts; wait {} seconds and try again",
                window.as_secs()
            ),
        ));
    }
    let invalid = || ApiError::unauthorized("wrong username or password");
    let Some(user) = users::credentials(&app.db, &body.username).await? else {
        return Err(invalid());
    };
    if !password::verify(body.password, user.password_hash).await {
        return Err(invalid());
    }
    Ok(Json(issue_pair(&app, &user.id).await?))
}

async fn issue_pair(app: &AppState, user_id: &str) -> ApiResult<Value> {
    let now = now_ms() / 1000;
    let access = Claims {
        sub: user_id.to_string(),
        kind: TokenKind::Access,
        jti: new_id(),
        exp: now + app.config.access_token_ttl.as_secs() as i64,
    };
    let refresh = Claims {
        sub: user_id.to_string(),
        kind: TokenKind::Refresh,
        jti: new_id(),
        exp: now + app.config.refresh_token_ttl.as_secs() as i64,
    };
    users::insert_refresh_token(&app.db, &refresh.jti, user_id, refresh.exp).await?;
    Ok(json!({
        "access_token": app.tokens.sign(&access),
        "refresh_token": app.tokens.sign(&refresh),
        "token_type": "Bearer",
        "expires_in": app.config.access_token_ttl.as_secs(),
        "refresh_expires_in": app.config.refresh_token_ttl.as_secs(),
    }))
}

#[derive(Deserialize)]
struct RefreshBody {
    refresh_token: String,
}

/// Trades a refresh token for a new pair; the old refresh token stops working.
async fn refresh(
    State(app): State<AppState>,
    JsonBody(body): JsonBody<RefreshBody>,
) -> ApiResult<Json<Value>> {
    let claims = app
        .tokens
        .verify(&body.refresh_token, TokenKind::Refresh)
        .map_err(|e| ApiError::unauthorized(e.to_string()))?;
    if !users::revoke_refresh_token(&app.db, &claims.jti, &claims.sub, now_ms()).await? {
        return Err(ApiError::unauthorized(
            "the refresh token has been revoked or used already; log in again",
        ));
    }
    Ok(Json(issue_pair(&app, &claims.sub).await?))
}

#[derive(Deserialize)]
struct LogoutBody {
    refresh_token: Option<String>,
}

/// Revokes the access token used and the given refresh token (all of the user's refresh
/// tokens when none is given).
async fn logout(
    State(app): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody<LogoutBody>,
) -> ApiResult<StatusCode> {
    revoke_access(&app, &user.jti, user.expires_at).await?;
    let now = now_ms();
    match body.refresh_token {
        Some(token) => {
            let claims = app
                .tokens
                .verify(&token, TokenKind::Refresh)
                .map_err(|e| ApiError::bad_request(format!("refresh_token: {e}")))?;
            users::revoke_refresh_token(&app.db, &claims.jti, &user.user_id, now).await?;
        }
        None => {
            users::revoke_all_refresh_tokens(&app.db, &user.user_id, now).await?;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn revoke_access(app: &AppState, jti: &str, expires_at: i64) -> ApiResult<()> {
    users::revoke_access_token(&app.db, jti, expires_at).await?;
    let ttl = (expires_at - now_ms() / 1000).max(1) as u64;
    app.cache
        .set(&format!("revoked:{jti}"), "1", Duration::from_secs(ttl))
        .await;
    Ok(())
}

/// Redis knows most revocations and answers fast; the database knows all of them (Redis
/// may have been down when one was made), so it decides when Redis does not say "revoked".
pub async fn is_revoked(app: &AppState, jti: &str) -> ApiResult<bool> {
    if app.cache.is_shared() && app.cache.exists(&format!("revoked:{jti}")).await == Some(true) {
        return Ok(true);
    }
    Ok(users::is_access_token_revoked(&app.db, jti).await?)
}

async fn me(State(app): State<AppState>, user: AuthUser) -> ApiResult<Json<Value>> {
    let found = users::by_id(&app.db, &user.user_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("the user of this token no longer exists"))?;
    Ok(Json(json!({
        "id": found.id,
        "username": found.username,
        "created_at": found.created_at,
    })))
}
