//! Turning segment slopes into regime labels `0..dynamic_number`.

use super::numeric::numpy_quantile_sorted;
use super::params::LabelingMethod;

/// Cut points between regimes: a slope takes the first label `k` with
/// `slope <= cuts[k]`, otherwise the highest label.
#[derive(Debug, Clone, PartialEq)]
pub struct Labeler {
    cuts: Vec<f64>,
    dynamic_number: usize,
}

impl Labeler {
    /// Cut points at the `k / N` quantiles of the slopes (`k = 1..N-1`).
    pub fn quantile(slopes: &[f64], dynamic_number: usize) -> Self {
        let mut sorted = slopes.to_vec();
        sorted.sort_by(f64::total_cmp);
        let cuts = if sorted.is_empty() {
            Vec::new()
        } else {
            (1..dynamic_number)
                .map(|k| numpy_quantile_sorted(&sorted, k as f64 / dynamic_number as f64))
                .collect()
        };
        Self {
            cuts,
            dynamic_number,
        }
    }

    /// Cut points spread from the interval's lower end: with
    /// `low, _, high = sorted([low, high, 0])`, cut `k` is
    /// `low + (high - low) / (N - 2) * k`. Two regimes split at the interval's
    /// middle. A degenerate interval puts every cut at `low`.
    pub fn slope(low: f64, high: f64, dynamic_number: usize) -> Self {
        if dynamic_number == 2 {
            return Self {
                cuts: vec![(low + high) / 2.0],
                dynamic_number,
            };
        }
        let mut ordered = [low, high, 0.0];
        ordered.sort_by(f64::total_cmp);
        let (low, high) = (ordered[0], ordered[2]);
        let cuts = if high != low {
            let width = (high - low) / (dynamic_number - 2) as f64;
            (1..dynamic_number)
                .map(|k| low + width * k as f64)
                .collect()
        } else {
            vec![low; dynamic_number - 1]
        };
        Self {
            cuts,
            dynamic_number,
        }
    }

    /// The labeler the final labeling uses: for `Slope`, an interval with
    /// `low >= high` is replaced by the slopes at ranks `len/N` and
    /// `len*(N-1)/N`.
    pub fn for_method(
        method: LabelingMethod,
        slopes: &[f64],
        dynamic_number: usize,
        interval: [f64; 2],
    ) -> Self {
        match method {
            LabelingMethod::Quantile => Self::quantile(slopes, dynamic_number),
            LabelingMethod::Slope => {
                let [mut low, mut high] = interval;
                if dynamic_number != 2 && low >= high && !slopes.is_empty() {
                    let mut sorted = slopes.to_vec();
                    sorted.sort_by(f64::total_cmp);
                    let rank = |fraction: f64| {
                        let index = (fraction * sorted.len() as f64) as usize;
                        sorted[index.min(sorted.len() - 1)]
                    };
                    let n = dynamic_number as f64;
                    high = rank((n - 1.0) / n);
                    low = rank(1.0 / n);
                }
                Self::slope(low, high, dynamic_number)
            }
        }
    }

    pub fn cuts(&self) -> &[f64] {
        &self.cuts
    }

    pub fn label(&self, slope: f64) -> usize {
        self.cuts
            .iter()
            .position(|&cut| slope <= cut)
            .unwrap_or(self.dynamic_number - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_cuts_follow_the_sorted_interval_formula() {
        let labeler = Labeler::slope(-0.05, 0.05, 3);
        assert_eq!(labeler.cuts().len(), 2);
        assert!((labeler.cuts()[0] - 0.05).abs() < 1e-15);
        assert!((labeler.cuts()[1] - 0.15).abs() < 1e-15);
        assert_eq!(labeler.label(0.05), 0);
        assert_eq!(labeler.label(0.1), 1);
        assert_eq!(labeler.label(0.2), 2);
    }

    #[test]
    fn a_slope_equal_to_a_quantile_takes_the_lower_label() {
        let slopes = [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0];
        let labeler = Labeler::quantile(&slopes, 3);
        // (7 - 1) / 3 = 2 exactly: the first cut is the third-smallest slope.
        assert_eq!(labeler.cuts()[0], 0.0);
        assert_eq!(labeler.label(0.0), 0);
        assert_eq!(labeler.label(0.5), 1);
        assert_eq!(labeler.label(4.0), 2);
    }

    #[test]
    fn two_slope_regimes_split_in_the_middle() {
        let labeler = Labeler::slope(-0.25, 0.75, 2);
        assert_eq!(labeler.cuts(), &[0.25]);
    }

    #[test]
    fn an_empty_interval_is_chosen_from_the_slopes() {
        let slopes = [5.0, 1.0, 3.0, 2.0, 4.0, 0.0];
        // Ranks 6/3 = 2 and 6*2/3 = 4 give [2, 4]; sorted with 0 that is [0, 4],
        // so for N = 3 the cuts are 0 + 4k.
        let labeler = Labeler::for_method(LabelingMethod::Slope, &slopes, 3, [0.0, 0.0]);
        assert_eq!(labeler.cuts(), &[4.0, 8.0]);
    }
}
