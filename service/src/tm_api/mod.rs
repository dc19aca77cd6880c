//! `/api/TradeMaster/*`: the routes of the original Flask service, with its field names and
//! its convention of HTTP 200 with `error_code` 1 and a human `info` for failures.

mod dynamics;
mod files;
mod params;
pub mod session;
mod training;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::state::AppState;

pub fn router(app: &AppState) -> Router<AppState> {
    let body_limit = usize::try_from(app.config.max_upload_bytes).unwrap_or(usize::MAX);
    Router::new()
        .route("/getParameters", get(params::get_parameters))
        .route(
            "/evaluation_getParameters",
            post(params::evaluation_parameters).get(params::evaluation_parameters),
        )
        .route("/healthcheck", get(params::healthcheck))
        .route("/train", post(training::train))
        .route("/train_status", post(training::train_status))
        .route("/test", post(training::test))
        .route("/test_status", post(training::test_status))
        .route(
            "/start_market_dynamics_labeling",
            post(dynamics::start_labeling),
        )
        .route("/MDM_status", post(dynamics::labeling_status))
        .route(
            "/save_market_dynamics_labeling",
            post(dynamics::save_labeling),
        )
        .route("/run_dynamics_test", post(dynamics::run_dynamics_test))
        .route(
            "/dynamics_testing_status",
            post(dynamics::dynamics_testing_status),
        )
        .route("/upload_csv", post(files::upload_csv))
        .route("/download_csv", post(files::download_csv))
        .layer(DefaultBodyLimit::max(body_limit))
}

/// A compat-route failure: answered as HTTP 200 `{"error_code": 1, "info": ...}`.
#[derive(Debug)]
pub struct TmError(pub String);

impl<E: std::fmt::Display> From<E> for TmError {
    fn from(error: E) -> Self {
        tracing::error!(%error, "TradeMaster route failed");
        TmError(format!("internal error: {error}"))
    }
}

impl IntoResponse for TmError {
    fn into_response(self) -> Response {
        Json(json!({ "error_code": 1, "info": self.0 })).into_response()
    }
}

fn fail<T>(info: impl Into<String>) -> Result<T, TmError> {
    Err(TmError(info.into()))
}

pub type TmResult = Result<Json<Value>, TmError>;

/// A success answer: `error_code` 0 plus the given fields.
fn success(fields: Value) -> TmResult {
    let mut map = Map::new();
    map.insert("error_code".into(), json!(0));
    if let Value::Object(fields) = fields {
        map.extend(fields);
    }
    Ok(Json(Value::Object(map)))
}

/// The JSON request body, whatever the Content-Type; an empty body is `{}`.
pub struct TmBody(pub Map<String, Value>);

impl FromRequest<AppState> for TmBody {
    type Rejection = TmError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, TmError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| TmError(format!("cannot read the request body: {}", e.body_text())))?;
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(TmBody(Map::new()));
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(TmBody(map)),
            Ok(_) => fail("the request body must be a JSON object"),
            Err(e) => fail(format!("the request body is not valid JSON: {e}")),
        }
    }
}

impl TmBody {
    /// A required text field; numbers are accepted and turned into text.
    fn text(&self, field: &str) -> Result<String, TmError> {
        match self.0.get(field) {
            None | Some(Value::Null) => fail(format!("missing required field {field}")),
            Some(value) => value_text(value)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| TmError(format!("field {field} must be a non-empty string"))),
        }
    }

    fn optional_text(&self, field: &str) -> Option<String> {
        self.0
            .get(field)
            .and_then(value_text)
            .filter(|v| !v.trim().is_empty())
    }

    /// A required number that may arrive as a string.
    fn number(&self, field: &str) -> Result<f64, TmError> {
        let text = self.text(field)?;
        text.trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| TmError(format!("field {field} must be a number, got {text:?}")))
    }
}

fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}
