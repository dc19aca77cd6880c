//! What the library implements: tasks, their agents, optimizers and losses.

use serde::{Deserialize, Serialize};

use super::agents::{dqn::DqnParams, eiie::EiieParams, pg::PgParams};
use super::env::{PortfolioConfig, TradingConfig};
use super::error::{AlgoError, Result};
use super::nn::{Loss, OptimizerKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    PortfolioManagement,
    AlgorithmicTrading,
}

impl Task {
    pub const ALL: [Task; 2] = [Task::PortfolioManagement, Task::AlgorithmicTrading];

    pub fn name(self) -> &'static str {
        match self {
            Task::PortfolioManagement => "portfolio_management",
            Task::AlgorithmicTrading => "algorithmic_trading",
        }
    }

    pub fn parse(name: &str) -> Result<Task> {
        Task::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| AlgoError::unknown("task", name, &Task::ALL.map(Task::name)))
    }

    /// Agent names of this task.
    pub fn agents(self) -> &'static [&'static str] {
        match self {
            Task::PortfolioManagement => &["eiie", "pg", "buy_and_hold", "ucrp", "do_nothing"],
            Task::AlgorithmicTrading => &["dqn", "buy_and_hold", "blind_bid", "do_nothing"],
        }
    }

    /// Checks an agent name, accepting the qualified `"<task>:<agent>"` form too.
    pub fn agent(self, name: &str) -> Result<&str> {
        let bare = name
            .strip_prefix(self.name())
            .and_then(|rest| rest.strip_prefix(':'))
            .unwrap_or(name);
        if self.agents().contains(&bare) {
            Ok(bare)
        } else {
            Err(AlgoError::Unknown {
                kind: "agent",
                value: format!("{name} (task {})", self.name()),
                allowed: self.agents().join(", "),
            })
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    pub tasks: Vec<TaskInfo>,
    pub optimizers: Vec<String>,
    pub losses: Vec<String>,
}

impl Catalog {
    /// Every agent as `"<task>:<agent>"`.
    pub fn qualified_agents(&self) -> Vec<String> {
        self.tasks
            .iter()
            .flat_map(|t| {
                t.agents
                    .iter()
                    .map(move |a| format!("{}:{}", t.name, a.name))
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    pub name: String,
    pub agents: Vec<AgentInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentInfo {
    pub name: String,
    pub description: String,
    /// Whether training fits parameters (baselines only take their settings).
    pub learns: bool,
    /// Whether the optimizer choice matters.
    pub uses_optimizer: bool,
    /// Whether the loss choice matters.
    pub uses_loss: bool,
    /// Every hyperparameter with its default.
    pub default_hyperparameters: serde_json::Value,
}

/// Everything that can be trained and evaluated.
pub fn catalog() -> Catalog {
    let info = |name: &str,
                description: &str,
                learns: bool,
                uses_loss: bool,
                defaults: serde_json::Value| AgentInfo {
        name: name.to_string(),
        description: description.to_string(),
        learns,
        uses_optimizer: learns,
        uses_loss,
        default_hyperparameters: defaults,
    };
    let json = |v: serde_json::Result<serde_json::Value>| v.unwrap_or(serde_json::Value::Null);
    let pm = json(serde_json::to_value(PortfolioConfig::default()));
    let at = json(serde_json::to_value(TradingConfig::default()));
    Catalog {
        tasks: vec![
            TaskInfo {
                name: Task::PortfolioManagement.name().into(),
                agents: vec![
                    info(
                        "eiie",
                        "shared per-asset scorer, gradient ascent on net log return",
                        true,
                        false,
                        json(serde_json::to_value(EiieParams::default())),
                    ),
                    info(
                        "pg",
                        "REINFORCE with a learned baseline over the per-asset scorer",
                        true,
                        true,
                        json(serde_json::to_value(PgParams::default())),
                    ),
                    info(
                        "buy_and_hold",
                        "equal weights bought at the first close, never traded",
                        false,
                        false,
                        pm.clone(),
                    ),
                    info(
                        "ucrp",
                        "equal weights rebalanced at every close",
                        false,
                        false,
                        pm.clone(),
                    ),
                    info("do_nothing", "all cash", false, false, pm),
                ],
            },
            TaskInfo {
                name: Task::AlgorithmicTrading.name().into(),
                agents: vec![
                    info(
                        "dqn",
                        "deep Q-network with replay buffer and target network",
                        true,
                        true,
                        json(serde_json::to_value(DqnParams::default())),
                    ),
                    info(
                        "buy_and_hold",
                        "whole position at the first close, held",
                        false,
                        false,
                        at.clone(),
                    ),
                    info("blind_bid", "buy at every step", false, false, at.clone()),
                    info("do_nothing", "all cash", false, false, at),
                ],
            },
        ],
        optimizers: OptimizerKind::NAMES.iter().map(|s| s.to_string()).collect(),
        losses: Loss::NAMES.iter().map(|s| s.to_string()).collect(),
    }
}
