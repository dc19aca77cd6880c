//! Labeling one price series end to end.

use ndarray::{Array1, ArrayView1};
use serde::Serialize;

use super::error::DynamicsError;
use super::filter::{filtfilt, MIN_SERIES_LEN};
use super::labels::Labeler;
use super::merge::{merge_segments, MergeSummary};
use super::params::LabelParams;
use super::segments::{enforce_min_length, pct_change, segment_slopes, turning_points};
use super::stats::{label_runs, RunStats};

/// One final segment: rows `start..end`, its normalized slope and label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub start: usize,
    pub end: usize,
    /// Least-squares slope of the filtered series, percent of its first value per row.
    pub slope: f64,
    pub label: usize,
}

/// Everything computed for one series (one tic), row-aligned with the input.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesLabeling {
    pub pct_return: Array1<f64>,
    pub filtered: Array1<f64>,
    pub pct_return_filtered: Array1<f64>,
    pub labels: Array1<usize>,
    pub segments: Vec<Segment>,
    /// The cut points between labels (`label = first k with slope <= cuts[k]`).
    pub cuts: Vec<f64>,
    pub runs: Vec<RunStats>,
    pub merging: MergeSummary,
}

/// Labels one price series with the slice-and-merge method.
///
/// Errors on invalid parameters, a non-finite value (its 1-based row) or a
/// series shorter than [`MIN_SERIES_LEN`].
pub fn label_series(prices: &[f64], params: &LabelParams) -> Result<SeriesLabeling, DynamicsError> {
    params.validate()?;
    if let Some(row) = prices.iter().position(|p| !p.is_finite()) {
        return Err(DynamicsError::BadValue {
            row: row + 1,
            column: params.key_indicator.clone(),
            value: prices[row].to_string(),
        });
    }
    label_checked(prices, params, "the series")
}

/// [`label_series`] for values already checked to be finite, with `context`
/// naming the series in errors.
pub(crate) fn label_checked(
    prices: &[f64],
    params: &LabelParams,
    context: &str,
) -> Result<SeriesLabeling, DynamicsError> {
    let filtered = filtfilt(&params.filter(), ArrayView1::from(prices)).ok_or_else(|| {
        DynamicsError::SeriesTooShort {
            context: context.to_string(),
            len: prices.len(),
            minimum: MIN_SERIES_LEN,
        }
    })?;
    let filtered_values = filtered.as_slice().unwrap_or(&[]);
    let pct_return_filtered = pct_change(filtered.view());
    let boundaries = enforce_min_length(&turning_points(&pct_return_filtered), params.min_length());
    let (boundaries, merging) = if params.merging_enabled() {
        merge_segments(filtered_values, &boundaries, params)
    } else {
        (boundaries, MergeSummary::default())
    };

    let slopes = segment_slopes(filtered_values, &boundaries);
    let labeler = Labeler::for_method(
        params.method,
        &slopes,
        params.dynamic_number,
        params.slope_interval,
    );
    let segments: Vec<Segment> = boundaries
        .windows(2)
        .zip(&slopes)
        .map(|(pair, &slope)| Segment {
            start: pair[0],
            end: pair[1],
            slope,
            label: labeler.label(slope),
        })
        .collect();
    let mut labels = Vec::with_capacity(prices.len());
    for segment in &segments {
        labels.extend(std::iter::repeat_n(
            segment.label,
            segment.end - segment.start,
        ));
    }
    let runs = label_runs(prices, &labels);
    tracing::debug!(
        context,
        rows = prices.len(),
        segments = segments.len(),
        merging_rounds = merging.rounds,
        "labeled series"
    );
    Ok(SeriesLabeling {
        pct_return: Array1::from(pct_change(ArrayView1::from(prices))),
        filtered,
        pct_return_filtered: Array1::from(pct_return_filtered),
        labels: Array1::from(labels),
        segments,
        cuts: labeler.cuts().to_vec(),
        runs,
        merging,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamics::params::LabelingMethod;

    fn zigzag(len: usize) -> Vec<f64> {
        // Slow up, down and up again, so the filtered series has clear trends.
        (0..len)
            .map(|k| {
                let t = k as f64;
                100.0 + 10.0 * (t / 40.0).sin() + 0.05 * t
            })
            .collect()
    }

    #[test]
    fn every_row_gets_a_label_in_range() {
        let params = LabelParams {
            method: LabelingMethod::Quantile,
            ..LabelParams::default()
        };
        let result = label_series(&zigzag(300), &params).unwrap();
        assert_eq!(result.labels.len(), 300);
        assert!(result.labels.iter().all(|&l| l < 3));
        assert_eq!(result.segments.first().map(|s| s.start), Some(0));
        assert_eq!(result.segments.last().map(|s| s.end), Some(300));
        assert_eq!(result.runs.iter().map(|r| r.length).sum::<usize>(), 300);
        assert_eq!(result.pct_return[0], 0.0);
        assert_eq!(result.pct_return_filtered[0], 0.0);
    }

    #[test]
    fn rising_stretches_get_higher_labels_than_falling_ones() {
        let params = LabelParams {
            method: LabelingMethod::Quantile,
            min_length_limit: 10,
            ..LabelParams::default()
        };
        let prices = zigzag(400);
        let result = label_series(&prices, &params).unwrap();
        // Around t = 0 the series rises (sin'(0) > 0); around t = 40*pi it falls.
        assert!(
            result.labels[5] > result.labels[126],
            "{:?}",
            result.segments
        );
    }

    #[test]
    fn merging_never_loses_rows() {
        let params = LabelParams {
            method: LabelingMethod::Quantile,
            min_length_limit: 5,
            dynamic_number: 4,
            merging_threshold: 0.5,
            merging_constraint: 1,
            max_length_expectation: 50,
            ..LabelParams::default()
        };
        let prices: Vec<f64> = (0..500)
            .map(|k| 50.0 + ((k * 7919) % 13) as f64 * 0.3 + (k as f64 / 30.0).sin() * 4.0)
            .collect();
        let result = label_series(&prices, &params).unwrap();
        assert!(result.merging.rounds >= 1);
        assert!(result.merging.merges > 0);
        let covered: usize = result.segments.iter().map(|s| s.end - s.start).sum();
        assert_eq!(covered, 500);
        assert_eq!(result.labels.len(), 500);
    }
}
