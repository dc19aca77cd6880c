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
    FastDtw::default().distance(x, y)
}

/// Reusable buffers for repeated [`fastdtw`] calls (merging makes millions).
#[derive(Debug, Default)]
pub struct FastDtw {
    /// Coarsened copies of the inputs, finest first (level 0 is not stored).
    pyramid: Vec<(Vec<f64>, Vec<f64>)>,
    window: Vec<(usize, usize)>,
    offsets: Vec<usize>,
    cost: Vec<f64>,
    step: Vec<u8>,
    /// Per row of the last level computed: first and last column on the path.
    path: Vec<(usize, usize)>,
}

const UP: u8 = 0;
const LEFT: u8 = 1;
const DIAGONAL: u8 = 2;

impl FastDtw {
    /// Approximate DTW distance between `x` and `y` with radius 1.
    pub fn distance(&mut self, x: &[f64], y: &[f64]) -> f64 {
        if x.is_empty() || y.is_empty() {
            // The reference returns 0 for two empty series; one empty series has no path.
            return if x.is_empty() && y.is_empty() {
                0.0
            } else {
                f64::INFINITY
            };
        }
        let min_size = RADIUS + 2;
        let mut levels = 0;
        loop {
            if self.pyramid.len() <= levels {
                self.pyramid.push((Vec::new(), Vec::new()));
            }
            let (done, rest) = self.pyramid.split_at_mut(levels);
            let (cx, cy) = match done.last() {
                None => (x, y),
                Some((cx, cy)) => (cx.as_slice(), cy.as_slice()),
            };
            if cx.len() < min_size || cy.len() < min_size {
                break;
            }
            let (hx, hy) = &mut rest[0];
            halve_into(cx, hx);
            halve_into(cy, hy);
            levels += 1;
        }

        // Full DTW on the coarsest level, then each finer level searches only
        // around the path found one level up.
        let mut distance = f64::INFINITY;
        for level in (0..=levels).rev() {
            let pyramid = std::mem::take(&mut self.pyramid);
            let (lx, ly) = match level {
                0 => (x, y),
                k => (pyramid[k - 1].0.as_slice(), pyramid[k - 1].1.as_slice()),
            };
            if level == levels {
                self.window.clear();
                self.window.resize(lx.len(), (0, ly.len() - 1));
            } else {
                self.expand_window(lx.len(), ly.len());
            }
            distance = self.dtw(lx, ly);
            self.pyramid = pyramid;
        }
        distance
    }

    /// Projects the coarse path onto the finer grid: every coarse path cell
    /// grown by the radius in both directions, each coarse cell covering a
    /// 2x2 block of fine cells, one contiguous column range per row.
    fn expand_window(&mut self, len_x: usize, len_y: usize) {
        let coarse_rows = self.path.len();
        self.window.clear();
        let mut previous_lo = 0;
        for fine_row in 0..len_x {
            let coarse_row = fine_row / 2;
            let first = coarse_row.saturating_sub(RADIUS);
            let last = (coarse_row + RADIUS).min(coarse_rows.saturating_sub(1));
            let (mut lo, mut hi) = (usize::MAX, 0);
            for &(path_lo, path_hi) in self.path.get(first..=last).unwrap_or(&[]) {
                lo = lo.min(path_lo);
                hi = hi.max(path_hi);
            }
            if lo > hi {
                // No coarse path (cannot happen after a DTW pass): search the whole row.
                (lo, hi) = (0, len_y);
            }
            let fine_lo = lo.saturating_sub(RADIUS).saturating_mul(2);
            let fine_hi = (hi + RADIUS)
                .saturating_mul(2)
                .saturating_add(1)
                .min(len_y - 1);
            // Rows are scanned from the previous row's first column onwards.
            let fine_lo = fine_lo.max(previous_lo).min(len_y - 1);
            previous_lo = fine_lo;
            self.window.push((fine_lo, fine_hi.max(fine_lo)));
        }
    }

    /// DTW restricted to the window; records the path per row in `self.path`.
    /// Equal costs prefer the step from above, then from the left, then the diagonal.
    fn dtw(&mut self, x: &[f64], y: &[f64]) -> f64 {
        self.offsets.clear();
        let mut total = 0;
        for &(lo, hi) in &self.window {
            self.offsets.push(total);
            total += hi - lo + 1;
        }
        self.cost.clear();
        self.cost.resize(total, f64::INFINITY);
        self.step.clear();
        self.step.resize(total, UP);

        for (i, &(lo, hi)) in self.window.iter().enumerate() {
            let row_offset = self.offsets[i];
            // Earlier rows are read-only while this row is filled.
            let (earlier, row_cost) = self.cost.split_at_mut(row_offset);
            let row_step = &mut self.step[row_offset..];
            // Rows start at or after the previous row's first column, so the
            // cells above are `previous[j - previous_lo]` when in range.
            let (previous_lo, previous) = match i.checked_sub(1) {
                Some(p) => {
                    let (plo, phi) = self.window[p];
                    let offset = self.offsets[p];
                    (plo, &earlier[offset..=offset + phi - plo])
                }
                None => (0, &[][..]),
            };
            let xi = x[i];
            let mut left = f64::INFINITY;
            let cells = y[lo..=hi]
                .iter()
                .zip(row_cost.iter_mut().zip(row_step.iter_mut()));
            for (j, (&yj, (cost, step))) in (lo..).zip(cells) {
                let distance = (xi - yj).abs();
                let up = previous
                    .get(j.wrapping_sub(previous_lo))
                    .copied()
                    .unwrap_or(f64::INFINITY);
                let diagonal = if i == 0 {
                    if j == 0 {
                        0.0
                    } else {
                        f64::INFINITY
                    }
                } else {
                    previous
                        .get(j.wrapping_sub(previous_lo + 1))
                        .copied()
                        .unwrap_or(f64::INFINITY)
                };
                let (mut best, mut choice) = (up + distance, UP);
                if left + distance < best {
                    (best, choice) = (left + distance, LEFT);
                }
                if diagonal + distance < best {
                    (best, choice) = (diagonal + distance, DIAGONAL);
                }
                *cost = best;
                *step = choice;
                left = best;
            }
        }

        let last_row = self.window.len() - 1;
        let last_col = y.len() - 1;
        let distance = self.cost[self.offsets[last_row] + last_col - self.window[last_row].0];

        self.path.clear();
        self.path.resize(self.window.len(), (usize::MAX, 0));
        let (mut i, mut j) = (last_row, last_col);
        loop {
            let columns = &mut self.path[i];
            columns.0 = columns.0.min(j);
            columns.1 = columns.1.max(j);
            if i == 0 && j == 0 {
                break;
            }
            match self.step[self.offsets[i] + j - self.window[i].0] {
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
        distance
    }
}

/// Averages consecutive pairs into `out`; an odd last sample is dropped.
fn halve_into(x: &[f64], out: &mut Vec<f64>) {
    out.clear();
    out.extend(x.chunks_exact(2).map(|pair| (pair[0] + pair[1]) / 2.0));
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
        let y: Vec<f64> = (0..45)
            .map(|k| (k as f64 * 0.33 + 1.0).cos() * 2.0)
            .collect();
        let mut exact_dtw = FastDtw {
            window: vec![(0, y.len() - 1); x.len()],
            ..FastDtw::default()
        };
        let exact = exact_dtw.dtw(&x, &y);
        let approx = fastdtw(&x, &y);
        assert!(approx >= exact - 1e-12, "{approx} < {exact}");
        assert!(approx.is_finite());
    }

    #[test]
    fn reusing_buffers_gives_the_same_distances() {
        let mut reused = FastDtw::default();
        for len in [3, 7, 40, 5, 64, 2] {
            let x: Vec<f64> = (0..len).map(|k| (k as f64 * 0.7).sin()).collect();
            let y: Vec<f64> = (0..len).map(|k| (k as f64 * 0.4).cos()).collect();
            assert_eq!(reused.distance(&x, &y), fastdtw(&x, &y), "len {len}");
        }
    }

    #[test]
    fn empty_inputs() {
        assert_eq!(fastdtw(&[], &[]), 0.0);
        assert!(fastdtw(&[1.0], &[]).is_infinite());
    }
}
