//! The web API under `/api/v1`: JSON in and out, bearer tokens, one owner per object.

pub mod analysis;
pub mod datasets;
pub mod jobs;
pub mod strategies;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::Router;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

pub fn router(app: &AppState) -> Router<AppState> {
    Router::new()
        .nest("/auth", crate::auth::routes::router())
        .nest("/datasets", datasets::router(app))
        .nest("/strategies", strategies::router())
        .nest("/jobs", jobs::router().merge(analysis::router()))
        .route("/catalog", axum::routing::get(catalog))
}

/// Every task's agents with their hyperparameters and defaults, the optimizers and losses
/// (public: it describes the service, not a user's data).
async fn catalog() -> axum::Json<crate::algo::Catalog> {
    axum::Json(crate::algo::catalog())
}

/// A JSON body, parsed whatever the Content-Type; an empty body counts as `{}`.
/// Errors are 400 with serde's message (which names the missing or wrong field).
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::new(e.status(), "bad_request", e.body_text()))?;
        let text: &[u8] = if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(text)
            .map(JsonBody)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
    }
}
