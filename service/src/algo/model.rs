//! Trained models: what `train` returns and `evaluate` runs, storable as JSON bytes.

use serde::{Deserialize, Serialize};

use super::agents::{Episode, PortfolioAgent, TradingAgent};
use super::catalog::Task;
use super::data::MarketData;
use super::env::{PortfolioConfig, TradingConfig};
use super::error::{AlgoError, Result};

/// Version of the stored model format.
pub const MODEL_FORMAT: u32 = 1;

/// What a training request asks for. Missing optimizer, loss, seed and hyperparameters take
/// defaults (`adam`, `mse`, 0, every agent default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSpec {
    /// `portfolio_management` or `algorithmic_trading`.
    pub task: String,
    /// An agent of the task, bare (`dqn`) or qualified (`algorithmic_trading:dqn`).
    pub agent: String,
    #[serde(default = "default_optimizer")]
    pub optimizer: String,
    #[serde(default = "default_loss")]
    pub loss: String,
    #[serde(default)]
    pub seed: u64,
    /// Agent hyperparameters by name; see `catalog()` for names and defaults.
    #[serde(default)]
    pub hyperparameters: serde_json::Value,
}

fn default_optimizer() -> String {
    "adam".into()
}

fn default_loss() -> String {
    "mse".into()
}

impl TrainSpec {
    pub fn new(task: &str, agent: &str) -> TrainSpec {
        TrainSpec {
            task: task.into(),
            agent: agent.into(),
            optimizer: default_optimizer(),
            loss: default_loss(),
            seed: 0,
            hyperparameters: serde_json::Value::Null,
        }
    }
}

/// The policy with the environment settings it was trained for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum Policy {
    PortfolioManagement {
        config: PortfolioConfig,
        agent: PortfolioAgent,
    },
    AlgorithmicTrading {
        config: TradingConfig,
        agent: TradingAgent,
    },
}

impl Policy {
    pub fn task(&self) -> Task {
        match self {
            Policy::PortfolioManagement { .. } => Task::PortfolioManagement,
            Policy::AlgorithmicTrading { .. } => Task::AlgorithmicTrading,
        }
    }

    /// Observation window, hence the dates an episode needs beyond its steps.
    pub fn window(&self) -> usize {
        match self {
            Policy::PortfolioManagement { config, .. } => config.window,
            Policy::AlgorithmicTrading { config, .. } => config.window,
        }
    }

    pub fn run(&self, data: &MarketData) -> Result<Episode> {
        match self {
            Policy::PortfolioManagement { config, agent } => agent.run(data, *config),
            Policy::AlgorithmicTrading { config, agent } => agent.run(data, *config),
        }
    }

    /// The same environment settings with a baseline agent.
    pub fn with_baseline(&self, name: &str) -> Result<Policy> {
        Ok(match self {
            Policy::PortfolioManagement { config, .. } => Policy::PortfolioManagement {
                config: *config,
                agent: baseline(name, PORTFOLIO_BASELINES)?,
            },
            Policy::AlgorithmicTrading { config, .. } => Policy::AlgorithmicTrading {
                config: *config,
                agent: baseline(name, TRADING_BASELINES)?,
            },
        })
    }
}

/// A trained agent, ready to evaluate and to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainedModel {
    pub format: u32,
    pub spec: TrainSpec,
    pub policy: Policy,
    /// Tics and date range of the training data.
    pub tics: Vec<String>,
    pub first_date: String,
    pub last_date: String,
}

impl TrainedModel {
    pub fn task(&self) -> Task {
        self.policy.task()
    }

    /// JSON bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(|e| AlgoError::Model(format!("cannot serialise: {e}")))
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<TrainedModel> {
        let model: TrainedModel = serde_json::from_slice(bytes)
            .map_err(|e| AlgoError::Model(format!("stored model is not readable: {e}")))?;
        if model.format != MODEL_FORMAT {
            return Err(AlgoError::Model(format!(
                "stored model has format {}, this build reads format {MODEL_FORMAT}",
                model.format
            )));
        }
        Ok(model)
    }
}

/// The baselines of portfolio management, by name.
const PORTFOLIO_BASELINES: [(&str, PortfolioAgent); 3] = [
    ("buy_and_hold", PortfolioAgent::BuyAndHold),
    ("ucrp", PortfolioAgent::Ucrp),
    ("do_nothing", PortfolioAgent::DoNothing),
];

/// The baselines of algorithmic trading, by name.
const TRADING_BASELINES: [(&str, TradingAgent); 3] = [
    ("buy_and_hold", TradingAgent::BuyAndHold),
    ("blind_bid", TradingAgent::BlindBid),
    ("do_nothing", TradingAgent::DoNothing),
];

/// The agent called `name` among a task's baselines.
fn baseline<A, const N: usize>(name: &str, baselines: [(&str, A); N]) -> Result<A> {
    let names = baselines.each_ref().map(|(known, _)| *known);
    baselines
        .into_iter()
        .find(|(known, _)| *known == name)
        .map(|(_, agent)| agent)
        .ok_or_else(|| AlgoError::unknown("baseline", name, &names))
}
