//! Agents: learned policies and reference baselines for both tasks, and the loops that run
//! them through an environment.

pub mod baselines;
pub mod dqn;
pub mod eiie;
pub mod pg;
mod scorer;

use serde::{Deserialize, Serialize};

pub use dqn::DqnModel;
pub use eiie::EiieModel;
pub use pg::PgModel;
pub use scorer::AssetScorer;

use super::data::{MarketData, FEATURE_NAMES};
use super::env::{softmax, PortfolioConfig, PortfolioEnv, TradeAction, TradingConfig, TradingEnv};
use super::error::{AlgoError, Result};
use super::nn::{Loss, OptimizerKind};

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

/// Reported after each training epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainProgress {
    /// 1-based.
    pub epoch: usize,
    pub epochs: usize,
    /// Mean log return per step of the epoch's training episode.
    pub mean_reward: f64,
    /// Account value at the end of the epoch's training episode.
    pub final_value: f64,
    /// Mean regression loss of the epoch, for agents that regress (DQN, PG's baseline).
    pub loss: Option<f64>,
}

/// What every training run needs besides data and hyperparameters.
pub struct TrainContext<'p> {
    pub optimizer: OptimizerKind,
    pub loss: Loss,
    pub seed: u64,
    /// Called after each epoch; returning `false` cancels training.
    pub progress: &'p mut dyn FnMut(TrainProgress) -> bool,
}

impl TrainContext<'_> {
    pub(crate) fn report(&mut self, update: TrainProgress) -> Result<()> {
        tracing::debug!(
            epoch = update.epoch,
            epochs = update.epochs,
            mean_reward = update.mean_reward,
            final_value = update.final_value,
            "training epoch done"
        );
        let epoch = update.epoch;
        if (self.progress)(update) {
            Ok(())
        } else {
            Err(AlgoError::Cancelled { epoch })
        }
    }
}

/// Hyperparameters from JSON: `null` takes every default, unknown keys are errors.
pub(crate) fn parse_params<T: serde::de::DeserializeOwned + Default>(
    value: &serde_json::Value,
) -> Result<T> {
    if value.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(value.clone()).map_err(|e| AlgoError::Hyperparameter(e.to_string()))
}

/// Checks that a hyperparameter lies in `[min, max]`.
pub(crate) fn check_range<T: PartialOrd + std::fmt::Display>(
    name: &str,
    value: T,
    min: T,
    max: T,
) -> Result<()> {
    if value >= min && value <= max {
        Ok(())
    } else {
        Err(AlgoError::Hyperparameter(format!(
            "{name} must be between {min} and {max}, got {value}"
        )))
    }
}

/// An account series with its dates, as an episode produced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    pub dates: Vec<String>,
    pub account: Vec<f64>,
}

/// A portfolio policy: target weights `[cash, assets..]` from the environment's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PortfolioAgent {
    Eiie(EiieModel),
    Pg(PgModel),
    BuyAndHold,
    Ucrp,
    DoNothing,
}

impl PortfolioAgent {
    pub fn weights(&self, env: &PortfolioEnv<'_>) -> Vec<f64> {
        match self {
            PortfolioAgent::Eiie(m) => m.scorer.weights(env),
            PortfolioAgent::Pg(m) => m.scorer.weights(env),
            PortfolioAgent::BuyAndHold => baselines::buy_and_hold_weights(env),
            PortfolioAgent::Ucrp => baselines::ucrp_weights(env.num_assets()),
            PortfolioAgent::DoNothing => baselines::cash_weights(env.num_assets()),
        }
    }

    pub fn run(&self, data: &MarketData, config: PortfolioConfig) -> Result<Episode> {
        let mut env = PortfolioEnv::new(data, config)?;
        while !env.done() {
            let w = self.weights(&env);
            env.step(&w)?;
        }
        Ok(Episode {
            dates: env.account_dates(),
            account: env.account().to_vec(),
        })
    }
}

/// A trading policy: sell, hold or buy from the environment's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TradingAgent {
    Dqn(DqnModel),
    BuyAndHold,
    BlindBid,
    DoNothing,
}

impl TradingAgent {
    pub fn action(&self, env: &TradingEnv<'_>) -> TradeAction {
        match self {
            TradingAgent::Dqn(m) => m.greedy_action(&env.observation()),
            // Buying at every step fills the position and then holds; buy-and-hold differs in
            // `run` by taking the whole position at the first close.
            TradingAgent::BlindBid | TradingAgent::BuyAndHold => TradeAction::Buy,
            TradingAgent::DoNothing => TradeAction::Hold,
        }
    }

    pub fn run(&self, data: &MarketData, config: TradingConfig) -> Result<Episode> {
        if *self == TradingAgent::BuyAndHold {
            return baselines::buy_and_hold_trading(data, config);
        }
        let mut env = TradingEnv::new(data, config)?;
        while !env.done() {
            let a = self.action(&env);
            env.step(a)?;
        }
        Ok(Episode {
            dates: env.account_dates(),
            account: env.account().to_vec(),
        })
    }
}

/// Softmax weights over `[cash score, asset scores..]`.
pub(crate) fn weights_from_scores(cash: f64, assets: &[f64]) -> Vec<f64> {
    let mut all = Vec::with_capacity(assets.len() + 1);
    all.push(cash);
    all.extend_from_slice(assets);
    softmax(&all)
}
