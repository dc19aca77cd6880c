//! What every training loop shares: progress reports, cancellation, hyperparameter parsing.

use serde::{Deserialize, Serialize};

use crate::algo::error::{AlgoError, Result};
use crate::algo::nn::{Loss, OptimizerKind};

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
