//! Floating-point reductions that round exactly like NumPy's, because merge
//! decisions compare them against a threshold and labels compare slopes
//! against quantiles.

/// `numpy.sum` of a contiguous float64 array (pairwise summation with
/// 8 accumulators and blocks of 128).
pub fn numpy_sum(values: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = values.len();
    if n < 8 {
        return values.iter().fold(0.0, |sum, v| sum + v);
    }
    if n <= BLOCK {
        let mut partial: [f64; 8] = std::array::from_fn(|k| values[k]);
        let whole = n - n % 8;
        for chunk in values[8..whole].chunks_exact(8) {
            for (acc, v) in partial.iter_mut().zip(chunk) {
                *acc += v;
            }
        }
        let mut sum = ((partial[0] + partial[1]) + (partial[2] + partial[3]))
            + ((partial[4] + partial[5]) + (partial[6] + partial[7]));
        for v in &values[whole..] {
            sum += v;
        }
        return sum;
    }
    let half = n / 2;
    let half = half - half % 8;
    numpy_sum(&values[..half]) + numpy_sum(&values[half..])
}

/// `numpy.mean`: NaN for an empty slice.
pub fn numpy_mean(values: &[f64]) -> f64 {
    numpy_sum(values) / values.len() as f64
}

/// `numpy.quantile(values, q)` with the default linear method.
/// `sorted` must be sorted ascending and non-empty.
pub fn numpy_quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let virtual_index = (n - 1) as f64 * q;
    if virtual_index >= (n - 1) as f64 {
        return sorted[n - 1];
    }
    if virtual_index < 0.0 {
        return sorted[0];
    }
    let previous = virtual_index.floor();
    let gamma = virtual_index - previous;
    let below = sorted[previous as usize];
    let above = sorted[previous as usize + 1];
    let difference = above - below;
    if gamma >= 0.5 {
        above - difference * (1.0 - gamma)
    } else {
        below + difference * gamma
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_sum_differs_from_naive_like_numpy() {
        // numpy.sum([0.1] * 10) == 1.0, while a left-to-right sum gives 0.9999999999999999.
        let values = [0.1; 10];
        assert_eq!(numpy_sum(&values), 1.0);
        assert_ne!(values.iter().fold(0.0, |s, v| s + v), 1.0);
    }

    #[test]
    fn mean_of_nothing_is_nan() {
        assert!(numpy_mean(&[]).is_nan());
    }

    #[test]
    fn quantiles_interpolate_linearly() {
        let sorted = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(numpy_quantile_sorted(&sorted, 0.0), 1.0);
        assert_eq!(numpy_quantile_sorted(&sorted, 1.0), 8.0);
        assert_eq!(numpy_quantile_sorted(&sorted, 0.5), 3.0);
        // numpy.quantile([1, 2, 4, 8], 1/3) == 2.0 exactly: index 1.0.
        assert_eq!(numpy_quantile_sorted(&sorted, 1.0 / 3.0), 2.0);
        assert_eq!(numpy_quantile_sorted(&[5.0], 0.25), 5.0);
    }
}
