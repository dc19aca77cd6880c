//! What jobs read besides their input: uploaded datasets and earlier jobs' results.

use serde::de::DeserializeOwned;

use super::ExecError;
use crate::algo::{LoadOptions, MarketData};
use crate::datasets::store;
use crate::db::Db;
use crate::jobs::queue;

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

/// The `extra` output of a succeeded job, read into the type its kind stores.
pub async fn job_extra<T: DeserializeOwned>(
    db: &Db,
    job_id: &str,
    what: &str,
) -> Result<T, ExecError> {
    let Some((_, _, extra, _)) = queue::result(db, job_id).await? else {
        return Err(ExecError::Input(format!(
            "the {what} job {job_id} has no stored result"
        )));
    };
    serde_json::from_value(extra).map_err(|e| {
        ExecError::Input(format!(
            "the stored result of the {what} job {job_id} does not fit: {e}"
        ))
    })
}
