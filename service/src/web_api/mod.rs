//! The web API under `/api/v1`: JSON in and out, bearer tokens, one owner per object.

pub mod analysis;
pub mod datasets;
pub mod jobs;
pub mod strategies;

use axum::Router;

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
