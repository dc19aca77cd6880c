//! The network EIIE and PG share: one MLP scores every asset from that asset's own feature
//! window and current weight ("ensemble of identical independent evaluators"), a learned
//! scalar scores cash, and the weights are the softmax over `[cash, assets..]`. Sharing the
//! network across assets makes a model apply to any number of assets.

use ndarray::{Array1, Array2, ArrayViewD, ArrayViewMutD};
use serde::{Deserialize, Serialize};

use super::{weights_from_scores, FeatureScaler};
use crate::algo::data::FEATURE_NAMES;
use crate::algo::env::PortfolioEnv;
use crate::algo::nn::{Activation, Gradients, Mlp, SeededRng, Trace};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetScorer {
    pub net: Mlp,
    /// One element: the cash score.
    pub cash_score: Array1<f64>,
    pub scaler: FeatureScaler,
    pub window: usize,
}

/// Gradients of an [`AssetScorer`]'s parameters.
pub struct ScorerGradients {
    pub net: Gradients,
    pub cash: Array1<f64>,
}

impl AssetScorer {
    pub fn new(
        window: usize,
        hidden: usize,
        activation: Activation,
        scaler: FeatureScaler,
        rng: &mut SeededRng,
    ) -> AssetScorer {
        let inputs = window * FEATURE_NAMES.len() + 1;
        AssetScorer {
            net: Mlp::new(&[inputs, hidden, 1], activation, rng),
            cash_score: Array1::zeros(1),
            scaler,
            window,
        }
    }

    /// One row per asset: its standardised feature window, then its current weight.
    pub fn inputs(&self, env: &PortfolioEnv<'_>) -> Array2<f64> {
        let obs = env.observation();
        let weights = env.weights();
        let (window, assets, features) = obs.dim();
        Array2::from_shape_fn((assets, window * features + 1), |(i, j)| {
            if j == window * features {
                weights[i + 1]
            } else {
                let (t, f) = (j / features, j % features);
                self.scaler.apply(f, obs[[t, i, f]])
            }
        })
    }

    pub fn scores(&self, inputs: &Array2<f64>) -> Vec<f64> {
        self.net.forward(inputs.view()).column(0).to_vec()
    }

    pub fn scores_traced(&self, inputs: &Array2<f64>) -> (Vec<f64>, Trace) {
        let (out, trace) = self.net.forward_trace(inputs.view());
        (out.column(0).to_vec(), trace)
    }

    /// Greedy weights for the environment's current state.
    pub fn weights(&self, env: &PortfolioEnv<'_>) -> Vec<f64> {
        weights_from_scores(self.cash_score[0], &self.scores(&self.inputs(env)))
    }

    /// Adds the gradient for score gradients `d_cash` and `d_assets` to `grads`.
    pub fn backward(
        &self,
        trace: &Trace,
        d_cash: f64,
        d_assets: &[f64],
        grads: &mut ScorerGradients,
    ) {
        let grad_out = Array2::from_shape_fn((d_assets.len(), 1), |(i, _)| d_assets[i]);
        self.net.backward(trace, grad_out.view(), &mut grads.net);
        grads.cash[0] += d_cash;
    }

    pub fn zero_gradients(&self) -> ScorerGradients {
        ScorerGradients {
            net: self.net.zero_gradients(),
            cash: Array1::zeros(1),
        }
    }

    pub fn params_mut(&mut self) -> Vec<ArrayViewMutD<'_, f64>> {
        let mut p = self.net.params_mut();
        p.push(self.cash_score.view_mut().into_dyn());
        p
    }
}

impl ScorerGradients {
    pub fn views(&self) -> Vec<ArrayViewD<'_, f64>> {
        let mut v = self.net.views();
        v.push(self.cash.view().into_dyn());
        v
    }
}

/// `∂r/∂s_k` for softmax weights `w` over scores `s`, given `g_j = ∂r/∂w_j`.
pub fn softmax_backward(w: &[f64], g: &[f64]) -> Vec<f64> {
    let dot: f64 = w.iter().zip(g).map(|(w, g)| w * g).sum();
    w.iter().zip(g).map(|(w, g)| w * (g - dot)).collect()
}
