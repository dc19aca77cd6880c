//! `/api/v1/jobs/{id}/...`: results of a finished job: metrics, equity curve, plots.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

use super::jobs::owned;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::jobs::queue;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{id}/result", get(result))
        .route("/{id}/metrics", get(metrics))
        .route("/{id}/equity", get(equity))
        .route("/{id}/plots/{name}", get(plot))
}

async fn load(
    app: &AppState,
    user: &AuthUser,
    id: &str,
) -> ApiResult<(Value, Value, Value, Vec<String>)> {
    let job = owned(app, user, id).await?;
    if job.state != "succeeded" {
        return Err(ApiError::conflict(format!(
            "job {id} has no results: it is {}{}",
            job.state,
            job.error.map(|e| format!(" ({e})")).unwrap_or_default()
        )));
    }
    queue::result(&app.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("result of job", id))
}

async fn result(
    State(app): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let (metrics, equity_curve, _, plots) = load(&app, &user, &id).await?;
    Ok(Json(
        json!({ "id": id, "metrics": metrics, "equity_curve": equity_curve, "plots": plots }),
    ))
}

async fn metrics(
    State(app): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let (metrics, _, _, _) = load(&app, &user, &id).await?;
    Ok(Json(json!({ "id": id, "metrics": metrics })))
}

async fn equity(
    State(app): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let (_, equity_curve, _, _) = load(&app, &user, &id).await?;
    Ok(Json(json!({ "id": id, "equity_curve": equity_curve })))
}

#[derive(Deserialize)]
struct PlotQuery {
    /// `base64` for a JSON answer with the PNG as base64; the PNG itself otherwise.
    format: Option<String>,
}

async fn plot(
    State(app): State<AppState>,
    user: AuthUser,
    Path((id, name)): Path<(String, String)>,
    Query(query): Query<PlotQuery>,
) -> ApiResult<Response> {
    load(&app, &user, &id).await?;
    let png = queue::plot(&app.db, &id, &name)
        .await?
        .ok_or_else(|| ApiError::not_found("plot", &name))?;
    if query.format.as_deref() == Some("base64") {
        return Ok(
            Json(json!({ "id": id, "name": name, "png_base64": BASE64.encode(png) }))
                .into_response(),
        );
    }
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}
