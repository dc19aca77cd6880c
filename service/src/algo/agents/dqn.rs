//! DQN for algorithmic trading: an MLP estimates the value of sell / hold / buy from the
//! feature window and the position; trained from a replay buffer against a periodically
//! copied target network, exploring epsilon-greedily with epsilon decaying linearly.
//! Rewards are the step's log return times `reward_scale`.

use ndarray::Array2;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::{check_range, parse_params, FeatureScaler, TrainContext, TrainProgress};
use crate::algo::data::{MarketData, FEATURE_NAMES};
use crate::algo::env::{TradeAction, TradingConfig, TradingEnv};
use crate::algo::error::Result;
use crate::algo::nn::{seeded_rng, Activation, Mlp, Optimizer, SeededRng};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DqnParams {
    pub epochs: usize,
    pub hidden: usize,
    pub activation: Activation,
    pub learning_rate: f64,
    pub gamma: f64,
    pub batch_size: usize,
    pub buffer_size: usize,
    /// Environment steps between target network copies.
    pub target_update: usize,
    pub epsilon_start: f64,
    pub epsilon_end: f64,
    /// Share of all training steps over which epsilon decays.
    pub epsilon_decay: f64,
    /// Transitions collected before learning starts.
    pub learning_starts: usize,
    pub reward_scale: f64,
    pub window: usize,
    pub max_position: usize,
    pub initial_amount: f64,
    pub transaction_cost_pct: f64,
}

impl Default for DqnParams {
    fn default() -> Self {
        let env = TradingConfig::default();
        DqnParams {
            epochs: 10,
            hidden: 32,
            activation: Activation::Relu,
            learning_rate: 1e-3,
            gamma: 0.5,
            batch_size: 32,
            buffer_size: 20_000,
            target_update: 200,
            epsilon_start: 1.0,
            epsilon_end: 0.05,
            epsilon_decay: 0.5,
            learning_starts: 200,
            reward_scale: 100.0,
            window: env.window,
            max_position: env.max_position,
            initial_amount: env.initial_amount,
            transaction_cost_pct: env.transaction_cost_pct,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DqnModel {
    pub config: TradingConfig,
    pub q: Mlp,
    pub scaler: FeatureScaler,
}

impl DqnModel {
    /// Standardises the features of an observation; the position stays as it is.
    fn normalise(&self, observation: &[f64]) -> Vec<f64> {
        normalise(&self.scaler, observation)
    }

    pub fn q_values(&self, observation: &[f64]) -> Vec<f64> {
        let x = self.normalise(observation);
        let input = Array2::from_shape_fn((1, x.len()), |(_, j)| x[j]);
        self.q.forward(input.view()).row(0).to_vec()
    }

    pub fn greedy_action(&self, observation: &[f64]) -> TradeAction {
        TradeAction::ALL[argmax(&self.q_values(observation))]
    }
}

fn normalise(scaler: &FeatureScaler, observation: &[f64]) -> Vec<f64> {
    let f = FEATURE_NAMES.len();
    let features = observation.len().saturating_sub(1);
    observation
        .iter()
        .enumerate()
        .map(|(j, v)| {
            if j < features {
                scaler.apply(j % f, *v)
            } else {
                *v
            }
        })
        .collect()
}

fn argmax(values: &[f64]) -> usize {
    values
        .iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |best, (i, v)| {
            if *v > best.1 {
                (i, *v)
            } else {
                best
            }
        })
        .0
}

struct Transition {
    state: Vec<f64>,
    action: usize,
    reward: f64,
    next: Vec<f64>,
    done: bool,
}

/// Fixed-capacity ring of transitions.
struct ReplayBuffer {
    items: Vec<Transition>,
    capacity: usize,
    next: usize,
}

impl ReplayBuffer {
    fn push(&mut self, t: Transition) {
        if self.items.len() < self.capacity {
            self.items.push(t);
        } else {
            self.items[self.next] = t;
        }
        self.next = (self.next + 1) % self.capacity;
    }

    fn sample<'b>(&'b self, n: usize, rng: &mut SeededRng) -> Vec<&'b Transition> {
        (0..n)
            .map(|_| &self.items[rng.gen_range(0..self.items.len())])
            .collect()
    }
}

pub fn train(
    data: &MarketData,
    hyper: &serde_json::Value,
    ctx: &mut TrainContext<'_>,
) -> Result<DqnModel> {
    let p: DqnParams = parse_params(hyper)?;
    check_range("epochs", p.epochs, 1, 10_000)?;
    check_range("hidden", p.hidden, 1, 512)?;
    check_range("batch_size", p.batch_size, 1, 1024)?;
    check_range("buffer_size", p.buffer_size, 1, 200_000)?;
    check_range("target_update", p.target_update, 1, 10_000_000)?;
    check_range("learning_rate", p.learning_rate, 1e-9, 10.0)?;
    check_range("gamma", p.gamma, 0.0, 0.999)?;
    check_range("epsilon_start", p.epsilon_start, 0.0, 1.0)?;
    check_range("epsilon_end", p.epsilon_end, 0.0, 1.0)?;
    check_range("epsilon_decay", p.epsilon_decay, 1e-6, 1.0)?;
    check_range("reward_scale", p.reward_scale, 1e-9, 1e9)?;
    let config = TradingConfig {
        initial_amount: p.initial_amount,
        transaction_cost_pct: p.transaction_cost_pct,
        window: p.window,
        max_position: p.max_position,
    };
    let mut env = TradingEnv::new(data, config)?;
    let mut rng = seeded_rng(ctx.seed);
    let inputs = TradingEnv::observation_size(p.window);
    let mut model = DqnModel {
        config,
        q: Mlp::new(
            &[inputs, p.hidden, p.hidden, TradeAction::ALL.len()],
            p.activation,
            &mut rng,
        ),
        scaler: FeatureScaler::fit(data),
    };
    let mut target = model.q.clone();
    let mut optimizer = Optimizer::new(ctx.optimizer, p.learning_rate);
    let mut buffer = ReplayBuffer {
        items: Vec::new(),
        capacity: p.buffer_size,
        next: 0,
    };
    let total_steps = (p.epochs * env.episode_len()) as f64;
    let mut step_count = 0usize;

    for epoch in 1..=p.epochs {
        env.reset();
        let mut state = model.normalise(&env.observation());
        let mut total_reward = 0.0;
        let mut losses = Vec::new();
        let mut steps = 0usize;
        while !env.done() {
            let progress = step_count as f64 / (total_steps * p.epsilon_decay);
            let epsilon = p.epsilon_start + (p.epsilon_end - p.epsilon_start) * progress.min(1.0);
            let action = if rng.gen::<f64>() < epsilon {
                rng.gen_range(0..TradeAction::ALL.len())
            } else {
                let input = Array2::from_shape_fn((1, state.len()), |(_, j)| state[j]);
                argmax(
                    model
                        .q
                        .forward(input.view())
                        .row(0)
                        .as_slice()
                        .unwrap_or(&[]),
                )
            };
            let outcome = env.step(TradeAction::ALL[action])?;
            total_reward += outcome.reward;
            let next = model.normalise(&env.observation());
            buffer.push(Transition {
                state: std::mem::replace(&mut state, next.clone()),
                action,
                reward: outcome.reward * p.reward_scale,
                next,
                done: outcome.done,
            });
            step_count += 1;
            steps += 1;
            if buffer.items.len() >= p.learning_starts.max(p.batch_size) {
                let batch = buffer.sample(p.batch_size, &mut rng);
                losses.push(learn(
                    &mut model.q,
                    &target,
                    &batch,
                    &p,
                    ctx,
                    &mut optimizer,
                ));
            }
            if step_count.is_multiple_of(p.target_update) {
                target = model.q.clone();
            }
        }
        ctx.report(TrainProgress {
            epoch,
            epochs: p.epochs,
            mean_reward: total_reward / steps.max(1) as f64,
            final_value: env.account().last().copied().unwrap_or(0.0),
            loss: (!losses.is_empty()).then(|| losses.iter().sum::<f64>() / losses.len() as f64),
        })?;
    }
    Ok(model)
}

/// One gradient step on a batch; returns the loss.
fn learn(
    q: &mut Mlp,
    target: &Mlp,
    batch: &[&Transition],
    p: &DqnParams,
    ctx: &TrainContext<'_>,
    optimizer: &mut Optimizer,
) -> f64 {
    let width = batch[0].state.len();
    let states = Array2::from_shape_fn((batch.len(), width), |(i, j)| batch[i].state[j]);
    let nexts = Array2::from_shape_fn((batch.len(), width), |(i, j)| batch[i].next[j]);
    let next_q = target.forward(nexts.view());
    let targets: Vec<f64> = batch
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let best = next_q
                .row(i)
                .iter()
                .copied()
                .fold(f64::NEG_INFINITY, f64::max);
            t.reward + if t.done { 0.0 } else { p.gamma * best }
        })
        .collect();
    let (out, trace) = q.forward_trace(states.view());
    let chosen: Vec<f64> = batch
        .iter()
        .enumerate()
        .map(|(i, t)| out[[i, t.action]])
        .collect();
    let (loss, d) = ctx.loss.value_and_grad(&chosen, &targets);
    let mut grad_out = Array2::zeros(out.raw_dim());
    for (i, t) in batch.iter().enumerate() {
        grad_out[[i, t.action]] = d[i];
    }
    let mut grads = q.zero_gradients();
    q.backward(&trace, grad_out.view(), &mut grads);
    optimizer.step(q.params_mut(), grads.views());
    loss
}
