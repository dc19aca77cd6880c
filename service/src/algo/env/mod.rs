//! Trading environments with TradeMaster's semantics. Both trade at the close of the current
//! date, then move to the next date and mark the account to its close.

pub mod portfolio;
pub mod trading;

pub use portfolio::{PortfolioConfig, PortfolioEnv};
pub use trading::{TradeAction, TradingConfig, TradingEnv};

use super::error::{AlgoError, Result};

/// What one step did.
#[derive(Debug, Clone, PartialEq)]
pub struct StepOutcome {
    /// `ln(V_{t+1} / V_t)`: log return of the account net of costs.
    pub reward: f64,
    /// Transaction costs paid in this step.
    pub cost: f64,
    pub done: bool,
}

/// `exp(x_i) / Σ exp(x_j)`, stable for large inputs.
pub fn softmax(x: &[f64]) -> Vec<f64> {
    let max = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = x.iter().map(|v| (v - max).exp()).collect();
    let sum: f64 = e.iter().sum();
    e.into_iter().map(|v| v / sum).collect()
}

/// Longest observation window; with the other caps it keeps a model's memory bounded.
pub const MAX_WINDOW: usize = 128;

fn check_config(initial_amount: f64, cost: f64, window: usize, dates: usize) -> Result<()> {
    if !(initial_amount.is_finite() && initial_amount > 0.0) {
        return Err(AlgoError::Hyperparameter(format!(
            "initial_amount must be a positive number, got {initial_amount}"
        )));
    }
    if !(0.0..0.5).contains(&cost) {
        return Err(AlgoError::Hyperparameter(format!(
            "transaction_cost_pct must be in [0, 0.5), got {cost}"
        )));
    }
    if !(1..=MAX_WINDOW).contains(&window) {
        return Err(AlgoError::Hyperparameter(format!(
            "window must be between 1 and {MAX_WINDOW}, got {window}"
        )));
    }
    if dates <= window {
        return Err(AlgoError::NotEnoughData(format!(
            "{dates} dates cannot fill a window of {window} plus one trading step; \
             give at least {} dates",
            window + 1
        )));
    }
    Ok(())
}
