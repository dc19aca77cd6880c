//! Zero-phase Butterworth low-pass filtering, numerically equivalent to
//! `scipy.signal.butter(4, wn)` followed by `scipy.signal.filtfilt(b, a, x)`.
//!
//! The design follows the same path as SciPy (analog prototype, frequency
//! pre-warping, bilinear transform, zeros/poles/gain to transfer function) and
//! the filtering uses the same transposed direct form II recursion, odd
//! extension and steady-state initial conditions, so results agree with SciPy
//! to rounding error.

use ndarray::{s, Array1, ArrayView1};

/// Butterworth order used by the labeler.
pub const ORDER: usize = 4;

/// Samples added at each end by the odd extension: `3 * max(len(a), len(b))`.
pub const PAD_LEN: usize = 3 * (ORDER + 1);

/// The shortest series `filtfilt` accepts: it must be longer than the padding.
pub const MIN_SERIES_LEN: usize = PAD_LEN + 1;

/// Transfer-function coefficients `b` (numerator) and `a` (denominator, `a[0] == 1`).
#[derive(Debug, Clone, PartialEq)]
pub struct Coefficients {
    pub b: [f64; ORDER + 1],
    pub a: [f64; ORDER + 1],
}

/// Complex arithmetic with the same formulas NumPy uses, so the filter design
/// rounds the way SciPy's does.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Complex {
    re: f64,
    im: f64,
}

impl Complex {
    const fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }

    fn mul(self, other: Self) -> Self {
        Self::new(
            self.re * other.re - self.im * other.im,
            self.re * other.im + self.im * other.re,
        )
    }

    fn scale(self, factor: f64) -> Self {
        Self::new(self.re * factor, self.im * factor)
    }

    /// Smith's division, as in NumPy's complex divide loop.
    fn div(self, other: Self) -> Self {
        let (ar, ai, br, bi) = (self.re, self.im, other.re, other.im);
        if br.abs() >= bi.abs() {
            let rat = bi / br;
            let scl = 1.0 / (br + bi * rat);
            Self::new((ar + ai * rat) * scl, (ai - ar * rat) * scl)
        } else {
            let rat = br / bi;
            let scl = 1.0 / (bi + br * rat);
            Self::new((ar * rat + ai) * scl, (ai * rat - ar) * scl)
        }
    }
}

/// Designs the digital order-4 Butterworth low-pass filter with normalised
/// cutoff `wn` (1.0 is the Nyquist frequency). `wn` must lie in (0, 1).
pub fn butter_lowpass(wn: f64) -> Coefficients {
    const FS: f64 = 2.0;
    // Analog prototype poles: -exp(i*pi*m/(2N)) for m = -N+1, -N+3, ..., N-1.
    let prototype: Vec<Complex> = (0..ORDER)
        .map(|k| {
            let m = -(ORDER as f64) + 1.0 + 2.0 * k as f64;
            let theta = std::f64::consts::PI * m / (2.0 * ORDER as f64);
            Complex::new(-theta.cos(), -theta.sin())
        })
        .collect();

    let warped = 2.0 * FS * (std::f64::consts::PI * wn / FS).tan();
    let analog_poles: Vec<Complex> = prototype.iter().map(|p| p.scale(warped)).collect();
    let analog_gain = warped.powf(ORDER as f64);

    let fs2 = 2.0 * FS;
    let digital_poles: Vec<Complex> = analog_poles
        .iter()
        .map(|p| Complex::new(fs2 + p.re, p.im).div(Complex::new(fs2 - p.re, -p.im)))
        .collect();
    let denominator_product = analog_poles
        .iter()
        .map(|p| Complex::new(fs2 - p.re, -p.im))
        .reduce(Complex::mul)
        .unwrap_or(Complex::new(1.0, 0.0));
    let gain = analog_gain * Complex::new(1.0, 0.0).div(denominator_product).re;

    // All zeros sit at -1, so the numerator polynomial is binomial.
    let binomial = [1.0, 4.0, 6.0, 4.0, 1.0];
    let b = binomial.map(|c| gain * c);

    let mut poly = vec![Complex::new(1.0, 0.0)];
    for root in &digital_poles {
        let neg_root = Complex::new(-root.re, -root.im);
        let mut next = Vec::with_capacity(poly.len() + 1);
        next.push(poly[0]);
        for k in 1..poly.len() {
            let term = poly[k - 1].mul(neg_root);
            next.push(Complex::new(term.re + poly[k].re, term.im + poly[k].im));
        }
        if let Some(last) = poly.last() {
            next.push(last.mul(neg_root));
        }
        poly = next;
    }
    let mut a = [0.0; ORDER + 1];
    for (slot, coefficient) in a.iter_mut().zip(&poly) {
        *slot = coefficient.re;
    }
    Coefficients { b, a }
}

/// Steady-state initial conditions of [`lfilter`] for a unit step, like
/// `scipy.signal.lfilter_zi`: solves `(I - A^T) zi = b[1:] - a[1:] * b[0]`.
pub fn lfilter_zi(coefficients: &Coefficients) -> [f64; ORDER] {
    let Coefficients { b, a } = coefficients;
    let mut matrix = [[0.0; ORDER]; ORDER];
    for (row, values) in matrix.iter_mut().enumerate() {
        // I - companion(a)^T: companion's first row is -a[1:], its subdiagonal is ones.
        values[0] = a[row + 1];
        if row + 1 < ORDER {
            values[row + 1] -= 1.0;
        }
        values[row] += 1.0;
    }
    let rhs: [f64; ORDER] = std::array::from_fn(|k| b[k + 1] - a[k + 1] * b[0]);
    solve(matrix, rhs)
}

/// Gaussian elimination with partial pivoting (LAPACK `dgesv` order).
fn solve(mut m: [[f64; ORDER]; ORDER], mut rhs: [f64; ORDER]) -> [f64; ORDER] {
    for col in 0..ORDER {
        let pivot = (col..ORDER)
            .max_by(|&x, &y| m[x][col].abs().total_cmp(&m[y][col].abs()))
            .unwrap_or(col);
        m.swap(col, pivot);
        rhs.swap(col, pivot);
        let (upper, lower) = m.split_at_mut(col + 1);
        let pivot_row = &upper[col];
        let reciprocal = 1.0 / pivot_row[col];
        for row in lower.iter_mut() {
            row[col] *= reciprocal;
            let factor = row[col];
            for (value, above) in row[col + 1..].iter_mut().zip(&pivot_row[col + 1..]) {
                *value -= factor * above;
            }
        }
    }
    for row in 0..ORDER {
        for k in 0..row {
            rhs[row] -= m[row][k] * rhs[k];
        }
    }
    for row in (0..ORDER).rev() {
        for k in row + 1..ORDER {
            rhs[row] -= m[row][k] * rhs[k];
        }
        rhs[row] /= m[row][row];
    }
    rhs
}

/// Transposed direct form II filtering of `input` into `output` starting from
/// state `state`, with the operation order of SciPy's `lfilter`.
fn lfilter_into(
    coefficients: &Coefficients,
    input: impl Iterator<Item = f64>,
    mut state: [f64; ORDER],
    output: &mut Vec<f64>,
) {
    let Coefficients { b, a } = coefficients;
    for x in input {
        let y = state[0] + b[0] * x;
        for k in 0..ORDER - 1 {
            state[k] = state[k + 1] + x * b[k + 1] - y * a[k + 1];
        }
        state[ORDER - 1] = x * b[ORDER] - y * a[ORDER];
        output.push(y);
    }
}

/// Forward-backward filtering like `scipy.signal.filtfilt(b, a, x)` with its
/// defaults (odd extension of [`PAD_LEN`] samples, `lfilter_zi` initial state).
///
/// Returns `None` when the series has fewer than [`MIN_SERIES_LEN`] samples.
pub fn filtfilt(coefficients: &Coefficients, x: ArrayView1<'_, f64>) -> Option<Array1<f64>> {
    let n = x.len();
    if n < MIN_SERIES_LEN {
        return None;
    }
    let zi = lfilter_zi(coefficients);
    let first = x[0];
    let last = x[n - 1];
    let left = (1..=PAD_LEN).rev().map(|k| 2.0 * first - x[k]);
    let right = (n - 1 - PAD_LEN..n - 1).rev().map(|k| 2.0 * last - x[k]);
    let extended_first = 2.0 * first - x[PAD_LEN];
    let extended = left.chain(x.iter().copied()).chain(right);

    let mut forward = Vec::with_capacity(n + 2 * PAD_LEN);
    lfilter_into(
        coefficients,
        extended,
        zi.map(|z| z * extended_first),
        &mut forward,
    );
    let forward_last = forward[forward.len() - 1];
    let mut backward = Vec::with_capacity(forward.len());
    lfilter_into(
        coefficients,
        forward.iter().rev().copied(),
        zi.map(|z| z * forward_last),
        &mut backward,
    );
    backward.reverse();
    Some(Array1::from(backward).slice_move(s![PAD_LEN..PAD_LEN + n]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_matches_scipy_for_wn_two_sevenths() {
        // scipy.signal.butter(4, 2/7)
        let c = butter_lowpass(2.0 / 7.0);
        let b = [
            0.015_838_211_515_958_198,
            0.063_352_846_063_832_79,
            0.095_029_269_095_749_19,
            0.063_352_846_063_832_79,
            0.015_838_211_515_958_198,
        ];
        let a = [
            1.0,
            -1.683_822_559_904_134_5,
            1.395_556_151_479_118_2,
            -0.545_289_919_671_952_2,
            0.086_967_712_352_299_37,
        ];
        for k in 0..=ORDER {
            assert!((c.b[k] - b[k]).abs() < 1e-15, "b[{k}] = {}", c.b[k]);
            assert!((c.a[k] - a[k]).abs() < 1e-14, "a[{k}] = {}", c.a[k]);
        }
    }

    #[test]
    fn unit_dc_gain_keeps_a_constant_series_constant() {
        let c = butter_lowpass(1.0 / 12.0);
        let x = Array1::from_elem(40, 3.5);
        let y = filtfilt(&c, x.view()).unwrap();
        assert!(y.iter().all(|v| (v - 3.5).abs() < 1e-12), "{y}");
    }

    #[test]
    fn a_straight_line_passes_through_away_from_the_edges() {
        // A zero-phase low-pass keeps a ramp; the step-response initial state
        // leaves a small transient near the ends (scipy: 10.0000995 at row 0).
        let c = butter_lowpass(2.0 / 7.0);
        let x = Array1::from_iter((0..50).map(|k| 10.0 + 0.5 * k as f64));
        let y = filtfilt(&c, x.view()).unwrap();
        assert!((y[0] - 10.000_099_502_614_2).abs() < 1e-9, "{}", y[0]);
        for k in 15..35 {
            assert!((y[k] - x[k]).abs() < 1e-4, "row {k}: {} vs {}", y[k], x[k]);
        }
    }

    #[test]
    fn refuses_series_not_longer_than_the_padding() {
        let c = butter_lowpass(0.5);
        let x = Array1::from_elem(PAD_LEN, 1.0);
        assert!(filtfilt(&c, x.view()).is_none());
        let x = Array1::from_elem(MIN_SERIES_LEN, 1.0);
        assert!(filtfilt(&c, x.view()).is_some());
    }
}
