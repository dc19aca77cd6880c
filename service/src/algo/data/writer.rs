//! Writes a panel back as TradeMaster CSV, and reads one from JSON rows.

use std::fmt::Write as _;

use super::{LoadOptions, MarketData, FEATURE_NAMES};
use crate::algo::error::{AlgoError, Result};

impl MarketData {
    /// CSV text in TradeMaster's layout: an unnamed index column (the date's position), then
    /// `date, tic, open, high, low, close, adjcp` and the features; rows by date, then tic.
    /// Reading it back gives the same panel.
    pub fn to_csv_string(&self) -> String {
        let mut out = String::from(",date,tic,open,high,low,close,adjcp");
        for name in FEATURE_NAMES {
            out.push(',');
            out.push_str(name);
        }
        out.push('\n');
        for (t, date) in self.dates.iter().enumerate() {
            for (i, tic) in self.tics.iter().enumerate() {
                let _ = write!(
                    out,
                    "{t},{date},{},{},{},{},{},{}",
                    csv_text(tic),
                    self.open[[t, i]],
                    self.high[[t, i]],
                    self.low[[t, i]],
                    self.close[[t, i]],
                    self.adjcp[[t, i]]
                );
                for f in 0..FEATURE_NAMES.len() {
                    let _ = write!(out, ",{}", self.features[[t, i, f]]);
                }
                out.push('\n');
            }
        }
        out
    }

    /// Reads an array of row objects (`[{"date": .., "tic": .., "close": ..}, ..]`), as the
    /// upload route receives them. Values may be numbers or strings; `null` is an empty cell.
    /// Errors name "line N" as in the equivalent CSV: row `k` of the array is line `k + 2`.
    pub fn from_json_rows(
        rows: &serde_json::Value,
        source_name: &str,
        options: LoadOptions,
    ) -> Result<MarketData> {
        let not_rows = |what: String| AlgoError::Csv {
            source_name: source_name.to_string(),
            message: format!("expected an array of row objects, {what}"),
        };
        let array = rows
            .as_array()
            .ok_or_else(|| not_rows("got something else".into()))?;
        let mut columns: Vec<String> = Vec::new();
        for (k, row) in array.iter().enumerate() {
            let object = row
                .as_object()
                .ok_or_else(|| not_rows(format!("row {k} is not an object")))?;
            for key in object.keys() {
                if !columns.contains(key) {
                    columns.push(key.clone());
                }
            }
        }
        let mut writer = csv::Writer::from_writer(Vec::new());
        let csv_error = |e: csv::Error| AlgoError::Csv {
            source_name: source_name.to_string(),
            message: e.to_string(),
        };
        writer.write_record(&columns).map_err(csv_error)?;
        for row in array {
            let record = columns.iter().map(|c| match row.get(c) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            });
            writer.write_record(record).map_err(csv_error)?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| not_rows(format!("could not be buffered: {e}")))?;
        Self::from_csv_reader(bytes.as_slice(), source_name, options)
    }
}

/// Quotes a field that would otherwise break the CSV.
fn csv_text(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
