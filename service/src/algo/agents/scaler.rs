//! Feature standardisation fitted on training data and stored with a model.

use serde::{Deserialize, Serialize};

use crate::algo::data::{MarketData, FEATURE_NAMES};

/// Standardises each feature with the mean and deviation seen in training data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureScaler {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl FeatureScaler {
    pub fn fit(data: &MarketData) -> FeatureScaler {
        let f = FEATURE_NAMES.len();
        let mut mean = vec![0.0; f];
        let mut std = vec![1.0; f];
        for k in 0..f {
            let column = data.features.slice(ndarray::s![.., .., k]);
            let m = column.mean().unwrap_or(0.0);
            let s = column
                .mapv(|v| (v - m).powi(2))
                .mean()
                .unwrap_or(1.0)
                .sqrt();
            mean[k] = m;
            std[k] = if s > 1e-12 { s } else { 1.0 };
        }
        FeatureScaler { mean, std }
    }

    pub fn apply(&self, feature: usize, value: f64) -> f64 {
        (value - self.mean[feature]) / self.std[feature]
    }
}
