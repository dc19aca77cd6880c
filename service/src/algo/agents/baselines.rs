//! Reference policies: they learn nothing and anchor the comparisons.
//!
//! Portfolio: `buy_and_hold` buys equal weights of every asset at the first close and never
//! trades again; `ucrp` (uniform constant rebalanced portfolio) rebalances to equal weights
//! at every close; `do_nothing` stays in cash. Trading: `buy_and_hold` takes the whole position
//! at the first close; `blind_bid` chooses buy at every step (with `max_position` 1 the two
//! coincide); `do_nothing` stays in cash.

use super::Episode;
use crate::algo::data::MarketData;
use crate::algo::env::{PortfolioEnv, TradeAction, TradingConfig, TradingEnv};
use crate::algo::error::Result;

pub fn cash_weights(assets: usize) -> Vec<f64> {
    let mut w = vec![0.0; assets + 1];
    w[0] = 1.0;
    w
}

pub fn ucrp_weights(assets: usize) -> Vec<f64> {
    let mut w = vec![1.0 / assets as f64; assets + 1];
    w[0] = 0.0;
    w
}

/// Equal weights at the first step, then the drifted weights (no trade).
pub fn buy_and_hold_weights(env: &PortfolioEnv<'_>) -> Vec<f64> {
    let current = env.weights();
    if current[0] >= 1.0 - 1e-12 {
        ucrp_weights(env.num_assets())
    } else {
        current.to_vec()
    }
}

/// The whole position at the first close, held to the end.
pub fn buy_and_hold_trading(data: &MarketData, config: TradingConfig) -> Result<Episode> {
    let full = TradingConfig {
        max_position: 1,
        ..config
    };
    let mut env = TradingEnv::new(data, full)?;
    let mut first = true;
    while !env.done() {
        let a = if first {
            TradeAction::Buy
        } else {
            TradeAction::Hold
        };
        first = false;
        env.step(a)?;
    }
    Ok(Episode {
        dates: env.account_dates(),
        account: env.account().to_vec(),
    })
}
