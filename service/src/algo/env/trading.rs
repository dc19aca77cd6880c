//! Algorithmic trading: one tic, actions sell / hold / buy, a long position of at most
//! `max_position` lots.
//!
//! The position is a level `k` in `0..=max_position`. Buying at level `k` spends
//! `cash / (max_position - k)`, so the last lot spends all remaining cash; selling at level `k`
//! sells `units / k`, so the last lot sells everything. Buying or selling beyond the limits
//! holds. Each trade pays `transaction_cost_pct` of its value. The account starts in cash.
//!
//! TradeMaster's own environment has `2·max_volume + 1` actions that buy or sell whole coins
//! (so a position is tiny or unaffordable depending on the price level) and lets positions go
//! short; lots sized from the account keep the actions meaningful at any price, long only.
//! The reward is the step's log return rather than its hindsight-weighted profit.

use serde::{Deserialize, Serialize};

use super::{check_config, StepOutcome};
use crate::algo::data::{MarketData, FEATURE_NAMES};
use crate::algo::error::{AlgoError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TradingConfig {
    pub initial_amount: f64,
    pub transaction_cost_pct: f64,
    /// Dates of features in an observation.
    pub window: usize,
    /// Lots the position may hold.
    pub max_position: usize,
}

impl Default for TradingConfig {
    fn default() -> Self {
        TradingConfig {
            initial_amount: 100_000.0,
            transaction_cost_pct: 0.001,
            window: 10,
            max_position: 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TradeAction {
    Sell = 0,
    Hold = 1,
    Buy = 2,
}

impl TradeAction {
    pub const ALL: [TradeAction; 3] = [TradeAction::Sell, TradeAction::Hold, TradeAction::Buy];
}

pub struct TradingEnv<'a> {
    data: &'a MarketData,
    config: TradingConfig,
    day: usize,
    cash: f64,
    units: f64,
    level: usize,
    account: Vec<f64>,
}

impl<'a> TradingEnv<'a> {
    pub fn new(data: &'a MarketData, config: TradingConfig) -> Result<Self> {
        if data.num_tics() != 1 {
            return Err(AlgoError::OneTicNeeded {
                count: data.num_tics(),
                tics: data.tics.join(", "),
            });
        }
        check_config(
            config.initial_amount,
            config.transaction_cost_pct,
            config.window,
            data.num_dates(),
        )?;
        if !(1..=100).contains(&config.max_position) {
            return Err(AlgoError::Hyperparameter(format!(
                "max_position must be between 1 and 100, got {}",
                config.max_position
            )));
        }
        let mut env = TradingEnv {
            data,
            config,
            day: 0,
            cash: 0.0,
            units: 0.0,
            level: 0,
            account: Vec::new(),
        };
        env.reset();
        Ok(env)
    }

    pub fn reset(&mut self) {
        self.day = self.config.window - 1;
        self.cash = self.config.initial_amount;
        self.units = 0.0;
        self.level = 0;
        self.account = vec![self.cash];
    }

    /// Length of [`Self::observation`] for a window.
    pub fn observation_size(window: usize) -> usize {
        window * FEATURE_NAMES.len() + 1
    }

    pub fn episode_len(&self) -> usize {
        self.data.num_dates() - self.config.window
    }

    pub fn done(&self) -> bool {
        self.day + 1 >= self.data.num_dates()
    }

    /// Position level `0..=max_position`.
    pub fn level(&self) -> usize {
        self.level
    }

    /// Features of the window up to the current date, then the position as a fraction of
    /// the limit.
    pub fn observation(&self) -> Vec<f64> {
        let from = self.day + 1 - self.config.window;
        let mut obs: Vec<f64> = (from..=self.day)
            .flat_map(|t| (0..FEATURE_NAMES.len()).map(move |f| (t, f)))
            .map(|(t, f)| self.data.features[[t, 0, f]])
            .collect();
        obs.push(self.level as f64 / self.config.max_position as f64);
        obs
    }

    pub fn account(&self) -> &[f64] {
        &self.account
    }

    pub fn account_dates(&self) -> Vec<String> {
        let from = self.config.window - 1;
        self.data.dates[from..from + self.account.len()].to_vec()
    }

    pub fn step(&mut self, action: TradeAction) -> Result<StepOutcome> {
        if self.done() {
            return Err(AlgoError::NotEnoughData("the episode has ended".into()));
        }
        let price = self.data.close[[self.day, 0]];
        let fee = self.config.transaction_cost_pct;
        let value_before = self.cash + self.units * price;
        let mut cost = 0.0;
        match action {
            TradeAction::Buy if self.level < self.config.max_position => {
                let spend = self.cash / (self.config.max_position - self.level) as f64;
                cost = spend * fee;
                self.units += (spend - cost) / price;
                self.cash -= spend;
                self.level += 1;
            }
            TradeAction::Sell if self.level > 0 => {
                let quantity = self.units / self.level as f64;
                let proceeds = quantity * price;
                cost = proceeds * fee;
                self.cash += proceeds - cost;
                self.units -= quantity;
                self.level -= 1;
                if self.level == 0 {
                    self.units = 0.0;
                }
            }
            _ => {}
        }
        self.day += 1;
        let value = self.cash + self.units * self.data.close[[self.day, 0]];
        self.account.push(value);
        Ok(StepOutcome {
            reward: (value / value_before).ln(),
            cost,
            done: self.done(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::data::LoadOptions;

    #[test]
    fn lots_fill_and_empty_the_position_with_costs() {
        let text = "date,tic,open,high,low,close\n\
                    2020-01-01,X,1,1,1,100\n2020-01-02,X,1,1,1,100\n2020-01-03,X,1,1,1,200\n\
                    2020-01-04,X,1,1,1,200\n2020-01-05,X,1,1,1,100\n";
        let data = MarketData::from_csv_str(text, "t", LoadOptions::default()).unwrap();
        let config = TradingConfig {
            initial_amount: 1000.0,
            transaction_cost_pct: 0.01,
            window: 1,
            max_position: 2,
        };
        let mut env = TradingEnv::new(&data, config).unwrap();
        assert_eq!(env.observation().len(), TradingEnv::observation_size(1));
        // First lot spends half the cash at 100: 500 → 4.95 units after 1% cost.
        let out = env.step(TradeAction::Buy).unwrap();
        assert!((out.cost - 5.0).abs() < 1e-12);
        assert_eq!(env.level(), 1);
        assert!((env.account()[1] - 995.0).abs() < 1e-9);
        // Second lot spends the rest at 100, then the price doubles.
        env.step(TradeAction::Buy).unwrap();
        assert!((env.account()[2] - 9.9 * 200.0).abs() < 1e-9);
        // A third buy holds at the limit.
        let out = env.step(TradeAction::Buy).unwrap();
        assert_eq!((out.cost, env.level()), (0.0, 2));
        // Selling one lot sells half the units at 200; the rest halves in value.
        let out = env.step(TradeAction::Sell).unwrap();
        assert!((out.cost - 4.95 * 200.0 * 0.01).abs() < 1e-9);
        assert!((env.account()[4] - (4.95 * 200.0 * 0.99 + 4.95 * 100.0)).abs() < 1e-9);
        assert!(out.done);
        let observation = env.observation();
        assert_eq!(observation.last(), Some(&0.5));
    }

    #[test]
    fn needs_exactly_one_tic() {
        let text = "date,tic,open,high,low,close\n2020-01-01,A,1,1,1,1\n2020-01-01,B,1,1,1,1\n";
        let data = MarketData::from_csv_str(text, "t", LoadOptions::default()).unwrap();
        let e = TradingEnv::new(&data, TradingConfig::default())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("takes one tic, the data has 2: A, B"), "{e}");
    }
}
