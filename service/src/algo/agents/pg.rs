//! Policy gradient (REINFORCE with a learned baseline) for portfolio management.
//!
//! The policy perturbs the asset scorer's scores (cash included) with Gaussian noise of
//! deviation `exploration_std`, and the weights are the softmax of the perturbed scores. After
//! each rollout of `horizon` steps, the discounted returns `G_t` (rewards scaled by
//! `reward_scale`) minus a baseline `b(s_t)` weight the score-function gradient
//! `∂ ln π / ∂s_k = ε_k / σ`. The baseline is a small MLP on the asset-averaged inputs,
//! regressed on `G_t` with the chosen loss. Evaluation uses the noise-free scores.

use ndarray::{Array2, Axis};
use serde::{Deserialize, Serialize};

use super::scorer::AssetScorer;
use super::{
    check_range, parse_params, weights_from_scores, FeatureScaler, TrainContext, TrainProgress,
};
use crate::algo::data::MarketData;
use crate::algo::env::{PortfolioConfig, PortfolioEnv};
use crate::algo::error::Result;
use crate::algo::nn::{seeded_rng, standard_normal, Activation, Mlp, Optimizer, Trace};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PgParams {
    pub epochs: usize,
    pub hidden: usize,
    pub activation: Activation,
    pub learning_rate: f64,
    pub horizon: usize,
    pub gamma: f64,
    pub exploration_std: f64,
    pub reward_scale: f64,
    pub window: usize,
    pub initial_amount: f64,
    pub transaction_cost_pct: f64,
}

impl Default for PgParams {
    fn default() -> Self {
        let env = PortfolioConfig::default();
        PgParams {
            epochs: 30,
            hidden: 16,
            activation: Activation::Tanh,
            learning_rate: 1e-3,
            horizon: 32,
            gamma: 0.5,
            exploration_std: 0.5,
            reward_scale: 100.0,
            window: env.window,
            initial_amount: env.initial_amount,
            transaction_cost_pct: env.transaction_cost_pct,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PgModel {
    pub config: PortfolioConfig,
    pub scorer: AssetScorer,
    pub baseline: Mlp,
}

struct StepRecord {
    trace: Trace,
    noise: Vec<f64>,
    baseline_input: Array2<f64>,
    reward: f64,
}

pub fn train(
    data: &MarketData,
    hyper: &serde_json::Value,
    ctx: &mut TrainContext<'_>,
) -> Result<PgModel> {
    let p: PgParams = parse_params(hyper)?;
    check_range("epochs", p.epochs, 1, 10_000)?;
    check_range("hidden", p.hidden, 1, 512)?;
    check_range("horizon", p.horizon, 1, 1024)?;
    check_range("learning_rate", p.learning_rate, 1e-9, 10.0)?;
    check_range("gamma", p.gamma, 0.0, 1.0)?;
    check_range("exploration_std", p.exploration_std, 1e-6, 100.0)?;
    check_range("reward_scale", p.reward_scale, 1e-9, 1e9)?;
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
    let inputs = scorer.net.input_size();
    let mut baseline = Mlp::new(&[inputs, p.hidden, 1], p.activation, &mut rng);
    let mut policy_opt = Optimizer::new(ctx.optimizer, p.learning_rate);
    let mut baseline_opt = Optimizer::new(ctx.optimizer, p.learning_rate);

    for epoch in 1..=p.epochs {
        env.reset();
        let mut total_reward = 0.0;
        let mut steps = 0usize;
        let mut losses = Vec::new();
        while !env.done() {
            let mut rollout: Vec<StepRecord> = Vec::with_capacity(p.horizon);
            while rollout.len() < p.horizon && !env.done() {
                let x = scorer.inputs(&env);
                let (scores, trace) = scorer.scores_traced(&x);
                let noise: Vec<f64> = (0..=scores.len())
                    .map(|_| standard_normal(&mut rng))
                    .collect();
                let perturbed: Vec<f64> = scores
                    .iter()
                    .zip(&noise[1..])
                    .map(|(s, e)| s + p.exploration_std * e)
                    .collect();
                let w = weights_from_scores(
                    scorer.cash_score[0] + p.exploration_std * noise[0],
                    &perturbed,
                );
                let reward = env.step(&w)?.reward;
                total_reward += reward;
                steps += 1;
                let baseline_input = x.mean_axis(Axis(0)).map(|m| m.insert_axis(Axis(0)));
                rollout.push(StepRecord {
                    trace,
                    noise,
                    baseline_input: baseline_input.unwrap_or_else(|| Array2::zeros((1, inputs))),
                    reward: reward * p.reward_scale,
                });
            }
            losses.push(update(
                &mut scorer,
                &mut baseline,
                &rollout,
                &p,
                ctx,
                &mut policy_opt,
                &mut baseline_opt,
            ));
        }
        ctx.report(TrainProgress {
            epoch,
            epochs: p.epochs,
            mean_reward: total_reward / steps.max(1) as f64,
            final_value: env.value(),
            loss: Some(losses.iter().sum::<f64>() / losses.len().max(1) as f64),
        })?;
    }
    Ok(PgModel {
        config,
        scorer,
        baseline,
    })
}

/// One REINFORCE update from a rollout; returns the baseline's loss.
fn update(
    scorer: &mut AssetScorer,
    baseline: &mut Mlp,
    rollout: &[StepRecord],
    p: &PgParams,
    ctx: &TrainContext<'_>,
    policy_opt: &mut Optimizer,
    baseline_opt: &mut Optimizer,
) -> f64 {
    let n = rollout.len();
    let mut returns = vec![0.0; n];
    let mut running = 0.0;
    for t in (0..n).rev() {
        running = rollout[t].reward + p.gamma * running;
        returns[t] = running;
    }
    let mut baseline_grads = baseline.zero_gradients();
    let mut predictions = Vec::with_capacity(n);
    let mut traces = Vec::with_capacity(n);
    for step in rollout {
        let (out, trace) = baseline.forward_trace(step.baseline_input.view());
        predictions.push(out[[0, 0]]);
        traces.push(trace);
    }
    let (loss, d_pred) = ctx.loss.value_and_grad(&predictions, &returns);
    for (trace, d) in traces.iter().zip(&d_pred) {
        baseline.backward(
            trace,
            Array2::from_elem((1, 1), *d).view(),
            &mut baseline_grads,
        );
    }
    baseline_opt.step(baseline.params_mut(), baseline_grads.views());

    let mut grads = scorer.zero_gradients();
    for (t, step) in rollout.iter().enumerate() {
        let advantage = returns[t] - predictions[t];
        let scale = -advantage / (p.exploration_std * n as f64);
        let d: Vec<f64> = step.noise.iter().map(|e| scale * e).collect();
        scorer.backward(&step.trace, d[0], &d[1..], &mut grads);
    }
    policy_opt.step(scorer.params_mut(), grads.views());
    loss
}
