//! upload_csv (rows as JSON, stored as CSV) and download_csv.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::{fail, session, success, TmBody, TmError, TmResult};
use crate::datasets::{check_file_name, stem, store, IngestError, Owner};
use crate::state::AppState;

pub async fn upload_csv(State(app): State<AppState>, body: TmBody) -> Result<Response, TmError> {
    let file_name = body.text("file_name")?;
    if !file_name.to_ascii_lowercase().ends_with(".csv") {
        return Ok((
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "Only support csv file" })),
        )
            .into_response());
    }
    check_file_name(&file_name).map_err(TmError)?;
    let rows = match body.0.get("file") {
        None | Some(Value::Null) => return fail("missing required field file"),
        Some(Value::String(text)) => serde_json::from_str::<Value>(text)
            .map_err(|e| TmError(format!("field file is not valid JSON: {e}")))?,
        Some(value) => value.clone(),
    };
    let csv = rows_to_csv(&rows).map_err(TmError)?;
    let given_session = body.optional_text("session_id");
    let new_session = given_session.is_none();
    let session_id = session::existing_or_new(&app.db, given_session).await?;
    let chunks = futures_util::stream::iter(
        csv.into_bytes()
            .chunks(store::CHUNK_BYTES)
            .map(|c| Ok::<_, std::convert::Infallible>(axum::body::Bytes::copy_from_slice(c)))
            .collect::<Vec<_>>(),
    );
    let stored = store::ingest(
        &app.db,
        &Owner::Session(session_id.clone()),
        stem(&file_name),
        &file_name,
        chunks,
        app.config.max_upload_bytes,
    )
    .await;
    if stored.is_err() && new_session {
        session::delete(&app.db, &session_id).await?;
    }
    match stored {
        Ok(_) => Ok(success(json!({
            "info": "request success, upload finished",
            "session_id": session_id,
            "upload_finished": true,
        }))?
        .into_response()),
        Err(IngestError::Db(e)) => Err(e.into()),
        Err(e) => fail(format!("{file_name}: {e}")),
    }
}

pub async fn download_csv(State(app): State<AppState>, body: TmBody) -> TmResult {
    let session_id = body.text("session_id")?;
    session::params(&app.db, &session_id).await?;
    let Some(dataset) = store::latest_of_session(&app.db, &session_id).await? else {
        return fail(format!(
            "session {session_id} has no CSV data; call upload_csv first"
        ));
    };
    let bytes = store::read_all(&app.db, &dataset.id).await?;
    let data =
        String::from_utf8(bytes).map_err(|_| TmError("the stored CSV is not UTF-8".into()))?;
    success(json!({
        "info": "request success, download csv",
        "data": data,
        "filename": stem(&dataset.file_name),
        "session_id": session_id,
    }))
}

/// CSV text from a JSON array of row objects; the columns are the keys of the first row,
/// in order, then any new keys of later rows.
pub fn rows_to_csv(rows: &Value) -> Result<String, String> {
    let Value::Array(rows) = rows else {
        return Err("field file must hold a JSON array of row objects".into());
    };
    let mut columns: Vec<String> = Vec::new();
    let mut objects: Vec<&Map<String, Value>> = Vec::with_capacity(rows.len());
    for (n, row) in rows.iter().enumerate() {
        let Value::Object(object) = row else {
            return Err(format!("row {} of field file is not a JSON object", n + 1));
        };
        for key in object.keys() {
            if !columns.contains(key) {
                columns.push(key.clone());
            }
        }
        objects.push(object);
    }
    let mut out = String::new();
    push_record(&mut out, columns.iter().map(String::as_str));
    for object in objects {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match object.get(c) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(text)) => text.clone(),
                Some(other) => other.to_string(),
            })
            .collect();
        push_record(&mut out, cells.iter().map(String::as_str));
    }
    Ok(out)
}

fn push_record<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if cell.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(cell);
        }
    }
    out.push('\n');
}
