//! Labeling a whole CSV file: every tic separately, rows kept in file order.

use std::collections::HashMap;
use std::io::{BufWriter, Read, Write};
use std::ops::Range;

use serde::Serialize;

use super::error::DynamicsError;
use super::merge::MergeSummary;
use super::params::LabelParams;
use super::series::{label_checked, Segment, SeriesLabeling};
use super::stats::{summarize, LabelSummary, RunStats};

/// Columns appended to every row of the output, in this order.
pub const OUTPUT_COLUMNS: [&str; 4] = [
    "pct_return",
    "key_indicator_filtered",
    "pct_return_filtered",
    "label",
];

/// What labeling a file produced, per tic.
#[derive(Debug, Clone, Serialize)]
pub struct LabelReport {
    pub rows: usize,
    pub params: LabelParams,
    pub tics: Vec<TicReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TicReport {
    pub tic: String,
    pub rows: usize,
    /// Final segments; `start`/`end` count rows of this tic from 0.
    pub segments: Vec<Segment>,
    pub cuts: Vec<f64>,
    pub merging: MergeSummary,
    /// Contiguous runs of one label; `start` counts rows of this tic from 0.
    pub runs: Vec<RunStats>,
    pub summary: Vec<LabelSummary>,
}

struct Column<'a> {
    role: &'static str,
    name: &'a str,
}

fn find_column(headers: &csv::StringRecord, column: Column<'_>) -> Result<usize, DynamicsError> {
    headers
        .iter()
        .position(|h| h == column.name)
        .ok_or_else(|| DynamicsError::UnknownColumn {
            role: column.role,
            name: column.name.to_string(),
            available: headers.iter().map(str::to_string).collect(),
        })
}

/// The input split into series: each tic's prices and the file rows they came from.
struct Series {
    tic: String,
    rows: Vec<usize>,
    prices: Vec<f64>,
}

/// Reads `input` as CSV with a header, labels the `key_indicator` series of
/// each tic independently and writes every input row (its text unchanged, in
/// file order) followed by [`OUTPUT_COLUMNS`].
pub fn label_csv(
    mut input: impl Read,
    output: impl Write,
    params: &LabelParams,
) -> Result<LabelReport, DynamicsError> {
    params.validate()?;
    let mut text = Vec::new();
    input.read_to_end(&mut text).map_err(DynamicsError::Read)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_slice());
    let headers = reader.headers()?.clone();
    if headers.is_empty() {
        return Err(DynamicsError::EmptyInput);
    }
    let key_column = find_column(
        &headers,
        Column {
            role: "key_indicator",
            name: &params.key_indicator,
        },
    )?;
    find_column(
        &headers,
        Column {
            role: "timestamp",
            name: &params.timestamp,
        },
    )?;
    let tic_column = headers.iter().position(|h| h == params.tic);

    // Byte ranges of the header and of every row, so output rows repeat the input text.
    let header_span = 0..position(&reader);
    let mut row_spans = Vec::new();
    let mut series: Vec<Series> = Vec::new();
    let mut series_of_tic: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let row_start = position(&reader);
        if !reader.read_byte_record(&mut record)? {
            break;
        }
        let row = row_spans.len() + 1;
        let raw = record.get(key_column).unwrap_or(b"");
        let price = parse_price(raw).ok_or_else(|| DynamicsError::BadValue {
            row,
            column: params.key_indicator.clone(),
            value: String::from_utf8_lossy(raw).into_owned(),
        })?;
        let tic = match tic_column {
            Some(index) => record.get(index).unwrap_or(b""),
            None => params.tic.as_bytes(),
        };
        let index = match series_of_tic.get(tic) {
            Some(&index) => index,
            None => {
                series.push(Series {
                    tic: String::from_utf8_lossy(tic).into_owned(),
                    rows: Vec::new(),
                    prices: Vec::new(),
                });
                series_of_tic.insert(tic.to_vec(), series.len() - 1);
                series.len() - 1
            }
        };
        series[index].rows.push(row_spans.len());
        series[index].prices.push(price);
        row_spans.push(row_start..position(&reader));
    }
    if row_spans.is_empty() {
        return Err(DynamicsError::EmptyInput);
    }

    let mut labeled = Vec::with_capacity(series.len());
    for one in &series {
        let context = format!("tic {:?}", one.tic);
        labeled.push(label_checked(&one.prices, params, &context)?);
    }
    let rows = Rows {
        text: &text,
        header: header_span,
        spans: &row_spans,
    };
    write_rows(output, &rows, &series, &labeled).map_err(DynamicsError::Io)?;
    tracing::info!(
        rows = row_spans.len(),
        tics = series.len(),
        key_indicator = %params.key_indicator,
        "labeled market dynamics"
    );

    let tics = series
        .iter()
        .zip(&labeled)
        .map(|(one, result)| TicReport {
            tic: one.tic.clone(),
            rows: one.rows.len(),
            segments: result.segments.clone(),
            cuts: result.cuts.clone(),
            merging: result.merging.clone(),
            summary: summarize(&result.runs, params.dynamic_number),
            runs: result.runs.clone(),
        })
        .collect();
    Ok(LabelReport {
        rows: row_spans.len(),
        params: params.clone(),
        tics,
    })
}

fn position(reader: &csv::Reader<&[u8]>) -> usize {
    usize::try_from(reader.position().byte()).unwrap_or(usize::MAX)
}

/// A finite number, surrounding spaces allowed.
fn parse_price(raw: &[u8]) -> Option<f64> {
    std::str::from_utf8(raw)
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|price| price.is_finite())
}

/// The input text with the byte range of its header and of each row.
struct Rows<'a> {
    text: &'a [u8],
    header: Range<usize>,
    spans: &'a [Range<usize>],
}

impl Rows<'_> {
    /// A row's text without its line break (or blank lines around it).
    fn line(&self, span: &Range<usize>) -> &[u8] {
        let bytes = self.text.get(span.clone()).unwrap_or(b"");
        let is_break = |b: &u8| *b == b'\n' || *b == b'\r';
        let start = bytes
            .iter()
            .position(|b| !is_break(b))
            .unwrap_or(bytes.len());
        let end = bytes
            .iter()
            .rposition(|b| !is_break(b))
            .map_or(start, |k| k + 1);
        &bytes[start..end.max(start)]
    }
}

fn write_rows(
    output: impl Write,
    rows: &Rows<'_>,
    series: &[Series],
    labeled: &[SeriesLabeling],
) -> std::io::Result<()> {
    // Where each file row landed: (series, position within the series).
    let mut placement = vec![(0, 0); rows.spans.len()];
    for (series_index, one) in series.iter().enumerate() {
        for (position, &row) in one.rows.iter().enumerate() {
            placement[row] = (series_index, position);
        }
    }
    let mut out = BufWriter::new(output);
    out.write_all(rows.line(&rows.header))?;
    for name in OUTPUT_COLUMNS {
        write!(out, ",{name}")?;
    }
    out.write_all(b"\n")?;
    for (span, &(series_index, position)) in rows.spans.iter().zip(&placement) {
        let result = &labeled[series_index];
        out.write_all(rows.line(span))?;
        // Debug formatting is the shortest text that reads back to the same f64.
        writeln!(
            out,
            ",{:?},{:?},{:?},{}",
            result.pct_return[position],
            result.filtered[position],
            result.pct_return_filtered[position],
            result.labels[position]
        )?;
    }
    out.flush()
}
