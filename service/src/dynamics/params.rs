use serde::{Deserialize, Serialize};

use super::error::DynamicsError;
use super::filter::butter_lowpass;
use super::filter::Coefficients;

/// How segment slopes become labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelingMethod {
    /// Cut points at the `k / N` quantiles of the segment slopes.
    Quantile,
    /// Cut points spread over `slope_interval` (see [`super::Labeler::slope`]).
    Slope,
}

impl std::str::FromStr for LabelingMethod {
    type Err = DynamicsError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "quantile" => Ok(Self::Quantile),
            "slope" => Ok(Self::Slope),
            _ => Err(DynamicsError::invalid(
                "labeling_method",
                text,
                "quantile or slope",
            )),
        }
    }
}

/// Parameters of slice-and-merge labeling. `Default` gives the original
/// tool's defaults (its `market_dynamics_modeling` configuration).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LabelParams {
    /// N, the number of regimes (labels `0..N`); at least 2.
    pub dynamic_number: usize,
    /// L, the minimum segment length; -1 means no minimum (and a filter period of 7).
    pub min_length_limit: i64,
    /// F; the filter cutoff is `min(2 / (L * F), 2)` (L = 7 when L is -1).
    pub filter_strength: f64,
    /// M; only segments shorter than this try to merge with a neighbour.
    pub max_length_expectation: usize,
    /// Column holding the price series (e.g. `adjcp`).
    pub key_indicator: String,
    /// Column holding the timestamp (must exist; rows are used in file order).
    pub timestamp: String,
    /// Column naming the instrument; when absent the whole file is one series.
    pub tic: String,
    #[serde(alias = "labeling_method")]
    pub method: LabelingMethod,
    /// `[low, high]` slopes (percent per step) for [`LabelingMethod::Slope`].
    pub slope_interval: [f64; 2],
    /// T, DTW-distance threshold under which segments merge; -1 disables merging.
    pub merging_threshold: f64,
    /// C; neighbours whose labels differ by more than C may not merge; -1 disables.
    #[serde(alias = "merging_dynamic_constraint")]
    pub merging_constraint: i64,
}

impl Default for LabelParams {
    fn default() -> Self {
        Self {
            dynamic_number: 3,
            min_length_limit: -1,
            filter_strength: 1.0,
            max_length_expectation: 300,
            key_indicator: "adjcp".into(),
            timestamp: "date".into(),
            tic: "tic".into(),
            method: LabelingMethod::Slope,
            slope_interval: [-0.01, 0.01],
            merging_threshold: -1.0,
            merging_constraint: -1,
        }
    }
}

/// The filter period used when `min_length_limit` is -1.
pub const DEFAULT_FILTER_PERIOD: i64 = 7;

/// The largest number of regimes accepted.
pub const MAX_DYNAMIC_NUMBER: usize = 1000;

/// Rounds of merging at most.
pub const MAX_MERGING_ROUNDS: usize = 20;

impl LabelParams {
    /// Checks every parameter, naming the first bad one.
    pub fn validate(&self) -> Result<(), DynamicsError> {
        if !(2..=MAX_DYNAMIC_NUMBER).contains(&self.dynamic_number) {
            return Err(DynamicsError::invalid(
                "dynamic_number",
                self.dynamic_number,
                format!("between 2 and {MAX_DYNAMIC_NUMBER} regimes"),
            ));
        }
        if self.min_length_limit != -1 && self.min_length_limit < 1 {
            return Err(DynamicsError::invalid(
                "min_length_limit",
                self.min_length_limit,
                "must be at least 1, or -1 for no minimum (filter period 7)",
            ));
        }
        if !(self.filter_strength.is_finite() && self.filter_strength > 0.0) {
            return Err(DynamicsError::invalid(
                "filter_strength",
                self.filter_strength,
                "must be a positive number",
            ));
        }
        let cutoff = self.cutoff();
        if !(cutoff > 0.0 && cutoff < 1.0) {
            return Err(DynamicsError::invalid(
                "min_length_limit * filter_strength",
                self.filter_period() as f64 * self.filter_strength,
                format!(
                    "the filter cutoff 2 / (L * F) = {cutoff} must be below 1 (Nyquist), \
                     so L * F must be greater than 2"
                ),
            ));
        }
        if self.slope_interval.iter().any(|bound| !bound.is_finite()) {
            return Err(DynamicsError::invalid(
                "slope_interval",
                format!("{:?}", self.slope_interval),
                "both bounds must be finite numbers",
            ));
        }
        if self.merging_threshold != -1.0 && !self.merging_threshold.is_finite() {
            return Err(DynamicsError::invalid(
                "merging_threshold",
                self.merging_threshold,
                "must be a finite number, or -1 to disable merging",
            ));
        }
        for (name, value) in [
            ("key_indicator", &self.key_indicator),
            ("timestamp", &self.timestamp),
            ("tic", &self.tic),
        ] {
            if value.is_empty() {
                return Err(DynamicsError::invalid(name, "\"\"", "a column name"));
            }
        }
        Ok(())
    }

    /// The period the filter removes: L, or 7 when L is -1.
    pub fn filter_period(&self) -> i64 {
        if self.min_length_limit == -1 {
            DEFAULT_FILTER_PERIOD
        } else {
            self.min_length_limit
        }
    }

    /// Normalised Butterworth cutoff `min(2 / (period * F), 2)`.
    pub fn cutoff(&self) -> f64 {
        (2.0 / (self.filter_period() as f64 * self.filter_strength)).min(2.0)
    }

    pub(crate) fn filter(&self) -> Coefficients {
        butter_lowpass(self.cutoff())
    }

    /// Minimum segment length used by slicing (0 when L is -1).
    pub fn min_length(&self) -> usize {
        usize::try_from(self.min_length_limit).unwrap_or(0)
    }

    pub fn merging_enabled(&self) -> bool {
        self.merging_threshold != -1.0
    }

    /// The largest allowed label difference between merging neighbours, if constrained.
    pub fn constraint(&self) -> Option<usize> {
        usize::try_from(self.merging_constraint).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_use_period_seven() {
        let params = LabelParams::default();
        params.validate().unwrap();
        assert_eq!(params.cutoff(), 2.0 / 7.0);
        assert_eq!(params.min_length(), 0);
        assert!(!params.merging_enabled());
        assert_eq!(params.constraint(), None);
    }

    #[test]
    fn deserializes_with_the_original_field_names() {
        let params: LabelParams = serde_json::from_str(
            r#"{"labeling_method": "quantile", "merging_dynamic_constraint": 1, "dynamic_number": 5}"#,
        )
        .unwrap();
        assert_eq!(params.method, LabelingMethod::Quantile);
        assert_eq!(params.merging_constraint, 1);
        assert_eq!(params.dynamic_number, 5);
        assert_eq!(params.max_length_expectation, 300);
    }

    #[test]
    fn methods_parse_case_insensitively() {
        assert_eq!(
            "Quantile".parse::<LabelingMethod>().unwrap(),
            LabelingMethod::Quantile
        );
        let err = "DTW".parse::<LabelingMethod>().unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid parameter labeling_method = DTW: quantile or slope"
        );
    }
}
