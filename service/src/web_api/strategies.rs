//! `/api/v1/strategies`: create, list, get, update, delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::AuthUser;
use crate::datasets::store;
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::state::AppState;
use crate::storage::strategies::{self, Strategy};
use crate::util::{new_id, now_ms};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(list).post(create))
        .route("/{id}", get(show).put(change).patch(change).delete(remove))
}

#[derive(Deserialize)]
struct NewStrategy {
    name: String,
    task: String,
    agent: String,
    dataset_id: String,
    #[serde(default)]
    hyperparameters: Option<Value>,
}

#[derive(Deserialize)]
struct StrategyChange {
    name: Option<String>,
    task: Option<String>,
    agent: Option<String>,
    dataset_id: Option<String>,
    hyperparameters: Option<Value>,
}

fn check_text(field: &str, value: &str) -> ApiResult<()> {
    if value.trim().is_empty() || value.len() > 200 || value.chars().any(char::is_control) {
        return Err(ApiError::bad_request(format!(
            "{field} must be 1 to 200 printable characters"
        )));
    }
    Ok(())
}

async fn check(app: &AppState, user: &AuthUser, strategy: &Strategy) -> ApiResult<()> {
    check_text("name", &strategy.name)?;
    check_text("task", &strategy.task)?;
    check_text("agent", &strategy.agent)?;
    if !strategy.hyperparameters.is_object() {
        return Err(ApiError::bad_request(
            "hyperparameters must be a JSON object, e.g. {\"epochs\": 10}",
        ));
    }
    if store::get_owned(&app.db, &user.user_id, &strategy.dataset_id)
        .await?
        .is_none()
    {
        return Err(ApiError::bad_request(format!(
            "dataset_id {:?} is not one of your datasets",
            strategy.dataset_id
        )));
    }
    Ok(())
}

async fn create(
    State(app): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody<NewStrategy>,
) -> ApiResult<(StatusCode, Json<Strategy>)> {
    let now = now_ms();
    let strategy = Strategy {
        id: new_id(),
        name: body.name,
        task: body.task,
        agent: body.agent,
        dataset_id: body.dataset_id,
        hyperparameters: body.hyperparameters.unwrap_or_else(|| json!({})),
        created_at: now,
        updated_at: now,
    };
    check(&app, &user, &strategy).await?;
    strategies::insert(&app.db, &user.user_id, &strategy).await?;
    Ok((StatusCode::CREATED, Json(strategy)))
}

async fn list(State(app): State<AppState>, user: AuthUser) -> ApiResult<Json<Value>> {
    let all = strategies::list(&app.db, &user.user_id).await?;
    Ok(Json(json!({ "strategies": all })))
}

async fn show(
    State(app): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Strategy>> {
    strategies::get(&app.db, &user.user_id, &id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("strategy", &id))
}

async fn change(
    State(app): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<StrategyChange>,
) -> ApiResult<Json<Strategy>> {
    let mut strategy = strategies::get(&app.db, &user.user_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("strategy", &id))?;
    if let Some(name) = body.name {
        strategy.name = name;
    }
    if let Some(task) = body.task {
        strategy.task = task;
    }
    if let Some(agent) = body.agent {
        strategy.agent = agent;
    }
    if let Some(dataset_id) = body.dataset_id {
        strategy.dataset_id = dataset_id;
    }
    if let Some(hyperparameters) = body.hyperparameters {
        strategy.hyperparameters = hyperparameters;
    }
    strategy.updated_at = now_ms();
    check(&app, &user, &strategy).await?;
    strategies::update(&app.db, &user.user_id, &strategy).await?;
    Ok(Json(strategy))
}

async fn remove(
    State(app): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if crate::jobs::queue::has_active_jobs_of_strategy(&app.db, &id).await? {
        return Err(ApiError::conflict(format!(
            "strategy {id} has queued or running jobs; cancel them first"
        )));
    }
    if strategies::delete(&app.db, &user.user_id, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("strategy", &id))
    }
}
