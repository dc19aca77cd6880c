//! Slicing a filtered series into trend segments and measuring their slopes.
//!
//! Segments are described by their boundaries: `starts[k]..starts[k + 1]` is
//! segment `k`, and the last boundary is the series length.

use ndarray::ArrayView1;

/// `pct_change` with the first value 0, as pandas' `pct_change().fillna(0)`.
pub fn pct_change(values: ArrayView1<'_, f64>) -> Vec<f64> {
    let mut out = Vec::with_capacity(values.len());
    if values.is_empty() {
        return out;
    }
    out.push(0.0);
    for pair in values.windows(2) {
        out.push(pair[1] / pair[0] - 1.0);
    }
    out
}

/// Boundaries wherever the filtered return changes sign: 0, every `i + 1`
/// with `pct[i] * pct[i + 1] < 0`, and the series length.
pub fn turning_points(pct: &[f64]) -> Vec<usize> {
    let mut points = vec![0];
    points.extend(
        pct.windows(2)
            .enumerate()
            .filter(|(_, pair)| pair[0] * pair[1] < 0.0)
            .map(|(i, _)| i + 1),
    );
    if points.last() != Some(&pct.len()) {
        points.push(pct.len());
    }
    points
}

/// Drops boundaries that would leave a segment shorter than `min_length`:
/// a boundary starts a new segment only if the current one is already at
/// least `min_length` long, and once fewer than `min_length` samples remain
/// after a boundary, the rest joins the current segment.
pub fn enforce_min_length(points: &[usize], min_length: usize) -> Vec<usize> {
    let (Some(&first), Some(&end)) = (points.first(), points.last()) else {
        return points.to_vec();
    };
    if points.len() < 3 {
        return points.to_vec();
    }
    let mut kept = vec![first];
    let mut current_start = first;
    for &point in &points[1..points.len() - 1] {
        if end.saturating_sub(point + 1) < min_length {
            break;
        }
        if point.saturating_sub(current_start) >= min_length {
            kept.push(point);
            current_start = point;
        }
    }
    if end != first {
        kept.push(end);
    }
    kept
}

/// Least-squares slope of `values` against their index, as a percentage of
/// the first value per step: `100 * slope / values[0]`.
pub fn normalized_slope(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 2 {
        return 0.0;
    }
    let mean_y = values.iter().sum::<f64>() / n as f64;
    let mean_x = (n - 1) as f64 / 2.0;
    let mut sxy = 0.0;
    let mut sxx = 0.0;
    for (k, y) in values.iter().enumerate() {
        let dx = k as f64 - mean_x;
        sxy += dx * (y - mean_y);
        sxx += dx * dx;
    }
    100.0 * (sxy / sxx) / values[0]
}

/// Normalized slopes of consecutive segments given their boundaries.
pub fn segment_slopes(filtered: &[f64], boundaries: &[usize]) -> Vec<f64> {
    boundaries
        .windows(2)
        .map(|pair| normalized_slope(&filtered[pair[0]..pair[1]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn pct_change_starts_at_zero() {
        let pct = pct_change(array![2.0, 3.0, 1.5].view());
        assert_eq!(pct, vec![0.0, 0.5, -0.5]);
    }

    #[test]
    fn turning_points_at_sign_changes_only() {
        // Rises, rises, falls, flat (zero), falls, rises.
        let pct = [0.0, 0.1, 0.2, -0.1, 0.0, -0.3, 0.2];
        assert_eq!(turning_points(&pct), vec![0, 3, 6, 7]);
    }

    #[test]
    fn min_length_merges_short_segments_and_folds_the_tail() {
        let points = [0, 2, 5, 6, 11, 13, 15];
        // 2 is too close to 0; 5 starts a segment; 6 is too close to 5; after 11
        // only 15 - 11 - 1 = 3 < 4 samples remain, so the tail joins the segment at 5.
        assert_eq!(enforce_min_length(&points, 4), vec![0, 5, 15]);
        assert_eq!(enforce_min_length(&points, 3), vec![0, 5, 11, 15]);
        assert_eq!(enforce_min_length(&points, 0), points.to_vec());
    }

    #[test]
    fn slope_of_a_line_is_exact() {
        let values: Vec<f64> = (0..10).map(|k| 50.0 + 2.0 * k as f64).collect();
        assert!((normalized_slope(&values) - 4.0).abs() < 1e-12);
        assert_eq!(normalized_slope(&[7.0]), 0.0);
    }
}
