//! Computes the TradeMaster features from prices where the source did not provide them.

use ndarray::{Array2, Array3};

use super::FEATURE_NAMES;

/// Window lengths of the `zd_k` features, in [`FEATURE_NAMES`] order after `zclose`.
const ZD_WINDOWS: [usize; 6] = [5, 10, 15, 20, 25, 30];

/// Fills every non-finite cell of `features` (`[date, tic, feature]`) from the prices.
pub(super) fn fill_missing(
    open: &Array2<f64>,
    high: &Array2<f64>,
    low: &Array2<f64>,
    close: &Array2<f64>,
    adjcp: &Array2<f64>,
    features: &mut Array3<f64>,
) {
    debug_assert_eq!(features.shape()[2], FEATURE_NAMES.len());
    let (dates, tics) = close.dim();
    for tic in 0..tics {
        let closes = close.column(tic);
        let adjusted = adjcp.column(tic);
        for t in 0..dates {
            let c = closes[t];
            let computed = |f: usize| -> f64 {
                match f {
                    0 => open[[t, tic]] / c - 1.0,
                    1 => high[[t, tic]] / c - 1.0,
                    2 => low[[t, tic]] / c - 1.0,
                    3 => adjcp[[t, tic]] / c - 1.0,
                    4 if t == 0 => 0.0,
                    4 => c / closes[t - 1] - 1.0,
                    _ => {
                        let k = ZD_WINDOWS[f - 5];
                        let from = (t + 1).saturating_sub(k);
                        let window = adjusted.slice(ndarray::s![from..=t]);
                        window.sum() / window.len() as f64 / adjusted[t] - 1.0
                    }
                }
            };
            for f in 0..FEATURE_NAMES.len() {
                if !features[[t, tic, f]].is_finite() {
                    features[[t, tic, f]] = computed(f);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn computes_each_feature_from_prices() {
        let close = array![[10.0], [11.0], [12.0], [9.0], [8.0], [10.0]];
        let open = &close * 1.1;
        let high = &close * 1.2;
        let low = &close * 0.9;
        let adjcp = &close * 0.5;
        let mut f = Array3::from_elem((6, 1, 11), f64::NAN);
        fill_missing(&open, &high, &low, &close, &adjcp, &mut f);
        assert!((f[[2, 0, 0]] - 0.1).abs() < 1e-12);
        assert!((f[[2, 0, 1]] - 0.2).abs() < 1e-12);
        assert!((f[[2, 0, 2]] + 0.1).abs() < 1e-12);
        assert!((f[[2, 0, 3]] + 0.5).abs() < 1e-12);
        assert_eq!(f[[0, 0, 4]], 0.0);
        assert!((f[[1, 0, 4]] - 0.1).abs() < 1e-12);
        // zd_k works on the adjusted close (here half the close, so ratios are unchanged).
        // zd_5 at t=4: mean(10,11,12,9,8)=10 over 8.
        assert!((f[[4, 0, 5]] - (10.0 / 8.0 - 1.0)).abs() < 1e-12);
        // zd_5 at t=5 slides: mean(11,12,9,8,10)=10 over 10.
        assert!(f[[5, 0, 5]].abs() < 1e-12);
        // zd_10 at t=1 averages the two dates available.
        assert!((f[[1, 0, 6]] - (10.5 / 11.0 - 1.0)).abs() < 1e-12);
    }

    #[test]
    fn keeps_given_features() {
        let close = array![[10.0], [11.0]];
        let mut f = Array3::from_elem((2, 1, 11), 0.25);
        f[[1, 0, 4]] = f64::NAN;
        fill_missing(&close, &close, &close, &close, &close, &mut f);
        assert_eq!(f[[0, 0, 4]], 0.25);
        assert!((f[[1, 0, 4]] - 0.1).abs() < 1e-12);
    }
}
