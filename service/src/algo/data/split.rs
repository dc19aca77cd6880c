//! Splits a panel into train / valid / test parts by date.

use serde::{Deserialize, Serialize};

use super::MarketData;
use crate::algo::error::{AlgoError, Result};

/// How to split dates into train, valid and test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum SplitSpec {
    /// Consecutive parts with these shares of the dates; test takes the rest.
    Fractions { train: f64, valid: f64 },
    /// Valid starts at `valid_start`, test at `test_start` (both inclusive).
    Dates {
        valid_start: String,
        test_start: String,
    },
}

impl Default for SplitSpec {
    fn default() -> Self {
        SplitSpec::Fractions {
            train: 0.8,
            valid: 0.1,
        }
    }
}

/// The three parts of a split, each non-empty.
#[derive(Debug, Clone)]
pub struct DataSplit {
    pub train: MarketData,
    pub valid: MarketData,
    pub test: MarketData,
}

impl MarketData {
    pub fn split(&self, spec: &SplitSpec) -> Result<DataSplit> {
        let n = self.num_dates();
        let (valid_from, test_from) = match spec {
            SplitSpec::Fractions { train, valid } => {
                let ok = |x: f64| x.is_finite() && x > 0.0;
                if !(ok(*train) && ok(*valid) && train + valid < 1.0) {
                    return Err(AlgoError::Split(format!(
                        "fractions train={train}, valid={valid} must be positive with a sum \
                         below 1 (test takes the rest)"
                    )));
                }
                let valid_from = (n as f64 * train).round() as usize;
                let test_from = (n as f64 * (train + valid)).round() as usize;
                (valid_from, test_from)
            }
            SplitSpec::Dates {
                valid_start,
                test_start,
            } => {
                if valid_start >= test_start {
                    return Err(AlgoError::Split(format!(
                        "valid_start {valid_start} must come before test_start {test_start}"
                    )));
                }
                let at = |d: &String| self.dates.partition_point(|x| x < d);
                (at(valid_start), at(test_start))
            }
        };
        if valid_from == 0 || test_from <= valid_from || test_from >= n {
            return Err(AlgoError::Split(format!(
                "{spec:?} leaves an empty part: {n} dates give train 0..{valid_from}, \
                 valid {valid_from}..{test_from}, test {test_from}..{n}"
            )));
        }
        Ok(DataSplit {
            train: self.slice(0..valid_from)?,
            valid: self.slice(valid_from..test_from)?,
            test: self.slice(test_from..n)?,
        })
    }
}
