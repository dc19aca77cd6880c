//! TradeMaster's evaluation metrics of an account value series.
//!
//! With `A` the account values and `r_t = A_{t+1}/A_t - 1` (standard deviations with ddof 0):
//!
//! | metric | formula |
//! |---|---|
//! | total return | `A_T/A_0 - 1` |
//! | Sharpe ratio | `mean(r) * sqrt(252) / std(r)` |
//! | volatility | `std(r)` |
//! | max drawdown | `max_t (peak_t - A_t)/peak_t`, `peak_t` the running maximum |
//! | Calmar ratio | `sum(r) / mdd` |
//! | Sortino ratio | `sum(r) / std(r[r<0]) / sqrt(n + 1)`, `n` the number of returns |
//!
//! The Sortino divisor is `sqrt(n + 1)` because TradeMaster keeps its return list as
//! `[0, r_1, ..., r_n]` (a leading 0 for the first day) and divides by the square root of
//! that list's length; the other metrics match it on the returns alone.
//!
//! Degenerate cases give 0 rather than infinities or NaN, so results stay valid JSON:
//! fewer than two values → every metric 0; `std(r) = 0` → Sharpe 0; no drawdown → Calmar 0;
//! fewer than two negative returns (so `std(r[r<0]) = 0`) → Sortino 0; a return after an
//! account value of 0 or less counts as 0. (The original added 1e-10 to each denominator,
//! which turns these cases into numbers of order 1e8.)

use serde::{Deserialize, Serialize};

/// Trading days per year used to annualise the Sharpe ratio.
pub const PERIODS_PER_YEAR: f64 = 252.0;

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Metrics {
    pub total_return: f64,
    pub sharpe_ratio: f64,
    pub volatility: f64,
    pub max_drawdown: f64,
    pub calmar_ratio: f64,
    pub sortino_ratio: f64,
}

/// `r_t = A_{t+1}/A_t - 1`; 0 where `A_t <= 0`.
pub fn returns(account: &[f64]) -> Vec<f64> {
    account
        .windows(2)
        .map(|w| if w[0] > 0.0 { w[1] / w[0] - 1.0 } else { 0.0 })
        .collect()
}

pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

/// Population standard deviation (ddof 0).
pub fn std(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    let m = mean(xs);
    (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / xs.len() as f64).sqrt()
}

/// Largest fall from the running peak, as a fraction of the peak.
pub fn max_drawdown(account: &[f64]) -> f64 {
    let mut peak = f64::NEG_INFINITY;
    let mut worst: f64 = 0.0;
    for &a in account {
        peak = peak.max(a);
        if peak > 0.0 {
            worst = worst.max((peak - a) / peak);
        }
    }
    worst
}

fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator > 0.0 && denominator.is_finite() {
        numerator / denominator
    } else {
        0.0
    }
}

impl Metrics {
    pub fn of(account: &[f64]) -> Metrics {
        if account.len() < 2 || account[0] <= 0.0 {
            return Metrics::default();
        }
        let r = returns(account);
        Self::from_parts(
            account[account.len() - 1] / account[0] - 1.0,
            &r,
            max_drawdown(account),
        )
    }

    /// Metrics from a total return, the per-step returns and a max drawdown.
    pub(crate) fn from_parts(total_return: f64, r: &[f64], mdd: f64) -> Metrics {
        let vol = std(r);
        let sum: f64 = r.iter().sum();
        let negative: Vec<f64> = r.iter().copied().filter(|x| *x < 0.0).collect();
        Metrics {
            total_return,
            sharpe_ratio: ratio(mean(r) * PERIODS_PER_YEAR.sqrt(), vol),
            volatility: vol,
            max_drawdown: mdd,
            calmar_ratio: ratio(sum, mdd),
            sortino_ratio: ratio(ratio(sum, std(&negative)), (r.len() as f64 + 1.0).sqrt()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn hand_computed_series() {
        // A = 100, 110, 99, 108.9: r = 0.1, -0.1, 0.1.
        let m = Metrics::of(&[100.0, 110.0, 99.0, 108.9]);
        assert!(close(m.total_return, 0.089));
        let mean_r = 0.1 / 3.0;
        let std_r = ((2.0 * (0.1f64 - mean_r).powi(2) + (-0.1f64 - mean_r).powi(2)) / 3.0).sqrt();
        assert!(close(m.volatility, std_r));
        assert!(close(m.sharpe_ratio, mean_r * 252f64.sqrt() / std_r));
        assert!(close(m.max_drawdown, 0.1));
        assert!(close(m.calmar_ratio, 0.1 / 0.1));
        // one negative return: std of it is 0, Sortino degenerates to 0.
        assert_eq!(m.sortino_ratio, 0.0);
    }

    #[test]
    fn three_returns_with_two_losses() {
        // A = 100, 90, 135, 108: r = -0.1, 0.5, -0.2; sum 0.2, mean 1/15.
        let m = Metrics::of(&[100.0, 90.0, 135.0, 108.0]);
        assert!(close(m.total_return, 0.08));
        // Deviations -1/6, 13/30, -4/15: squares sum to 258/900, so var = 86/900 = 43/450.
        let vol = (43.0f64 / 450.0).sqrt();
        assert!(close(m.volatility, vol));
        assert!(close(m.sharpe_ratio, (1.0 / 15.0) * 252f64.sqrt() / vol));
        // Peak 100 then 90 (0.1), peak 135 then 108 (0.2): the larger one counts.
        assert!(close(m.max_drawdown, 0.2));
        assert!(close(m.calmar_ratio, 1.0));
        // std(-0.1, -0.2) = 0.05; 0.2 / 0.05 = 4; divided by sqrt(3 + 1) = 2.
        assert!(close(m.sortino_ratio, 2.0));
    }

    #[test]
    fn eight_returns_with_a_flat_step() {
        // r = -0.2, 0.25, -0.1, 0.1, 0, 0.2, -0.2, 0.1; sum 0.15, mean 0.01875.
        let account = [100.0, 80.0, 100.0, 90.0, 99.0, 99.0, 118.8, 95.04, 104.544];
        let m = Metrics::of(&account);
        assert!(close(m.total_return, 0.04544));
        // mean(r^2) = 0.2125 / 8 = 0.0265625; var = 0.0265625 - 0.01875^2.
        let vol = 0.026_210_937_5f64.sqrt();
        assert!(close(m.volatility, vol));
        assert!(close(m.sharpe_ratio, 0.01875 * 252f64.sqrt() / vol));
        // 100 -> 80 and 118.8 -> 95.04 both fall 20 %.
        assert!(close(m.max_drawdown, 0.2));
        assert!(close(m.calmar_ratio, 0.75));
        // Losses -0.2, -0.1, -0.2: var 1/450; 0.15 * sqrt(450) / sqrt(8 + 1).
        assert!(close(m.sortino_ratio, 0.05 * 450f64.sqrt()));
        assert!(close(m.sortino_ratio, 1.060_660_171_779_821_6));
    }

    #[test]
    fn sortino_divides_by_one_more_than_the_number_of_returns() {
        // The original's return list starts with a 0: its length is n + 1, not n.
        let m = Metrics::of(&[100.0, 90.0, 135.0, 108.0]);
        let without_leading_zero = 0.2 / 0.05 / 3f64.sqrt();
        assert!(!close(m.sortino_ratio, without_leading_zero));
        assert!(close(
            m.sortino_ratio / without_leading_zero,
            (3.0f64 / 4.0).sqrt()
        ));
    }

    #[test]
    fn flat_account_is_all_zero() {
        assert_eq!(Metrics::of(&[5.0, 5.0, 5.0]), Metrics::default());
        assert_eq!(Metrics::of(&[5.0]), Metrics::default());
        assert_eq!(Metrics::of(&[]), Metrics::default());
    }

    #[test]
    fn rising_account_has_no_drawdown_and_zero_calmar() {
        let m = Metrics::of(&[1.0, 2.0, 4.0]);
        assert!(close(m.total_return, 3.0));
        assert_eq!(m.volatility, 0.0);
        assert_eq!(m.sharpe_ratio, 0.0);
        assert_eq!(m.max_drawdown, 0.0);
        assert_eq!(m.calmar_ratio, 0.0);
        assert_eq!(m.sortino_ratio, 0.0);
    }

    #[test]
    fn ruin_does_not_produce_nan() {
        let m = Metrics::of(&[100.0, 0.0, 0.0]);
        assert!(close(m.total_return, -1.0));
        assert!(close(m.max_drawdown, 1.0));
        for v in [
            m.sharpe_ratio,
            m.volatility,
            m.calmar_ratio,
            m.sortino_ratio,
        ] {
            assert!(v.is_finite());
        }
    }
}
