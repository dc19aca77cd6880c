//! Streaming validation of market-data CSV files, fed chunk by chunk so that files of any
//! size are checked without holding them in memory.
//!
//! Rules: a header with the required columns `date, tic, open, high, low, close` (no
//! duplicates); every row has as many fields as the header; `date` is `YYYY-MM-DD`
//! optionally followed by a time, and never goes back (rows ordered by date, several tics
//! per date allowed); `tic` is not empty; prices (`open, high, low, close, adjcp`) are
//! finite numbers; every other column but the unnamed index column is a number or empty.

use std::collections::BTreeSet;

use csv_core::{ReadRecordResult, Reader};

pub const REQUIRED_COLUMNS: &[&str] = &["date", "tic", "open", "high", "low", "close"];
const PRICE_COLUMNS: &[&str] = &["open", "high", "low", "close", "adjcp"];
const MAX_TICS_KEPT: usize = 10_000;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CsvError {
    #[error("the file is empty")]
    Empty,
    #[error("the file has a header but no data rows")]
    NoRows,
    #[error("the header lacks the required column(s) {missing}; it has: {found}")]
    MissingColumns { missing: String, found: String },
    #[error("the header names the column {0:?} twice")]
    DuplicateColumn(String),
    #[error("row {row} (line {line}): {problem}")]
    Row {
        row: u64,
        line: u64,
        problem: String,
    },
    #[error("the file is not UTF-8 text (line {line})")]
    NotUtf8 { line: u64 },
}

/// What a valid file holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CsvSummary {
    pub columns: Vec<String>,
    pub rows: u64,
    pub tics: Vec<String>,
    pub first_date: Option<String>,
    pub last_date: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ColumnRule {
    Date,
    Tic,
    Price,
    Number,
    Free,
}

pub struct CsvValidator {
    reader: Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    out_len: usize,
    ends_len: usize,
    started: bool,
    header: Option<Vec<String>>,
    rules: Vec<ColumnRule>,
    rows: u64,
    /// Line on which the record being checked starts.
    record_line: u64,
    last_date: Option<String>,
    first_date: Option<String>,
    tics: BTreeSet<String>,
}

impl Default for CsvValidator {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvValidator {
    pub fn new() -> Self {
        CsvValidator {
            reader: Reader::new(),
            out: vec![0; 4096],
            ends: vec![0; 64],
            out_len: 0,
            ends_len: 0,
            started: false,
            header: None,
            rules: Vec::new(),
            rows: 0,
            record_line: 1,
            last_date: None,
            first_date: None,
            tics: BTreeSet::new(),
        }
    }

    /// Checks the next piece of the file.
    pub fn feed(&mut self, mut input: &[u8]) -> Result<(), CsvError> {
        if !self.started && !input.is_empty() {
            self.started = true;
            input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
        }
        self.parse(input, false)
    }

    /// Checks the end of the file and sums it up.
    pub fn finish(mut self) -> Result<CsvSummary, CsvError> {
        self.parse(&[], true)?;
        let Some(columns) = self.header else {
            return Err(CsvError::Empty);
        };
        if self.rows == 0 {
            return Err(CsvError::NoRows);
        }
        Ok(CsvSummary {
            columns,
            rows: self.rows,
            tics: self.tics.into_iter().collect(),
            first_date: self.first_date,
            last_date: self.last_date,
        })
    }

    fn parse(&mut self, mut input: &[u8], at_end: bool) -> Result<(), CsvError> {
        loop {
            let (result, read, written, ended) = self.reader.read_record(
                input,
                &mut self.out[self.out_len..],
                &mut self.ends[self.ends_len..],
            );
            input = &input[read..];
            self.out_len += written;
            self.ends_len += ended;
            match result {
                ReadRecordResult::InputEmpty => {
                    if !at_end {
                        return Ok(());
                    }
                }
                ReadRecordResult::OutputFull => {
                    let size = self.out.len() * 2;
                    self.out.resize(size, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let size = self.ends.len() * 2;
                    self.ends.resize(size, 0);
                }
                ReadRecordResult::Record => {
                    let record = self.take_record()?;
                    self.check_record(record)?;
                    self.record_line = self.reader.line();
                }
                ReadRecordResult::End => return Ok(()),
            }
        }
    }

    fn take_record(&mut self) -> Result<Vec<String>, CsvError> {
        let data = &self.out[..self.out_len];
        let mut fields = Vec::with_capacity(self.ends_len);
        let mut start = 0;
        for &end in &self.ends[..self.ends_len] {
            let text = std::str::from_utf8(&data[start..end]).map_err(|_| CsvError::NotUtf8 {
                line: self.reader.line(),
            })?;
            fields.push(text.to_string());
            start = end;
        }
        self.out_len = 0;
        self.ends_len = 0;
        Ok(fields)
    }

    fn check_record(&mut self, fields: Vec<String>) -> Result<(), CsvError> {
        let Some(header) = &self.header else {
            return self.set_header(fields);
        };
        self.rows += 1;
        let row = self.rows;
        let line = self.record_line;
        let fail = |problem: String| CsvError::Row { row, line, problem };
        if fields.len() != header.len() {
            return Err(fail(format!(
                "has {} fields, the header has {}",
                fields.len(),
                header.len()
            )));
        }
        for ((value, rule), name) in fields.iter().zip(&self.rules).zip(header) {
            let value = value.trim();
            match rule {
                ColumnRule::Date => {
                    let date = normalize_date(value).ok_or_else(|| {
                        fail(format!(
                            "{name} {value:?} is not a date (expected YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)"
                        ))
                    })?;
                    if let Some(previous) = &self.last_date {
                        if date < *previous {
                            return Err(fail(format!(
                                "{name} {value} comes before the previous row's {previous}; rows must be ordered by date"
                            )));
                        }
                    }
                    if self.first_date.is_none() {
                        self.first_date = Some(date.clone());
                    }
                    self.last_date = Some(date);
                }
                ColumnRule::Tic => {
                    if value.is_empty() {
                        return Err(fail(format!("{name} is empty")));
                    }
                    if self.tics.len() < MAX_TICS_KEPT && !self.tics.contains(value) {
                        self.tics.insert(value.to_string());
                    }
                }
                ColumnRule::Price => match value.parse::<f64>() {
                    Ok(number) if number.is_finite() => {}
                    _ => {
                        return Err(fail(format!(
                            "{name} {value:?} is not a number (prices must be finite numbers)"
                        )))
                    }
                },
                ColumnRule::Number => {
                    if !value.is_empty() && value.parse::<f64>().is_err() {
                        return Err(fail(format!(
                            "{name} {value:?} is not a number (feature columns hold numbers or nothing)"
                        )));
                    }
                }
                ColumnRule::Free => {}
            }
        }
        Ok(())
    }

    fn set_header(&mut self, fields: Vec<String>) -> Result<(), CsvError> {
        let columns: Vec<String> = fields.iter().map(|f| f.trim().to_string()).collect();
        let mut seen = BTreeSet::new();
        for column in &columns {
            if !column.is_empty() && !seen.insert(column.as_str()) {
                return Err(CsvError::DuplicateColumn(column.clone()));
            }
        }
        let missing: Vec<&str> = REQUIRED_COLUMNS
            .iter()
            .copied()
            .filter(|required| !seen.contains(required))
            .collect();
        if !missing.is_empty() {
            return Err(CsvError::MissingColumns {
                missing: missing.join(", "),
                found: columns.join(", "),
            });
        }
        self.rules = columns
            .iter()
            .map(|name| match name.as_str() {
                "date" => ColumnRule::Date,
                "tic" => ColumnRule::Tic,
                "" | "Unnamed: 0" | "index" => ColumnRule::Free,
                n if PRICE_COLUMNS.contains(&n) => ColumnRule::Price,
                _ => ColumnRule::Number,
            })
            .collect();
        self.header = Some(columns);
        Ok(())
    }
}

/// `YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]]` as a string that sorts by time, or `None`.
fn normalize_date(value: &str) -> Option<String> {
    let (date, time) = match value.find([' ', 'T']) {
        Some(at) => (&value[..at], Some(value[at + 1..].trim())),
        None => (value, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return None;
    };
    let number = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (_, month, day) = (number(year, 4)?, number(month, 2)?, number(day, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut normalized = date.to_string();
    if let Some(time) = time {
        let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
        let pieces: Vec<&str> = clock.split(':').collect();
        let limits = [23, 59, 60];
        if !(2..=3).contains(&pieces.len()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        for (piece, limit) in pieces.iter().zip(limits) {
            if number(piece, 2)? > limit {
                return None;
            }
        }
        normalized.push(' ');
        normalized.push_str(time);
    }
    Some(normalized)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, chunk: usize) -> Result<CsvSummary, CsvError> {
        let mut validator = CsvValidator::new();
        for piece in text.as_bytes().chunks(chunk.max(1)) {
            validator.feed(piece)?;
        }
        validator.finish()
    }

    const GOOD: &str = ",date,tic,open,high,low,close,adjcp,zopen\n\
        0,2020-01-02,AAPL,1,2,0.5,1.5,1.5,0.1\n\
        0,2020-01-02,MSFT,1,2,0.5,1.5,1.5,\n\
        1,2020-01-03,AAPL,1,2,0.5,1.5,1.5,-2e-3";

    #[test]
    fn accepts_good_files_in_any_chunking() {
        for chunk in [1, 3, 7, 4096] {
            let summary = check(GOOD, chunk).unwrap();
            assert_eq!(summary.rows, 3);
            assert_eq!(summary.tics, vec!["AAPL", "MSFT"]);
            assert_eq!(summary.first_date.as_deref(), Some("2020-01-02"));
            assert_eq!(summary.last_date.as_deref(), Some("2020-01-03"));
        }
    }

    #[test]
    fn names_the_first_bad_row() {
        let bad = GOOD.replace("1,2,0.5,1.5,1.5,-2e-3", "1,2,abc,1.5,1.5,0");
        let err = check(&bad, 5).unwrap_err();
        assert_eq!(
            err.to_string(),
            "row 3 (line 4): low \"abc\" is not a number (prices must be finite numbers)"
        );
        let unsorted = GOOD.replace("1,2020-01-03", "1,2019-12-31");
        let err = check(&unsorted, 64).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("row 3 (line 4): date 2019-12-31 comes before"),
            "{err}"
        );
        let bad_date = GOOD.replace("2020-01-03", "2020-13-03");
        assert!(check(&bad_date, 64)
            .unwrap_err()
            .to_string()
            .contains("is not a date"));
    }

    #[test]
    fn rejects_empty_headless_and_incomplete_files() {
        assert_eq!(check("", 8).unwrap_err(), CsvError::Empty);
        assert_eq!(
            check("date,tic,open,high,low,close\n", 8).unwrap_err(),
            CsvError::NoRows
        );
        let err = check("date,tic,open,high,low\n2020-01-01,A,1,1,1\n", 8).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the header lacks the required column(s) close; it has: date, tic, open, high, low"
        );
        let err = check("date,tic,open,high,low,close\n2020-01-01,A,1,1,1\n", 8).unwrap_err();
        assert_eq!(
            err.to_string(),
            "row 1 (line 2): has 5 fields, the header has 6"
        );
    }

    #[test]
    fn accepts_the_real_trademaster_files() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/trademaster");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            assert!(
                std::env::var("CI").is_err(),
                "data files missing at {}",
                dir.display()
            );
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let summary = check(&text, 65536).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(summary.rows > 100, "{}", path.display());
        }
    }
}
