//! `/api/v1/datasets`: multipart CSV upload (streamed), list, get, download, delete.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::Stream;
use serde_json::{json, Value};

use crate::auth::AuthUser;
use crate::datasets::{check_file_name, stem, store, IngestError, Owner};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router(_app: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(list).post(upload))
        .route("/{id}", get(show).delete(remove))
        .route("/{id}/download", get(download))
        // The upload counts its bytes itself and answers 413 past the configured limit.
        .layer(DefaultBodyLimit::disable())
}

/// Multipart form: an optional `name` field, then the `file` field with the CSV.
async fn upload(
    State(app): State<AppState>,
    user: AuthUser,
    request: Request,
) -> ApiResult<(StatusCode, Json<store::DatasetInfo>)> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        ApiError::bad_request("send the file as multipart/form-data (a boundary is required)")
    })?;
    let body = OneChunkPerPoll {
        inner: request.into_body().into_data_stream(),
        rest: false,
    };
    let mut form = multer::Multipart::new(body, boundary);
    let mut name: Option<String> = None;
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("name") => {
                let text = field.text().await.map_err(multipart_error)?;
                let text = text.trim().to_string();
                if text.is_empty() || text.len() > 200 || text.chars().any(char::is_control) {
                    return Err(ApiError::bad_request(
                        "name must be 1 to 200 printable characters",
                    ));
                }
                name = Some(text);
            }
            Some("file") => {
                let file_name = field
                    .file_name()
                    .ok_or_else(|| ApiError::bad_request("the file field has no file name"))?
                    .to_string();
                check_file_name(&file_name).map_err(ApiError::bad_request)?;
                let name = name.unwrap_or_else(|| stem(&file_name).to_string());
                let owner = Owner::User(user.user_id.clone());
                let info = store::ingest(
                    &app.db,
                    &owner,
                    &name,
                    &file_name,
                    field,
                    app.config.max_upload_bytes,
                )
                .await
                .map_err(ingest_error)?;
                tracing::info!(dataset = %info.id, rows = info.row_count, bytes = info.size_bytes, "dataset stored");
                return Ok((StatusCode::CREATED, Json(info)));
            }
            _ => {}
        }
    }
    Err(ApiError::bad_request(
        "the form has no \"file\" field; send multipart/form-data with file=@data.csv",
    ))
}

fn multipart_error(error: multer::Error) -> ApiError {
    ApiError::bad_request(format!("invalid multipart form: {error}"))
}

/// Hands the multipart parser one chunk per poll. The parser reads everything a stream has
/// ready, which from a fast client is the whole file; this keeps memory to a chunk or two.
struct OneChunkPerPoll<S> {
    inner: S,
    rest: bool,
}

impl<S: Stream<Item = Result<Bytes, E>> + Unpin, E> Stream for OneChunkPerPoll<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.get_mut();
        if this.rest {
            this.rest = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let next = Pin::new(&mut this.inner).poll_next(cx);
        this.rest = matches!(next, Poll::Ready(Some(_)));
        next
    }
}

pub fn ingest_error(error: IngestError) -> ApiError {
    match error {
        IngestError::Invalid(csv) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_csv",
            format!("the CSV file is not valid: {csv}"),
        ),
        IngestError::TooLarge { .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            error.to_string(),
        ),
        IngestError::Transfer(_) => ApiError::bad_request(error.to_string()),
        IngestError::Db(e) => ApiError::internal("storing the dataset", e),
    }
}

async fn list(State(app): State<AppState>, user: AuthUser) -> ApiResult<Json<Value>> {
    let datasets = store::list_owned(&app.db, &user.user_id).await?;
    Ok(Json(json!({ "datasets": datasets })))
}

async fn show(
    State(app): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<store::DatasetInfo>> {
    store::get_owned(&app.db, &user.user_id, &id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("dataset", &id))
}

async fn download(
    State(app): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let info = store::get_owned(&app.db, &user.user_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("dataset", &id))?;
    let body = Body::from_stream(store::content_stream(app.db.clone(), info.id.clone()));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_LENGTH, info.size_bytes.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", info.file_name),
            ),
        ],
        body,
    )
        .into_response())
}

async fn remove(
    State(app): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if store::get_owned(&app.db, &user.user_id, &id)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("dataset", &id));
    }
    let used: Option<String> =
        crate::storage::strategies::strategy_using_dataset(&app.db, &id).await?;
    if let Some(strategy) = used {
        return Err(ApiError::conflict(format!(
            "dataset {id} is used by strategy {strategy}; delete or change the strategy first"
        )));
    }
    store::delete_owned(&app.db, &user.user_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
