//! EIIE for portfolio management: the shared asset scorer trained by gradient ascent on the
//! mean log portfolio return net of transaction costs.
//!
//! Each step's reward is `ln(1 - c·Σ_i |w_i - w'_i|) + ln(Σ_j w_j·y_j)` with `w` the softmax
//! weights, `w'` the drifted weights before rebalancing (held constant in the gradient, as
//! in EIIE's portfolio-vector memory) and `y` the price relatives. Gradients flow through the
//! softmax into the network; parameters update every `batch_size` steps along the episode.

use serde::{Deserialize, Serialize};

use super::scorer::{softmax_backward, AssetScorer};
use super::{check_range, parse_params, FeatureScaler, TrainContext, TrainProgress};
use crate::algo::data::MarketData;
use crate::algo::env::{PortfolioConfig, PortfolioEnv};
use crate::algo::error::Result;
use crate::algo::nn::{seeded_rng, Activation, Optimizer};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EiieParams {
    pub epochs: usize,
    pub hidden: usize,
    pub activation: Activation,
    pub learning_rate: f64,
    /// Steps per parameter update.
    pub batch_size: usize,
    pub window: usize,
    pub initial_amount: f64,
    pub transaction_cost_pct: f64,
}

impl Default for EiieParams {
    fn default() -> Self {
        let env = PortfolioConfig::default();
        EiieParams {
            epochs: 20,
            hidden: 16,
            activation: Activation::Tanh,
            learning_rate: 1e-3,
            batch_size: 16,
            window: env.window,
            initial_amount: env.initial_amount,
            transaction_cost_pct: env.transaction_cost_pct,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EiieModel {
    pub config: PortfolioConfig,
    pub scorer: AssetScorer,
}

pub fn train(
    data: &MarketData,
    hyper: &serde_json::Value,
    ctx: &mut TrainContext<'_>,
) -> Result<EiieModel> {
    let p: EiieParams = parse_params(hyper)?;
    check_range("epochs", p.epochs, 1, 10_000)?;
    check_range("hidden", p.hidden, 1, 512)?;
    check_range("batch_size", p.batch_size, 1, 100_000)?;
    check_range("learning_rate", p.learning_rate, 1e-9, 10.0)?;
    let config = PortfolioConfig {
        initial_amount: p.initial_amount,
        transaction_cost_pct: p.transaction_cost_pct,
        window: p.window,
    };
    let mut env = PortfolioEnv::new(data, config)?;
    let mut rng = seeded_rng(ctx.seed);
    let mut scorer = AssetScorer::new(
        p.window,
        p.hidden,
        p.activation,
        FeatureScaler::fit(data),
        &mut rng,
    );
    let mut optimizer = Optimizer::new(ctx.optimizer, p.learning_rate);
    let cost = config.transaction_cost_pct;

    for epoch in 1..=p.epochs {
        env.reset();
        let mut grads = scorer.zero_gradients();
        let mut in_batch = 0;
        let mut total_reward = 0.0;
        let mut steps = 0usize;
        while !env.done() {
            let inputs = scorer.inputs(&env);
            let (scores, trace) = scorer.scores_traced(&inputs);
            let w = super::weights_from_scores(scorer.cash_score[0], &scores);
            let y = env.next_price_relatives();
            let previous = env.weights();
            let d_w = reward_gradient(&w, previous, &y, cost);
            // Minimise the negative mean reward of the batch.
            let d_s: Vec<f64> = softmax_backward(&w, &d_w)
                .into_iter()
                .map(|g| -g / p.batch_size as f64)
                .collect();
            scorer.backward(&trace, d_s[0], &d_s[1..], &mut grads);
            total_reward += env.step(&w)?.reward;
            steps += 1;
            in_batch += 1;
            if in_batch == p.batch_size || env.done() {
                optimizer.step(scorer.params_mut(), grads.views());
                grads = scorer.zero_gradients();
                in_batch = 0;
            }
        }
        ctx.report(TrainProgress {
            epoch,
            epochs: p.epochs,
            mean_reward: total_reward / steps.max(1) as f64,
            final_value: env.value(),
            loss: None,
        })?;
    }
    Ok(EiieModel { config, scorer })
}

/// `∂r/∂w_j` of the step reward `r = ln(1 - c·Σ_{i≥1} |w_i - w'_i|) + ln(Σ_j w_j·y_j)`.
fn reward_gradient(w: &[f64], previous: &[f64], y: &[f64], cost: f64) -> Vec<f64> {
    let growth: f64 = w.iter().zip(y).map(|(w, y)| w * y).sum();
    let turnover: f64 = w[1..]
        .iter()
        .zip(&previous[1..])
        .map(|(a, b)| (a - b).abs())
        .sum();
    let kept = (1.0 - cost * turnover).max(1e-9);
    (0..w.len())
        .map(|j| {
            let cost_term = if j == 0 {
                0.0
            } else {
                cost * (w[j] - previous[j]).signum() / kept
            };
            y[j] / growth - cost_term
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::env::softmax;

    /// Chained through the softmax, the reward gradient matches finite differences in the scores.
    #[test]
    fn reward_gradient_matches_finite_differences() {
        let previous = [0.2, 0.5, 0.3];
        let y = [1.0, 1.03, 0.97];
        let cost = 0.01;
        let reward = |s: &[f64]| {
            let w = softmax(s);
            let turnover: f64 = (1..3).map(|i| (w[i] - previous[i]).abs()).sum();
            (1.0 - cost * turnover).ln() + w.iter().zip(&y).map(|(w, y)| w * y).sum::<f64>().ln()
        };
        let scores = [0.1, -0.4, 0.7];
        let w = softmax(&scores);
        let analytic = softmax_backward(&w, &reward_gradient(&w, &previous, &y, cost));
        for k in 0..3 {
            let mut plus = scores;
            plus[k] += 1e-6;
            let mut minus = scores;
            minus[k] -= 1e-6;
            let numeric = (reward(&plus) - reward(&minus)) / 2e-6;
            assert!(
                (numeric - analytic[k]).abs() < 1e-7,
                "{k}: {numeric} vs {}",
                analytic[k]
            );
        }
    }
}
