//! Users, passwords, tokens, and the extractor that authenticates web API requests.

pub mod password;
pub mod routes;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::state::AppState;
use crate::tokens::TokenKind;

/// The user a request acts for, from a valid, unrevoked access token.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: String,
    pub jti: String,
    pub expires_at: i64,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                ApiError::unauthorized("missing Authorization: Bearer <access token>")
            })?;
        let token = header.strip_prefix("Bearer ").ok_or_else(|| {
            ApiError::unauthorized("the Authorization header must be \"Bearer <access token>\"")
        })?;
        let claims = app
            .tokens
            .verify(token.trim(), TokenKind::Access)
            .map_err(|e| ApiError::unauthorized(e.to_string()))?;
        if routes::is_revoked(app, &claims.jti).await? {
            return Err(ApiError::unauthorized(
                "the token has been revoked; log in again",
            ));
        }
        Ok(AuthUser {
            user_id: claims.sub,
            jti: claims.jti,
            expires_at: claims.exp,
        })
    }
}
