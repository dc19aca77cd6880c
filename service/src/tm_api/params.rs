//! getParameters, evaluation_getParameters, healthcheck.

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::{session, success, TmBody, TmError, TmResult};
use crate::datasets::{stem, store};
use crate::jobs::exec;
use crate::state::AppState;

const PARAMETERS_KEY: &str = "tm:getParameters";
const PARAMETERS_TTL: Duration = Duration::from_secs(60);
/// How long a replica answers getParameters from its own copy before asking Redis again.
const PARAMETERS_NEAR_TTL: Duration = Duration::from_secs(2);

/// What can be trained here, from the algorithm catalog of this build. The answer's JSON
/// text is cached and sent as it is.
pub async fn get_parameters(State(app): State<AppState>) -> Result<Response, TmError> {
    if let Some(text) = app
        .cache
        .get_near(PARAMETERS_KEY, PARAMETERS_NEAR_TTL)
        .await
    {
        if text.starts_with('{') {
            return Ok(json_text(text));
        }
    }
    let catalog = exec::catalog();
    let mut start_date = Map::new();
    let mut end_date = Map::new();
    for dataset in &catalog.datasets {
        start_date.insert(dataset.name.clone(), json!(dataset.start_date));
        end_date.insert(dataset.name.clone(), json!(dataset.end_date));
    }
    let mut info = "request success".to_string();
    if catalog.agents.is_empty() {
        info = format!("request success; {}", exec::UNAVAILABLE);
    }
    let Json(answer) = success(json!({
        "info": info,
        "task_name": catalog.tasks,
        "dataset_name": catalog.datasets.iter().map(|d| d.name.clone()).collect::<Vec<_>>(),
        "optimizer_name": catalog.optimizers,
        "loss_name": catalog.losses,
        "agent_name": catalog.agents,
        "start_date": start_date,
        "end_date": end_date,
    }))?;
    let text = answer.to_string();
    app.cache.set(PARAMETERS_KEY, &text, PARAMETERS_TTL).await;
    Ok(json_text(text))
}

fn json_text(text: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], text).into_response()
}

/// Labeling defaults per dataset: the built-in ones and `custom:<name>` for the CSV files
/// uploaded in the given session. Each parameter maps dataset name → default.
pub async fn evaluation_parameters(State(app): State<AppState>, body: TmBody) -> TmResult {
    let mut names: Vec<String> = exec::catalog()
        .datasets
        .into_iter()
        .map(|d| d.name)
        .collect();
    if let Some(session_id) = body.optional_text("session_id") {
        session::params(&app.db, &session_id).await?;
        if let Some(dataset) = store::latest_of_session(&app.db, &session_id).await? {
            names.push(format!("custom:{}", stem(&dataset.file_name)));
        }
    }
    let defaults = [
        ("number_of_market_style", json!(3)),
        ("min_length_limit", json!(24)),
        ("filter_strength", json!(1)),
        ("max_length_expectation", json!(144)),
        ("key_indicator", json!("adjcp")),
        ("timestamp", json!("date")),
        ("tic", json!("tic")),
        ("labeling_method", json!("slope")),
        ("merging_metric", json!("DTW_distance")),
        ("merging_threshold", json!(0.03)),
        ("merging_dynamic_constraint", json!(1)),
        ("test_dynamic_number", json!(0)),
    ];
    let mut fields = Map::new();
    fields.insert("info".into(), json!("request success"));
    fields.insert("dataset_name".into(), json!(names));
    for (key, value) in defaults {
        let per_dataset: Map<String, Value> =
            names.iter().map(|n| (n.clone(), value.clone())).collect();
        fields.insert(key.into(), Value::Object(per_dataset));
    }
    success(Value::Object(fields))
}

pub async fn healthcheck() -> Json<Value> {
    let start = Instant::now();
    Json(json!({
        "data": {},
        "error_code": 0,
        "info": "health check",
        "time_consuming": start.elapsed().as_secs_f64() * 1000.0,
    }))
}
