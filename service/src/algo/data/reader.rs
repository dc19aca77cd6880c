//! Reads TradeMaster CSVs: columns by name in any order, an unnamed index column ignored.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use ndarray::{Array2, Array3};

use super::{features, MarketData, FEATURE_NAMES};
use crate::algo::error::{AlgoError, Result};

/// How to load a CSV.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Fill a tic's missing dates with its previous row (dates before a tic's first row are
    /// dropped from the panel). Without it, a missing date is an error.
    pub forward_fill: bool,
}

const PRICE_COLUMNS: [&str; 4] = ["open", "high", "low", "close"];

struct Row {
    date: String,
    prices: [f64; 5],
    features: [f64; 11],
}

struct Columns {
    date: usize,
    tic: usize,
    prices: [Option<usize>; 5],
    features: [Option<usize>; 11],
    names: Vec<String>,
}

impl MarketData {
    /// Reads a CSV file; errors name the file.
    pub fn from_csv_path(path: &Path, options: LoadOptions) -> Result<MarketData> {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| AlgoError::Csv {
            source_name: name.clone(),
            message: e.to_string(),
        })?;
        Self::from_csv_reader(file, &name, options)
    }

    /// Reads CSV text; `source_name` is used in error messages.
    pub fn from_csv_str(text: &str, source_name: &str, options: LoadOptions) -> Result<MarketData> {
        Self::from_csv_reader(text.as_bytes(), source_name, options)
    }

    pub fn from_csv_reader<R: Read>(
        reader: R,
        source_name: &str,
        options: LoadOptions,
    ) -> Result<MarketData> {
        let csv_error = |e: csv::Error| describe_csv_error(source_name, e);
        let mut csv = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(reader);
        let headers = csv.headers().map_err(csv_error)?.clone();
        let columns = Columns::find(&headers, source_name)?;

        let mut tics: Vec<String> = Vec::new();
        let mut tic_index: HashMap<String, usize> = HashMap::new();
        let mut rows: Vec<Vec<Row>> = Vec::new();
        for record in csv.records() {
            let record = record.map_err(csv_error)?;
            let line = record.position().map_or(0, |p| p.line());
            let tic = record.get(columns.tic).unwrap_or("").to_string();
            if tic.is_empty() {
                return Err(AlgoError::EmptyTic {
                    source_name: source_name.to_string(),
                    line,
                });
            }
            let row = columns.parse_row(&record, line, source_name)?;
            let index = *tic_index.entry(tic.clone()).or_insert_with(|| {
                tics.push(tic.clone());
                rows.push(Vec::new());
                tics.len() - 1
            });
            if let Some(previous) = rows[index].last() {
                if row.date <= previous.date {
                    return Err(AlgoError::Unsorted {
                        source_name: source_name.to_string(),
                        line,
                        tic,
                        date: row.date,
                        previous: previous.date.clone(),
                    });
                }
            }
            rows[index].push(row);
        }
        if tics.is_empty() {
            return Err(AlgoError::Empty {
                source_name: source_name.to_string(),
            });
        }
        assemble(tics, rows, options)
    }
}

impl Columns {
    fn find(headers: &csv::StringRecord, source_name: &str) -> Result<Columns> {
        let names: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
        let position = |name: &str| names.iter().position(|h| h.eq_ignore_ascii_case(name));
        let required = |name: &str| {
            position(name).ok_or_else(|| AlgoError::MissingColumn {
                source_name: source_name.to_string(),
                column: name.to_string(),
                available: names
                    .iter()
                    .filter(|n| !n.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        };
        let date = required("date")?;
        let tic = required("tic")?;
        let mut prices = [None; 5];
        for (slot, name) in prices.iter_mut().zip(PRICE_COLUMNS) {
            *slot = Some(required(name)?);
        }
        // adjcp is optional: without it the close is taken as the adjusted close.
        prices[4] = position("adjcp");
        let mut features = [None; 11];
        for (slot, name) in features.iter_mut().zip(FEATURE_NAMES) {
            *slot = position(name);
        }
        Ok(Columns {
            date,
            tic,
            prices,
            features,
            names,
        })
    }

    fn parse_row(&self, record: &csv::StringRecord, line: u64, source: &str) -> Result<Row> {
        let date = record.get(self.date).unwrap_or("").to_string();
        if !looks_like_date(&date) {
            return Err(AlgoError::BadDate {
                source_name: source.to_string(),
                line,
                value: date,
            });
        }
        let mut prices = [0.0; 5];
        for (i, column) in self.prices.iter().enumerate() {
            let Some(column) = *column else {
                prices[i] = prices[3];
                continue;
            };
            let text = record.get(column).unwrap_or("");
            let value = self.number(text, column, line, source)?;
            if !(value.is_finite() && value > 0.0) {
                return Err(AlgoError::BadPrice {
                    source_name: source.to_string(),
                    line,
                    column: self.names[column].clone(),
                    value: text.to_string(),
                });
            }
            prices[i] = value;
        }
        let mut features = [f64::NAN; 11];
        for (slot, column) in features.iter_mut().zip(self.features) {
            if let Some(column) = column {
                let text = record.get(column).unwrap_or("");
                if !text.is_empty() {
                    *slot = self.number(text, column, line, source)?;
                }
            }
        }
        Ok(Row {
            date,
            prices,
            features,
        })
    }

    fn number(&self, text: &str, column: usize, line: u64, source: &str) -> Result<f64> {
        text.parse::<f64>().map_err(|_| AlgoError::NotNumeric {
            source_name: source.to_string(),
            line,
            column: self.names[column].clone(),
            value: text.to_string(),
        })
    }
}

/// A CSV syntax error with the line it happened on.
fn describe_csv_error(source_name: &str, e: csv::Error) -> AlgoError {
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos: Some(pos),
            expected_len,
            len,
        } => format!(
            "line {}: {len} fields, the header has {expected_len}",
            pos.line()
        ),
        _ => match e.position() {
            Some(pos) => format!("line {}: {e}", pos.line()),
            None => e.to_string(),
        },
    };
    AlgoError::Csv {
        source_name: source_name.to_string(),
        message,
    }
}

/// `YYYY-MM-DD` with month 01-12 and day 01-31, optionally followed by a time.
fn looks_like_date(text: &str) -> bool {
    let b = text.as_bytes();
    let shape = b.len() >= 10
        && b[..10].iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
        && (b.len() == 10 || b[10] == b' ' || b[10] == b'T');
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().unwrap_or(0);
    shape && (1..=12).contains(&number(5..7)) && (1..=31).contains(&number(8..10))
}

fn assemble(tics: Vec<String>, rows: Vec<Vec<Row>>, options: LoadOptions) -> Result<MarketData> {
    let mut dates: Vec<String> = rows
        .iter()
        .flat_map(|r| r.iter().map(|row| row.date.clone()))
        .collect();
    dates.sort();
    dates.dedup();
    if options.forward_fill {
        let latest_start = rows
            .iter()
            .filter_map(|r| r.first().map(|row| row.date.clone()))
            .max()
            .unwrap_or_default();
        dates.retain(|d| *d >= latest_start);
    }
    let (n_dates, n_tics) = (dates.len(), tics.len());
    let mut prices: Vec<Array2<f64>> = (0..5).map(|_| Array2::zeros((n_dates, n_tics))).collect();
    let mut features = Array3::from_elem((n_dates, n_tics, FEATURE_NAMES.len()), f64::NAN);
    for (tic, tic_rows) in rows.iter().enumerate() {
        let mut next = 0;
        let mut current: Option<&Row> = None;
        for (t, date) in dates.iter().enumerate() {
            while next < tic_rows.len() && tic_rows[next].date <= *date {
                current = Some(&tic_rows[next]);
                next += 1;
            }
            let row = match current {
                Some(row) if row.date == *date || options.forward_fill => row,
                _ => {
                    return Err(AlgoError::MissingDate {
                        tic: tics[tic].clone(),
                        date: date.clone(),
                    })
                }
            };
            for (p, value) in prices.iter_mut().zip(row.prices) {
                p[[t, tic]] = value;
            }
            for (f, value) in row.features.iter().enumerate() {
                features[[t, tic, f]] = *value;
            }
        }
    }
    let [open, high, low, close, adjcp]: [Array2<f64>; 5] = prices
        .try_into()
        .map_err(|_| AlgoError::Model("price columns".into()))?;
    features::fill_missing(&open, &high, &low, &close, &adjcp, &mut features);
    Ok(MarketData {
        dates,
        tics,
        open,
        high,
        low,
        close,
        adjcp,
        features,
    })
}
