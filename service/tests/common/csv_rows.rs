//! Shared by the service tests and the root crate's replica test (included by path there).

use serde_json::{json, Map, Value};

/// The CSV as the upload_csv route's JSON rows (the shared files hold no quoted commas).
pub fn rows_of(csv: &str) -> Vec<Value> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    lines
        .map(|line| {
            let row: Map<String, Value> = header
                .iter()
                .zip(line.split(','))
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect();
            Value::Object(row)
        })
        .collect()
}
