//! Job inputs: payload fields, uploaded datasets and earlier jobs' results.

use serde_json::Value;

use super::ExecError;
use crate::algo::{LoadOptions, MarketData};
use crate::datasets::store;
use crate::db::Db;
use crate::jobs::queue;

/// A required text field of the payload.
pub fn text(payload: &Value, field: &str) -> Result<String, ExecError> {
    optional_text(payload, field)
        .ok_or_else(|| ExecError::Input(format!("missing text field {field}")))
}

pub fn optional_text(payload: &Value, field: &str) -> Option<String> {
    payload
        .get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// A required number field of the payload.
pub fn number(payload: &Value, field: &str) -> Result<f64, ExecError> {
    payload
        .get(field)
        .and_then(Value::as_f64)
        .filter(|n| n.is_finite())
        .ok_or_else(|| ExecError::Input(format!("missing number field {field}")))
}

/// A required whole-number field (it may arrive as 3.0).
pub fn whole(payload: &Value, field: &str) -> Result<i64, ExecError> {
    let value = number(payload, field)?;
    if value.fract() != 0.0 || value.abs() > 1e12 {
        return Err(ExecError::Input(format!(
            "{field} must be a whole number, got {value}"
        )));
    }
    Ok(value as i64)
}

/// A whole number that must not be negative.
pub fn count(payload: &Value, field: &str) -> Result<usize, ExecError> {
    let value = whole(payload, field)?;
    usize::try_from(value)
        .map_err(|_| ExecError::Input(format!("{field} must not be negative, got {value}")))
}

/// The text of an uploaded dataset.
pub async fn dataset_text(db: &Db, dataset_id: &str) -> Result<String, ExecError> {
    let bytes = store::read_all(db, dataset_id).await?;
    if bytes.is_empty() {
        return Err(ExecError::Input(format!(
            "dataset {dataset_id} is empty or no longer exists"
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| ExecError::Input(format!("dataset {dataset_id} is not UTF-8 text")))
}

/// Parses a dataset and keeps the dates from `start` to `end` (inclusive, either optional).
pub fn market_data(
    text: &str,
    source_name: &str,
    start: Option<&str>,
    end: Option<&str>,
) -> Result<MarketData, ExecError> {
    let data = MarketData::from_csv_str(text, source_name, LoadOptions::default())?;
    if start.is_none() && end.is_none() {
        return Ok(data);
    }
    Ok(data.between(start, end)?)
}

/// The `extra` output of a succeeded job.
pub async fn job_extra(db: &Db, job_id: &str, what: &str) -> Result<Value, ExecError> {
    match queue::result(db, job_id).await? {
        Some((_, _, extra, _)) => Ok(extra),
        None => Err(ExecError::Input(format!(
            "the {what} job {job_id} has no stored result"
        ))),
    }
}
