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
//! | Sortino ratio | `sum(r) / std(r[r<0]) / sqrt(n)`, `n` the number of returns |
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
            sortino_ratio: ratio(ratio(sum, std(&negative)), (r.len() as f64).sqrt()),
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
    fn sortino_with_two_losses() {
        // r = -0.1, 0.5, -0.2 ... A = 100, 90, 135, 108
        let m = Metrics::of(&[100.0, 90.0, 135.0, 108.0]);
        let sum = -0.1 + 0.5 - 0.2;
        let neg_std = 0.05; // std of (-0.1, -0.2)
        assert!(close(m.sortino_ratio, sum / neg_std / 3f64.sqrt()));
        // peak 135 then 108: drawdown 0.2 beats the earlier 0.1.
        assert!(close(m.max_drawdown, 0.2));
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
