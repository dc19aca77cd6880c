//! Regression losses with their gradients.

use serde::{Deserialize, Serialize};

/// Loss between predictions and targets, averaged over the elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    Mse,
    /// Huber with threshold 1: quadratic within ±1, linear beyond.
    Huber,
}

impl Loss {
    pub const NAMES: [&'static str; 2] = ["mse", "huber"];

    pub fn parse(name: &str) -> Option<Loss> {
        match name.to_ascii_lowercase().as_str() {
            "mse" => Some(Loss::Mse),
            "huber" => Some(Loss::Huber),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Loss::Mse => "mse",
            Loss::Huber => "huber",
        }
    }

    /// Mean loss and its gradient with respect to each prediction.
    pub fn value_and_grad(self, predictions: &[f64], targets: &[f64]) -> (f64, Vec<f64>) {
        let n = predictions.len().max(1) as f64;
        let mut total = 0.0;
        let grads = predictions
            .iter()
            .zip(targets)
            .map(|(p, t)| {
                let d = p - t;
                match self {
                    Loss::Mse => {
                        total += d * d;
                        2.0 * d / n
                    }
                    Loss::Huber if d.abs() <= 1.0 => {
                        total += 0.5 * d * d;
                        d / n
                    }
                    Loss::Huber => {
                        total += d.abs() - 0.5;
                        d.signum() / n
                    }
                }
            })
            .collect();
        (total / n, grads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_losses() {
        let (mse, g) = Loss::Mse.value_and_grad(&[1.0, 3.0], &[0.0, 0.0]);
        assert_eq!(mse, 5.0);
        assert_eq!(g, vec![1.0, 3.0]);
        let (huber, g) = Loss::Huber.value_and_grad(&[0.5, 3.0], &[0.0, 0.0]);
        assert!((huber - (0.125 + 2.5) / 2.0).abs() < 1e-12);
        assert_eq!(g, vec![0.25, 0.5]);
    }
}
