//! `/api/v1/jobs`: training and testing jobs of a strategy: create, start, cancel, status,
//! progress, logs.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::jobs::input::{TestInput, TrainInput};
use crate::jobs::queue::{self, CancelOutcome, JobStatus};
use crate::jobs::{self, JobInput, JobKind, JobOwner};
use crate::state::AppState;
use crate::storage::strategies;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(list).post(create))
        .route("/{id}", get(show))
        .route("/{id}/start", post(start))
        .route("/{id}/cancel", post(cancel))
        .route("/{id}/progress", get(progress))
        .route("/{id}/logs", get(logs))
}

#[derive(Deserialize)]
struct NewJobBody {
    strategy_id: String,
    #[serde(default = "default_kind")]
    kind: String,
    /// Queue at once instead of waiting for POST /jobs/{id}/start.
    #[serde(default)]
    start: bool,
}

fn default_kind() -> String {
    "train".into()
}

/// The user's job, or 404.
pub async fn owned(app: &AppState, user: &AuthUser, id: &str) -> ApiResult<JobStatus> {
    queue::status_owned(&app.db, &user.user_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("job", id))
}

async fn create(
    State(app): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody<NewJobBody>,
) -> ApiResult<(StatusCode, Json<JobStatus>)> {
    let kind = match JobKind::parse(&body.kind) {
        Some(kind @ (JobKind::Train | JobKind::Test)) => kind,
        _ => {
            return Err(ApiError::bad_request(format!(
                "kind {:?} is not a strategy job; use \"train\" or \"test\"",
                body.kind
            )))
        }
    };
    let strategy = strategies::get(&app.db, &user.user_id, &body.strategy_id)
        .await?
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "strategy_id {:?} is not one of your strategies",
                body.strategy_id
            ))
        })?;
    let owner = JobOwner::Strategy {
        user_id: user.user_id.clone(),
        strategy_id: strategy.id.clone(),
    };
    let input = match kind {
        JobKind::Train => JobInput::Train(TrainInput::Strategy { strategy }),
        _ => JobInput::Test(TestInput::Strategy { strategy }),
    };
    let id = jobs::submit(&app, input, owner, body.start).await?;
    let status = owned(&app, &user, &id).await?;
    Ok((StatusCode::CREATED, Json(status)))
}

async fn list(State(app): State<AppState>, user: AuthUser) -> ApiResult<Json<Value>> {
    let jobs = queue::list_owned(&app.db, &user.user_id).await?;
    Ok(Json(json!({ "jobs": jobs })))
}

async fn show(
    State(app): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<JobStatus>> {
    owned(&app, &user, &id).await?;
    let status = crate::jobs::cached_status(&app, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("job", &id))?;
    Ok(Json(status))
}

async fn start(
    State(app): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<JobStatus>> {
    let job = owned(&app, &user, &id).await?;
    if !queue::enqueue(&app.db, &id).await? {
        return Err(ApiError::conflict(format!(
            "job {id} is {}; only created, failed or cancelled jobs can be started",
            job.state
        )));
    }
    crate::jobs::forget_cached_status(&app, &id).await;
    app.job_queued.notify_one();
    Ok(Json(owned(&app, &user, &id).await?))
}

async fn cancel(
    State(app): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    owned(&app, &user, &id).await?;
    let outcome = queue::cancel(&app.db, &id).await?;
    crate::jobs::forget_cached_status(&app, &id).await;
    match outcome {
        CancelOutcome::Cancelled => Ok(Json(json!({ "id": id, "state": "cancelled" }))),
        CancelOutcome::Requested => Ok(Json(
            json!({ "id": id, "state": "running", "cancel_requested": true }),
        )),
        CancelOutcome::AlreadyFinished => {
            Err(ApiError::conflict(format!("job {id} has already finished")))
        }
        CancelOutcome::NotFound => Err(ApiError::not_found("job", &id)),
    }
}

async fn progress(
    State(app): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    owned(&app, &user, &id).await?;
    let status = crate::jobs::cached_status(&app, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("job", &id))?;
    Ok(Json(
        json!({ "id": id, "state": status.state, "progress": status.progress }),
    ))
}

#[derive(Deserialize)]
struct LogQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

async fn logs(
    State(app): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    Query(query): Query<LogQuery>,
) -> ApiResult<Json<Value>> {
    owned(&app, &user, &id).await?;
    let lines = queue::logs(
        &app.db,
        &id,
        query.after.unwrap_or(0),
        query.limit.unwrap_or(1000).clamp(1, 10_000),
    )
    .await?;
    let lines: Vec<Value> = lines
        .into_iter()
        .map(|(n, at, line)| json!({ "n": n, "at": at, "line": line }))
        .collect();
    Ok(Json(json!({ "id": id, "lines": lines })))
}
