//! Market data: TradeMaster-style daily CSVs as an aligned panel of dates × tics.
//!
//! A panel holds prices (`open, high, low, close, adjcp`) per date and tic plus the eleven
//! TradeMaster features ([`FEATURE_NAMES`]). Features present in the CSV are kept as given;
//! missing ones (or empty/non-finite cells) are computed from the prices:
//! `zopen = open/close - 1`, `zhigh`, `zlow`, `zadjcp` likewise, `zclose = close_t/close_{t-1} - 1`
//! (0 on the first date) and `zd_k = mean(adjcp over the last k dates)/adjcp - 1`, averaging
//! over the dates available when fewer than `k` precede. `zd_k` uses the adjusted close as
//! TradeMaster's own files do (checked against the dj30 files to 1e-15); where `adjcp` equals
//! `close`, as in the BTC file or a CSV without `adjcp`, this is the mean close over the close.

mod features;
mod reader;
mod split;
mod writer;

use std::ops::Range;

use ndarray::{s, Array2, Array3};

pub use reader::LoadOptions;
pub use split::{DataSplit, SplitSpec};

use super::error::{AlgoError, Result};

/// The feature columns every panel carries, in this order.
pub const FEATURE_NAMES: [&str; 11] = [
    "zopen", "zhigh", "zlow", "zadjcp", "zclose", "zd_5", "zd_10", "zd_15", "zd_20", "zd_25",
    "zd_30",
];

/// Dates × tics panel of prices and features. Every tic has a value on every date.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketData {
    /// Sorted, unique dates as written in the source (ISO `YYYY-MM-DD[ time]`).
    pub dates: Vec<String>,
    /// Tics in order of first appearance in the source.
    pub tics: Vec<String>,
    /// `[date, tic]` prices.
    pub open: Array2<f64>,
    pub high: Array2<f64>,
    pub low: Array2<f64>,
    pub close: Array2<f64>,
    pub adjcp: Array2<f64>,
    /// `[date, tic, feature]`, features in [`FEATURE_NAMES`] order.
    pub features: Array3<f64>,
}

impl MarketData {
    pub fn num_dates(&self) -> usize {
        self.dates.len()
    }

    pub fn num_tics(&self) -> usize {
        self.tics.len()
    }

    /// The dates with indices in `range`.
    pub fn slice(&self, range: Range<usize>) -> Result<MarketData> {
        if range.start >= range.end || range.end > self.dates.len() {
            return Err(AlgoError::Split(format!(
                "date range {}..{} is empty or beyond the {} dates available",
                range.start,
                range.end,
                self.dates.len()
            )));
        }
        let rows = s![range.clone(), ..];
        Ok(MarketData {
            dates: self.dates[range.clone()].to_vec(),
            tics: self.tics.clone(),
            open: self.open.slice(rows).to_owned(),
            high: self.high.slice(rows).to_owned(),
            low: self.low.slice(rows).to_owned(),
            close: self.close.slice(rows).to_owned(),
            adjcp: self.adjcp.slice(rows).to_owned(),
            features: self.features.slice(s![range, .., ..]).to_owned(),
        })
    }

    /// The dates from `start` to `end`, both inclusive; `None` leaves that side open.
    /// Dates compare as text, which orders ISO dates correctly.
    pub fn between(&self, start: Option<&str>, end: Option<&str>) -> Result<MarketData> {
        let from = start.map_or(0, |d| self.dates.partition_point(|x| x.as_str() < d));
        let to = end.map_or(self.dates.len(), |d| {
            self.dates.partition_point(|x| date_prefix_le(x, d))
        });
        if from >= to {
            return Err(AlgoError::Split(format!(
                "no dates between {} and {} (data covers {} to {})",
                start.unwrap_or("the start"),
                end.unwrap_or("the end"),
                self.dates.first().map_or("", String::as_str),
                self.dates.last().map_or("", String::as_str),
            )));
        }
        self.slice(from..to)
    }

    /// The panel of one tic.
    pub fn select_tic(&self, tic: &str) -> Result<MarketData> {
        let i = self
            .tics
            .iter()
            .position(|t| t == tic)
            .ok_or_else(|| AlgoError::Unknown {
                kind: "tic",
                value: tic.to_string(),
                allowed: self.tics.join(", "),
            })?;
        let col = s![.., i..=i];
        Ok(MarketData {
            dates: self.dates.clone(),
            tics: vec![self.tics[i].clone()],
            open: self.open.slice(col).to_owned(),
            high: self.high.slice(col).to_owned(),
            low: self.low.slice(col).to_owned(),
            close: self.close.slice(col).to_owned(),
            adjcp: self.adjcp.slice(col).to_owned(),
            features: self.features.slice(s![.., i..=i, ..]).to_owned(),
        })
    }

    /// Closing prices of one tic.
    pub fn close_of(&self, tic_index: usize) -> Vec<f64> {
        self.close.column(tic_index).to_vec()
    }
}

/// `x <= end` where an end given as a bare date includes every time of that day.
fn date_prefix_le(x: &str, end: &str) -> bool {
    x <= end || (end.len() == 10 && x.starts_with(end))
}
