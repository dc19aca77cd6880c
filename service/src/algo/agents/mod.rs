//! Agents: learned policies and reference baselines for both tasks, and the loops that run
//! them through an environment.

pub mod baselines;
pub mod dqn;
pub mod eiie;
pub mod pg;
mod scaler;
mod scorer;
mod training;

use serde::{Deserialize, Serialize};

pub use dqn::DqnModel;
pub use eiie::EiieModel;
pub use pg::PgModel;
pub use scaler::FeatureScaler;
pub use scorer::AssetScorer;
pub(crate) use training::{check_range, parse_params};
pub use training::{TrainContext, TrainProgress};

use super::data::MarketData;
use super::env::{softmax, PortfolioConfig, PortfolioEnv, TradeAction, TradingConfig, TradingEnv};
use super::error::Result;

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
