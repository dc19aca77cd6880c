//! Portfolio management: spread the account over cash and every tic of the panel.
//!
//! Weights are `[cash, asset_1, .., asset_N]` and sum to 1. Each step rebalances from the
//! current (price-drifted) weights to the target, paying `transaction_cost_pct` of the traded
//! value `V · Σ_i |w_i - w'_i|` over the assets, then holds until the next close. The account
//! starts all in cash. (TradeMaster's EIIE environment also counted the cash leg in the sum,
//! charging each trade about twice; this one charges what is bought and sold.)

use ndarray::{s, ArrayView3};
use serde::{Deserialize, Serialize};

use super::{check_config, StepOutcome};
use crate::algo::data::MarketData;
use crate::algo::error::{AlgoError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PortfolioConfig {
    pub initial_amount: f64,
    pub transaction_cost_pct: f64,
    /// Dates of features in an observation.
    pub window: usize,
}

impl Default for PortfolioConfig {
    fn default() -> Self {
        PortfolioConfig {
            initial_amount: 100_000.0,
            transaction_cost_pct: 0.001,
            window: 10,
        }
    }
}

pub struct PortfolioEnv<'a> {
    data: &'a MarketData,
    config: PortfolioConfig,
    day: usize,
    value: f64,
    weights: Vec<f64>,
    account: Vec<f64>,
}

impl<'a> PortfolioEnv<'a> {
    pub fn new(data: &'a MarketData, config: PortfolioConfig) -> Result<Self> {
        check_config(
            config.initial_amount,
            config.transaction_cost_pct,
            config.window,
            data.num_dates(),
        )?;
        let mut env = PortfolioEnv {
            data,
            config,
            day: 0,
            value: 0.0,
            weights: Vec::new(),
            account: Vec::new(),
        };
        env.reset();
        Ok(env)
    }

    pub fn reset(&mut self) {
        self.day = self.config.window - 1;
        self.value = self.config.initial_amount;
        self.weights = vec![0.0; self.data.num_tics() + 1];
        self.weights[0] = 1.0;
        self.account = vec![self.value];
    }

    pub fn num_assets(&self) -> usize {
        self.data.num_tics()
    }

    /// Steps in an episode.
    pub fn episode_len(&self) -> usize {
        self.data.num_dates() - self.config.window
    }

    /// Index of the current date.
    pub fn day(&self) -> usize {
        self.day
    }

    pub fn done(&self) -> bool {
        self.day + 1 >= self.data.num_dates()
    }

    /// `[window, tic, feature]` features up to and including the current date.
    pub fn observation(&self) -> ArrayView3<'a, f64> {
        let from = self.day + 1 - self.config.window;
        let data: &'a MarketData = self.data;
        data.features.slice(s![from..=self.day, .., ..])
    }

    /// Current weights `[cash, assets..]`, drifted by price moves since the last rebalance.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    pub fn value(&self) -> f64 {
        self.value
    }

    /// Account values: the initial amount, then one per step.
    pub fn account(&self) -> &[f64] {
        &self.account
    }

    /// Dates of [`Self::account`].
    pub fn account_dates(&self) -> Vec<String> {
        let from = self.config.window - 1;
        self.data.dates[from..from + self.account.len()].to_vec()
    }

    /// Price relatives of the next step `[1, p_{t+1}/p_t ..]` (cash first).
    pub fn next_price_relatives(&self) -> Vec<f64> {
        let close = &self.data.close;
        std::iter::once(1.0)
            .chain((0..self.num_assets()).map(|i| close[[self.day + 1, i]] / close[[self.day, i]]))
            .collect()
    }

    /// Rebalances to `target` (`[cash, assets..]`, non-negative, summing to 1) and advances.
    pub fn step(&mut self, target: &[f64]) -> Result<StepOutcome> {
        if self.done() {
            return Err(AlgoError::NotEnoughData("the episode has ended".into()));
        }
        let sum: f64 = target.iter().sum();
        if target.len() != self.weights.len()
            || target.iter().any(|w| !w.is_finite() || *w < 0.0)
            || (sum - 1.0).abs() > 1e-6
        {
            return Err(AlgoError::Model(format!(
                "portfolio weights must be {} non-negative numbers summing to 1, got {target:?}",
                self.weights.len()
            )));
        }
        let turnover: f64 = target[1..]
            .iter()
            .zip(&self.weights[1..])
            .map(|(a, b)| (a - b).abs())
            .sum();
        let cost = self.config.transaction_cost_pct * self.value * turnover;
        let y = self.next_price_relatives();
        let growth: f64 = target.iter().zip(&y).map(|(w, y)| w * y).sum();
        let new_value = (self.value - cost) * growth;
        self.weights = target.iter().zip(&y).map(|(w, y)| w * y / growth).collect();
        let reward = (new_value / self.value).ln();
        self.value = new_value;
        self.day += 1;
        self.account.push(new_value);
        Ok(StepOutcome {
            reward,
            cost,
            done: self.done(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::data::LoadOptions;

    fn two_assets() -> MarketData {
        let text = "date,tic,open,high,low,close\n\
                    2020-01-01,A,1,1,1,10\n2020-01-01,B,1,1,1,20\n\
                    2020-01-02,A,1,1,1,11\n2020-01-02,B,1,1,1,20\n\
                    2020-01-03,A,1,1,1,11\n2020-01-03,B,1,1,1,10\n";
        MarketData::from_csv_str(text, "t", LoadOptions::default()).unwrap()
    }

    #[test]
    fn rebalancing_pays_cost_on_traded_value_and_weights_drift() {
        let data = two_assets();
        let config = PortfolioConfig {
            initial_amount: 1000.0,
            transaction_cost_pct: 0.01,
            window: 1,
        };
        let mut env = PortfolioEnv::new(&data, config).unwrap();
        assert_eq!(env.episode_len(), 2);
        // From all cash to half A, half B: traded value 1000, cost 10.
        let out = env.step(&[0.0, 0.5, 0.5]).unwrap();
        assert!((out.cost - 10.0).abs() < 1e-12);
        // A rises 10%, B flat: 990 * (0.5*1.1 + 0.5) = 1039.5.
        assert!((env.value() - 1039.5).abs() < 1e-9);
        assert!((out.reward - (1039.5f64 / 1000.0).ln()).abs() < 1e-12);
        let w = env.weights();
        assert!((w[1] - 0.55 / 1.05).abs() < 1e-12 && (w[2] - 0.5 / 1.05).abs() < 1e-12);
        // Keeping the drifted weights trades nothing; B halves.
        let drifted = w.to_vec();
        let out = env.step(&drifted).unwrap();
        assert_eq!(out.cost, 0.0);
        assert!(out.done);
        assert!((env.value() - 1039.5 * (drifted[1] + drifted[2] * 0.5)).abs() < 1e-9);
        assert_eq!(env.account().len(), 3);
        assert_eq!(
            env.account_dates(),
            vec!["2020-01-01", "2020-01-02", "2020-01-03"]
        );
        assert!(env.step(&drifted).is_err());
    }

    #[test]
    fn rejects_weights_that_are_not_a_distribution() {
        let data = two_assets();
        let mut env = PortfolioEnv::new(
            &data,
            PortfolioConfig {
                window: 1,
                ..Default::default()
            },
        )
        .unwrap();
        for bad in [
            vec![0.5, 0.5],
            vec![0.5, 0.5, 0.5],
            vec![1.5, -0.5, 0.0],
            vec![f64::NAN, 0.5, 0.5],
        ] {
            let e = env.step(&bad).unwrap_err().to_string();
            assert!(e.contains("3 non-negative numbers summing to 1"), "{e}");
        }
    }
}
