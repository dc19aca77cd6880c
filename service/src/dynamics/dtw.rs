//! FastDTW (Salvador & Chan) with radius 1 and point distance `|a - b|`.
//!
//! This is an approximation of dynamic time warping: the path found on series
//! coarsened by half, widened by the radius, bounds the search on the finer
//! level. Merge decisions depend on the approximate distance, so the
//! coarsening, the window expansion and the tie-breaking between equal-cost
//! predecessors (up, then left, then diagonal) follow the reference
//! `fastdtw` package exactly.

const RADIUS: usize = 1;

/// Approximate DTW distance between `x` and `y` with radius 1.
pub fn fastdtw(x: &[f64], y: &[f64]) -> f64 {
    if x.is_empty() || y.is_empty() {
        // The reference returns 0 for two empty series; one empty series has no path.
        return if x.is_empty() && y.is_empty() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    level(x, y).distance
}

/// The result of one level: its distance and, per row of `x`, the first and
/// last column of `y` that the warping path visits.
struct Level {
    distance: f64,
    path_columns: Vec<(usize, usize)>,
}

fn level(x: &[f64], y: &[f64]) -> Level {
    let min_size = RADIUS + 2;
    if x.len() < min_size || y.len() < min_size {
        let window = Window::full(x.len(), y.len());
        return window.dtw(x, y);
    }
    let coarse = level(&halve(x), &halve(y));
    let window = Window::around(&coarse.path_columns, x.len(), y.len());
    window.dtw(x, y)
}

/// Averages consecutive pairs; an odd last sample is dropped.
fn halve(x: &[f64]) -> Vec<f64> {
    x.chunks_exact(2).map(|pair| (pair[0] + pair[1]) / 2.0).collect()
}

/// The cells searched, one contiguous column range `[lo, hi]` per row.
struct Window {
    rows: Vec<(usize, usize)>,
    len_y: usize,
}

impl Window {
    fn full(len_x: usize, len_y: usize) -> Self {
        Self {
            rows: vec![(0, len_y - 1); len_x],
            len_y,
        }
    }

    /// Projects a coarse path onto the finer grid: every coarse path cell
    /// grown by the radius in both directions, each coarse cell covering a
    /// 2x2 block of fine cells.
    fn around(coarse_path: &[(usize, usize)], len_x: usize, len_y: usize) -> Self {
        let coarse_rows = coarse_path.len();
        let mut rows = Vec::with_capacity(len_x);
        let mut previous_lo = 0;
        for fine_row in 0..len_x {
            let coarse_row = fine_row / 2;
            let first = coarse_row.saturating_sub(RADIUS);
            let last = (coarse_row + RADIUS).min(coarse_rows.saturating_sub(1));
            let (mut lo, mut hi) = (usize::MAX, 0);
            for &(path_lo, path_hi) in coarse_path.get(first..=last).unwrap_or(&[]) {
                lo = lo.min(path_lo);
                hi = hi.max(path_hi);
            }
            let fine_lo = 2 * lo.saturating_sub(RADIUS);
            let fine_hi = (2 * (hi + RADIUS) + 1).min(len_y - 1);
            // Rows are scanned from the previous row's first column onwards.
            let fine_lo = fine_lo.max(previous_lo).min(len_y - 1);
            previous_lo = fine_lo;
            rows.push((fine_lo, fine_hi.max(fine_lo)));
        }
        Self { rows, len_y }
    }

    fn dtw(&self, x: &[f64], y: &[f64]) -> Level {
        const UP: u8 = 0;
        const LEFT: u8 = 1;
        const DIAGONAL: u8 = 2;

        let mut offsets = Vec::with_capacity(self.rows.len() + 1);
        let mut total = 0;
        for &(lo, hi) in &self.rows {
            offsets.push(total);
            total += hi - lo + 1;
        }
        offsets.push(total);
        let mut cost = vec![f64::INFINITY; total];
        let mut step = vec![UP; total];

        for (i, &(lo, hi)) in self.rows.iter().enumerate() {
            let previous = i.checked_sub(1).map(|p| (self.rows[p], offsets[p]));
            let cost_at = |cost: &[f64], row: Option<((usize, usize), usize)>, j: usize| match row {
                Some(((plo, phi), offset)) if (plo..=phi).contains(&j) => cost[offset + j - plo],
                _ => f64::INFINITY,
            };
            for j in lo..=hi {
                let distance = (x[i] - y[j]).abs();
                let here = offsets[i] + j - lo;
                let up = cost_at(&cost, previous, j);
                let left = if j > lo {
                    cost[here - 1]
                } else {
                    f64::INFINITY
                };
                let diagonal = match (i, j) {
                    (0, 0) => 0.0,
                    (_, 0) => f64::INFINITY,
                    _ => cost_at(&cost, previous, j - 1),
                };
                let (mut best, mut choice) = (up + distance, UP);
                if left + distance < best {
                    (best, choice) = (left + distance, LEFT);
                }
                if diagonal + distance < best {
                    (best, choice) = (diagonal + distance, DIAGONAL);
                }
                cost[here] = best;
                step[here] = choice;
            }
        }

        let last_row = self.rows.len() - 1;
        let last_col = self.len_y - 1;
        let (lo, _) = self.rows[last_row];
        let distance = cost[offsets[last_row] + last_col - lo];

        let mut path_columns = vec![(usize::MAX, 0); self.rows.len()];
        let (mut i, mut j) = (last_row, last_col);
        loop {
            let (lo, min_max) = (self.rows[i].0, &mut path_columns[i]);
            min_max.0 = min_max.0.min(j);
            min_max.1 = min_max.1.max(j);
            if i == 0 && j == 0 {
                break;
            }
            match step[offsets[i] + j - lo] {
                UP if i > 0 => i -= 1,
                LEFT if j > 0 => j -= 1,
                DIAGONAL if i > 0 && j > 0 => {
                    i -= 1;
                    j -= 1;
                }
                // Unreachable for a finite distance; stop rather than wrap around.
                _ => break,
            }
        }
        Level {
            distance,
            path_columns,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_example() {
        // fastdtw.fastdtw([1, 2, 3, 4, 5], [2, 3, 4]) == (2.0, ...)
        assert_eq!(fastdtw(&[1.0, 2.0, 3.0, 4.0, 5.0], &[2.0, 3.0, 4.0]), 2.0);
    }

    #[test]
    fn identical_series_have_zero_distance() {
        let x: Vec<f64> = (0..100).map(|k| (k as f64 * 0.3).sin()).collect();
        assert_eq!(fastdtw(&x, &x), 0.0);
    }

    #[test]
    fn is_an_upper_bound_of_exact_dtw() {
        let x: Vec<f64> = (0..60).map(|k| (k as f64 * 0.21).sin() * 3.0).collect();
        let y: Vec<f64> = (0..45).map(|k| (k as f64 * 0.33 + 1.0).cos() * 2.0).collect();
        let exact = Window::full(x.len(), y.len()).dtw(&x, &y).distance;
        let approx = fastdtw(&x, &y);
        assert!(approx >= exact - 1e-12, "{approx} < {exact}");
        assert!(approx.is_finite());
    }

    #[test]
    fn empty_inputs() {
        assert_eq!(fastdtw(&[], &[]), 0.0);
        assert!(fastdtw(&[1.0], &[]).is_infinite());
    }
}
