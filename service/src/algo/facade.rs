//! The entry points the service calls: train, evaluate, dynamics test.

use serde::{Deserialize, Serialize};

use super::agents::{self, PortfolioAgent, TradingAgent, TrainContext, TrainProgress};
use super::catalog::Task;
use super::data::MarketData;
use super::env::{PortfolioConfig, PortfolioEnv, TradingConfig, TradingEnv};
use super::error::{AlgoError, Result};
use super::metrics::Metrics;
use super::model::{Policy, TrainSpec, TrainedModel, MODEL_FORMAT};
use super::nn::{Loss, OptimizerKind};
use super::radar::{radar_scores, segment_metrics, RadarScores, SegmentMetrics};

/// Trains `spec.agent` on all of `data`. `progress` hears after every epoch; returning `false`
/// cancels with [`AlgoError::Cancelled`]. Baselines return at once without calling it.
pub fn train(
    spec: &TrainSpec,
    data: &MarketData,
    progress: &mut dyn FnMut(TrainProgress) -> bool,
) -> Result<TrainedModel> {
    let task = Task::parse(&spec.task)?;
    let agent = task.agent(&spec.agent)?;
    let optimizer = OptimizerKind::parse(&spec.optimizer)
        .ok_or_else(|| AlgoError::unknown("optimizer", &spec.optimizer, &OptimizerKind::NAMES))?;
    let loss = Loss::parse(&spec.loss)
        .ok_or_else(|| AlgoError::unknown("loss", &spec.loss, &Loss::NAMES))?;
    let mut ctx = TrainContext {
        optimizer,
        loss,
        seed: spec.seed,
        progress,
    };
    let hyper = &spec.hyperparameters;
    tracing::info!(
        task = task.name(),
        agent,
        dates = data.num_dates(),
        tics = data.num_tics(),
        "training"
    );
    let policy = match (task, agent) {
        (Task::PortfolioManagement, "eiie") => {
            let m = agents::eiie::train(data, hyper, &mut ctx)?;
            Policy::PortfolioManagement {
                config: m.config,
                agent: PortfolioAgent::Eiie(m),
            }
        }
        (Task::PortfolioManagement, "pg") => {
            let m = agents::pg::train(data, hyper, &mut ctx)?;
            Policy::PortfolioManagement {
                config: m.config,
                agent: PortfolioAgent::Pg(m),
            }
        }
        (Task::AlgorithmicTrading, "dqn") => {
            let m = agents::dqn::train(data, hyper, &mut ctx)?;
            Policy::AlgorithmicTrading {
                config: m.config,
                agent: TradingAgent::Dqn(m),
            }
        }
        (Task::PortfolioManagement, baseline) => {
            let config: PortfolioConfig = agents::parse_params(hyper)?;
            PortfolioEnv::new(data, config)?; // checks the settings against the data
            Policy::PortfolioManagement {
                config,
                agent: PortfolioAgent::DoNothing,
            }
            .with_baseline(baseline)?
        }
        (Task::AlgorithmicTrading, baseline) => {
            let config: TradingConfig = agents::parse_params(hyper)?;
            TradingEnv::new(data, config)?; // checks the settings against the data
            Policy::AlgorithmicTrading {
                config,
                agent: TradingAgent::DoNothing,
            }
            .with_baseline(baseline)?
        }
    };
    Ok(TrainedModel {
        format: MODEL_FORMAT,
        spec: TrainSpec {
            agent: agent.to_string(),
            ..spec.clone()
        },
        policy,
        tics: data.tics.clone(),
        first_date: data.dates.first().cloned().unwrap_or_default(),
        last_date: data.dates.last().cloned().unwrap_or_default(),
    })
}

/// One account curve with its metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    pub name: String,
    pub account: Vec<f64>,
    pub metrics: Metrics,
}

/// A model run over data, with the task's baselines over the same dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    pub task: String,
    pub agent: String,
    /// Dates of the account values (the first is the last date of the first window).
    pub dates: Vec<String>,
    pub account: Vec<f64>,
    pub metrics: Metrics,
    /// `buy_and_hold`, `ucrp`, `do_nothing` (portfolio) or `buy_and_hold`, `blind_bid`,
    /// `do_nothing` (trading), in that order.
    pub baselines: Vec<Curve>,
}

/// Baselines reported next to an agent, per task.
fn baseline_names(task: Task) -> &'static [&'static str] {
    match task {
        Task::PortfolioManagement => &["buy_and_hold", "ucrp", "do_nothing"],
        Task::AlgorithmicTrading => &["buy_and_hold", "blind_bid", "do_nothing"],
    }
}

/// Runs the model over `data` (for algorithmic trading, a single tic).
pub fn evaluate(model: &TrainedModel, data: &MarketData) -> Result<Backtest> {
    let episode = model.policy.run(data)?;
    let baselines = baseline_names(model.task())
        .iter()
        .map(|name| {
            let run = model.policy.with_baseline(name)?.run(data)?;
            Ok(Curve {
                name: name.to_string(),
                metrics: Metrics::of(&run.account),
                account: run.account,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Backtest {
        task: model.task().name().to_string(),
        agent: model.spec.agent.clone(),
        metrics: Metrics::of(&episode.account),
        dates: episode.dates,
        account: episode.account,
        baselines,
    })
}

/// Result of testing a model on the market segments of one dynamics label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DynamicsTest {
    /// Segments long enough to trade (at least the window plus one date).
    pub segments_used: usize,
    pub segments_skipped: usize,
    pub agent: SegmentMetrics,
    /// The 0-score reference: `do_nothing`.
    pub zero_reference: SegmentMetrics,
    /// The 50-score reference: `blind_bid` (trading) or `buy_and_hold` (portfolio).
    pub fifty_reference: SegmentMetrics,
    pub fifty_reference_name: String,
    pub scores: RadarScores,
}

/// Tests the model on each segment and scores it against the references (see [`super::radar`]).
pub fn dynamics_test(model: &TrainedModel, segments: &[MarketData]) -> Result<DynamicsTest> {
    let needed = model.policy.window() + 1;
    let usable: Vec<&MarketData> = segments
        .iter()
        .filter(|s| s.num_dates() >= needed)
        .collect();
    if usable.is_empty() {
        return Err(AlgoError::NotEnoughData(format!(
            "none of the {} segments has the {needed} dates the model's window needs",
            segments.len()
        )));
    }
    let fifty_name = match model.task() {
        Task::PortfolioManagement => "buy_and_hold",
        Task::AlgorithmicTrading => "blind_bid",
    };
    let accounts = |policy: &Policy| -> Result<Vec<Vec<f64>>> {
        usable.iter().map(|s| Ok(policy.run(s)?.account)).collect()
    };
    let agent = segment_metrics(&accounts(&model.policy)?);
    let zero = segment_metrics(&accounts(&model.policy.with_baseline("do_nothing")?)?);
    let fifty = segment_metrics(&accounts(&model.policy.with_baseline(fifty_name)?)?);
    Ok(DynamicsTest {
        segments_used: usable.len(),
        segments_skipped: segments.len() - usable.len(),
        scores: radar_scores(&agent, &zero, &fifty),
        agent,
        zero_reference: zero,
        fifty_reference: fifty,
        fifty_reference_name: fifty_name.to_string(),
    })
}
