//! Trading algorithms on ndarray: TradeMaster's data format, environments, agents, metrics
//! and radar scores, plus the facade the HTTP service calls.
//!
//! # Facade
//!
//! * [`catalog()`] — tasks, the agents of each (with descriptions and default
//!   hyperparameters), optimizers and losses: exactly what [`train`] accepts.
//! * [`train`]`(&TrainSpec, &MarketData, &mut progress) -> Result<TrainedModel>` — trains on
//!   all of the given data. `TrainSpec { task, agent, optimizer = "adam", loss = "mse",
//!   seed = 0, hyperparameters = null }` deserialises from JSON with those defaults;
//!   unknown hyperparameters are errors. `progress` receives a [`TrainProgress`] after each
//!   epoch and cancels training by returning `false`. Same spec, data and seed give the
//!   same model.
//! * [`evaluate`]`(&TrainedModel, &MarketData) -> Result<Backtest>` — account values with
//!   dates and [`Metrics`], plus the task's baselines over the same dates.
//! * [`dynamics_test`]`(&TrainedModel, &[MarketData]) -> Result<DynamicsTest>` — metrics
//!   over the segments of one market-dynamics label and the radar scores
//!   ([`radar`] documents the scale).
//! * [`TrainedModel::to_bytes`] / [`TrainedModel::from_bytes`] — JSON storage.
//!
//! Data comes from [`MarketData::from_csv_path`] / [`MarketData::from_csv_str`] /
//! [`MarketData::from_json_rows`] (the upload route's rows), goes back out with
//! [`MarketData::to_csv_string`], and splits with [`MarketData::split`],
//! [`MarketData::between`] or [`MarketData::slice`]. Algorithmic trading takes a single
//! tic ([`MarketData::select_tic`]). Plots of the results are in [`crate::plot`].
//!
//! ```no_run
//! use tmctl_service::algo::{self, MarketData, LoadOptions, TrainSpec};
//! # fn main() -> Result<(), algo::AlgoError> {
//! let data = MarketData::from_csv_path("dj30.csv".as_ref(), LoadOptions::default())?;
//! let split = data.split(&Default::default())?;
//! let spec: TrainSpec = serde_json::from_str(
//!     r#"{"task":"portfolio_management","agent":"eiie","seed":7,"hyperparameters":{"epochs":5}}"#,
//! ).expect("valid JSON");
//! let model = algo::train(&spec, &split.train, &mut |p| { println!("epoch {}", p.epoch); true })?;
//! let backtest = algo::evaluate(&algo::TrainedModel::from_bytes(&model.to_bytes()?)?, &split.test)?;
//! println!("sharpe {}", backtest.metrics.sharpe_ratio);
//! # Ok(()) }
//! ```

pub mod agents;
pub mod catalog;
pub mod data;
pub mod env;
mod error;
mod facade;
pub mod metrics;
mod model;
pub mod nn;
pub mod radar;

pub use agents::TrainProgress;
pub use catalog::{catalog, AgentInfo, Catalog, Task, TaskInfo};
pub use data::{DataSplit, LoadOptions, MarketData, SplitSpec, FEATURE_NAMES};
pub use error::{AlgoError, Result};
pub use facade::{dynamics_test, evaluate, train, Backtest, Curve, DynamicsTest};
pub use metrics::Metrics;
pub use model::{Policy, TrainSpec, TrainedModel, MODEL_FORMAT};
pub use radar::{RadarScores, SegmentMetrics};
