//! Radar scores of TradeMaster's dynamics test: how an agent does on the market segments of
//! one dynamics label, scaled against two reference policies.
//!
//! Per metric, the do-nothing policy scores 0 and the blind-bid policy 50, on a scale that
//! assumes the metric is normally distributed across policies: the 50 mark sits at the 75th
//! percentile, 0.675 standard deviations from do-nothing. So with `Φ` the standard normal CDF,
//! `z` the do-nothing value and `f` the blind-bid value:
//!
//! * profit metrics (total return, excess profit, Sharpe, Calmar, Sortino), higher is better:
//!   `σ = |z - f| / 0.675` and `score = 200·Φ((x - z)/σ) - 100`;
//! * risk metrics (volatility, max drawdown), lower is better, and do-nothing (no risk at all)
//!   sits at 3σ, scoring `200·Φ(3) - 100 ≈ 99.73`: `σ = |z - f| / (3 - 0.675)` and
//!   `score = 200·Φ(3 - (x - z)/σ) - 100`, so blind-bid again scores ≈ 50.
//!
//! (`Φ(0.675) = 0.7502`, so blind-bid scores 50.03, as in the original.) Where blind-bid did
//! worse than do-nothing on a profit metric it scores -50 instead, since `σ` takes the
//! absolute difference. Profitability is the
//! mean of the total-return, Sharpe, Calmar and Sortino scores; risk control the mean of the
//! volatility and max-drawdown scores. Scores lie in (-100, 100).
//!
//! Over several segments, metrics combine as in the original: total return, excess profit
//! (total return in percent), max drawdown and Calmar are averaged over segments; Sharpe,
//! volatility and Sortino use the per-step returns of all segments together. One difference:
//! drawdown uses the running peak everywhere (the original's per-segment drawdown took the
//! segment's overall maximum as the peak).
//!
//! Degenerate case: when both references have the same value (`σ = 0`), an equal value scores
//! as at `x = z`, a better one 100 and a worse one -100.

use serde::{Deserialize, Serialize};

use super::metrics::{self, Metrics};

/// Standard deviations between do-nothing and blind-bid on the profit scale (75th percentile).
const FIFTY_SIGMA: f64 = 0.675;
/// Where do-nothing sits on the risk scale.
const RISK_ZERO_SIGMA: f64 = 3.0;

/// Metrics of one policy over the segments of a dynamics label.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SegmentMetrics {
    /// Mean total return in percent (the original's "Excess Profit" over zero).
    pub excess_profit: f64,
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// Radar scores, each in (-100, 100).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct RadarScores {
    pub excess_profit: f64,
    pub total_return: f64,
    pub sharpe_ratio: f64,
    pub calmar_ratio: f64,
    pub sortino_ratio: f64,
    pub volatility: f64,
    pub max_drawdown: f64,
    pub profitability: f64,
    pub risk_control: f64,
}

/// Combines the account series of several segments into one set of metrics.
pub fn segment_metrics(accounts: &[Vec<f64>]) -> SegmentMetrics {
    let usable: Vec<&Vec<f64>> = accounts.iter().filter(|a| a.len() >= 2).collect();
    if usable.is_empty() {
        return SegmentMetrics::default();
    }
    let per: Vec<Metrics> = usable.iter().map(|a| Metrics::of(a)).collect();
    let avg = |f: fn(&Metrics) -> f64| per.iter().map(f).sum::<f64>() / per.len() as f64;
    let all_returns: Vec<f64> = usable.iter().flat_map(|a| metrics::returns(a)).collect();
    let merged = Metrics::from_parts(
        avg(|m| m.total_return),
        &all_returns,
        avg(|m| m.max_drawdown),
    );
    SegmentMetrics {
        excess_profit: avg(|m| m.total_return) * 100.0,
        metrics: Metrics {
            calmar_ratio: avg(|m| m.calmar_ratio),
            ..merged
        },
    }
}

/// Scores `agent` against the do-nothing (`zero`) and blind-bid (`fifty`) references.
pub fn radar_scores(
    agent: &SegmentMetrics,
    zero: &SegmentMetrics,
    fifty: &SegmentMetrics,
) -> RadarScores {
    let profit = |x: f64, z: f64, f: f64| scaled(z_score(x - z, (z - f).abs() / FIFTY_SIGMA));
    let risk = |x: f64, z: f64, f: f64| {
        let sigma = (z - f).abs() / (RISK_ZERO_SIGMA - FIFTY_SIGMA);
        scaled(RISK_ZERO_SIGMA - z_score(x - z, sigma))
    };
    let (a, z, f) = (&agent.metrics, &zero.metrics, &fifty.metrics);
    let total_return = profit(a.total_return, z.total_return, f.total_return);
    let sharpe_ratio = profit(a.sharpe_ratio, z.sharpe_ratio, f.sharpe_ratio);
    let calmar_ratio = profit(a.calmar_ratio, z.calmar_ratio, f.calmar_ratio);
    let sortino_ratio = profit(a.sortino_ratio, z.sortino_ratio, f.sortino_ratio);
    let volatility = risk(a.volatility, z.volatility, f.volatility);
    let max_drawdown = risk(a.max_drawdown, z.max_drawdown, f.max_drawdown);
    RadarScores {
        excess_profit: profit(agent.excess_profit, zero.excess_profit, fifty.excess_profit),
        total_return,
        sharpe_ratio,
        calmar_ratio,
        sortino_ratio,
        volatility,
        max_drawdown,
        profitability: (total_return + sharpe_ratio + calmar_ratio + sortino_ratio) / 4.0,
        risk_control: (volatility + max_drawdown) / 2.0,
    }
}

/// `difference / sigma`, with ±∞ when sigma is 0 and the difference is not.
fn z_score(difference: f64, sigma: f64) -> f64 {
    if sigma > 0.0 {
        difference / sigma
    } else if difference == 0.0 {
        0.0
    } else {
        difference.signum() * f64::INFINITY
    }
}

fn scaled(z: f64) -> f64 {
    normal_cdf(z) * 200.0 - 100.0
}

/// Standard normal CDF: `(1 + erf(x/√2)) / 2`.
pub fn normal_cdf(x: f64) -> f64 {
    if x.is_infinite() {
        return if x > 0.0 { 1.0 } else { 0.0 };
    }
    0.5 * (1.0 + erf(x / std::f64::consts::SQRT_2))
}

/// Maclaurin series below 3 (accurate to about 1e-13 there, exactly 0 at 0); beyond, a
/// Chebyshev fit of erfc whose relative error (below 1.2e-7) is negligible next to 1.
fn erf(x: f64) -> f64 {
    let z = x.abs();
    if z < 3.0 {
        let mut term = z;
        let mut sum = z;
        let mut n = 0.0;
        while term.abs() > 1e-17 * sum.abs() {
            n += 1.0;
            term *= -z * z / n;
            sum += term / (2.0 * n + 1.0);
        }
        return x.signum() * sum * 2.0 / std::f64::consts::PI.sqrt();
    }
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    x.signum() * (1.0 - t * poly.exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_cdf_known_values() {
        assert_eq!(normal_cdf(0.0), 0.5);
        assert!((normal_cdf(0.675) - 0.750_162).abs() < 1e-6);
        assert!((normal_cdf(4.0) - 0.999_968_33).abs() < 1e-7);
        assert!((normal_cdf(1.96) - 0.975_002).abs() < 1e-6);
        assert!((normal_cdf(-1.0) - 0.158_655).abs() < 1e-6);
        assert!((normal_cdf(3.0) - 0.998_650).abs() < 1e-6);
    }

    fn references() -> (SegmentMetrics, SegmentMetrics) {
        let flat = vec![100.0; 20];
        let rising: Vec<f64> = (0..20)
            .map(|i| 100.0 * (1.0 + 0.01 * i as f64) * if i % 3 == 0 { 0.98 } else { 1.0 })
            .collect();
        (segment_metrics(&[flat]), segment_metrics(&[rising]))
    }

    #[test]
    fn references_score_zero_and_fifty() {
        let (zero, fifty) = references();
        let z = radar_scores(&zero, &zero, &fifty);
        assert!(z.profitability.abs() < 1e-6, "{z:?}");
        assert!((z.risk_control - 99.73).abs() < 0.01, "{z:?}");
        let f = radar_scores(&fifty, &zero, &fifty);
        for s in [
            f.total_return,
            f.sharpe_ratio,
            f.calmar_ratio,
            f.sortino_ratio,
            f.volatility,
            f.max_drawdown,
        ] {
            assert!((s - 50.03).abs() < 0.01, "{f:?}");
        }
    }

    #[test]
    fn better_agent_scores_higher() {
        let (zero, fifty) = references();
        let mut better = fifty;
        better.metrics.total_return *= 2.0;
        better.metrics.volatility *= 2.0;
        let s = radar_scores(&better, &zero, &fifty);
        assert!(s.total_return > 50.1 && s.total_return < 100.0);
        assert!(s.volatility < 49.9 && s.volatility > -100.0);
    }

    #[test]
    fn equal_references_do_not_divide_by_zero() {
        let zero = SegmentMetrics::default();
        let s = radar_scores(&zero, &zero, &zero);
        assert_eq!(s.total_return, 0.0);
        let mut up = zero;
        up.metrics.total_return = 0.1;
        assert_eq!(radar_scores(&up, &zero, &zero).total_return, 100.0);
    }

    #[test]
    fn segments_combine_like_the_original() {
        let a = vec![100.0, 110.0];
        let b = vec![100.0, 90.0, 99.0];
        let m = segment_metrics(&[a, b]);
        assert!((m.metrics.total_return - (0.1 + -0.01) / 2.0).abs() < 1e-12);
        assert!((m.excess_profit - 4.5).abs() < 1e-9);
        assert!((m.metrics.max_drawdown - 0.05).abs() < 1e-12);
        // volatility over the merged returns 0.1, -0.1, 0.1
        assert!((m.metrics.volatility - metrics::std(&[0.1, -0.1, 0.1])).abs() < 1e-12);
    }
}
