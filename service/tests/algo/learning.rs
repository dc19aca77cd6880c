//! Learning is real: agents find a planted signal in held-out data and claim no edge on a
//! random walk.
//!
//! Noise bound: on a random walk with daily volatility σ, returns are independent of
//! everything an agent can see, so its excess log return over a baseline on T held-out steps
//! has mean at most 0 (costs only lower it) and standard deviation at most σ·√(k·T), where
//! k bounds the squared exposure difference per step (k = 1 for trading: exposure 0 or 1
//! against 1; k = 2 for portfolios: Σ_i (w_i - 1/N)² ≤ 1 + 1/N ≤ 2). An excess above three
//! of those deviations would be a claimed edge; on the planted market the same bound must be
//! beaten by a wide margin, which shows it can tell learning from luck.

use crate::algo_support::synthetic;
use tmctl_service::algo::{self, AlgoError, Backtest, MarketData, TrainSpec, TrainedModel};

fn spec(task: &str, agent: &str, seed: u64, hyper: serde_json::Value) -> TrainSpec {
    TrainSpec {
        seed,
        hyperparameters: hyper,
        ..TrainSpec::new(task, agent)
    }
}

fn train(spec: &TrainSpec, data: &MarketData) -> TrainedModel {
    algo::train(spec, data, &mut |_| true).unwrap()
}

/// `ln(A_agent / A_baseline)` at the end of the backtest.
fn excess_log_return(bt: &Backtest, baseline: &str) -> f64 {
    let base = bt.baselines.iter().find(|c| c.name == baseline).unwrap();
    (bt.account.last().unwrap() / base.account.last().unwrap()).ln()
}

fn noise_bound(sigma: f64, k: f64, steps: usize) -> f64 {
    3.0 * sigma * (k * steps as f64).sqrt()
}

fn report(label: &str, bt: &Backtest) {
    let baselines: Vec<String> = bt
        .baselines
        .iter()
        .map(|c| format!("{} {:+.3}", c.name, c.metrics.total_return))
        .collect();
    eprintln!(
        "{label}: agent {:+.3} | {}",
        bt.metrics.total_return,
        baselines.join(" | ")
    );
}

/// Trains on the first `split` dates, backtests on the rest and reports the result.
fn held_out(label: &str, spec: &TrainSpec, data: &MarketData, split: usize) -> Backtest {
    let model = train(spec, &data.slice(0..split).unwrap());
    let bt = algo::evaluate(&model, &data.slice(split..data.num_dates()).unwrap()).unwrap();
    report(label, &bt);
    bt
}

const PORTFOLIO: &str = "portfolio_management";
const TRADING: &str = "algorithmic_trading";

/// An agent under test: its task, market size, train/test split, the baselines a planted
/// signal must let it beat (the first also serves on the random walk) and `k` of the noise
/// bound.
struct Setup {
    task: &'static str,
    agent: &'static str,
    seed: u64,
    epochs: u64,
    tics: usize,
    days: usize,
    split: usize,
    baselines: [&'static str; 2],
    k: f64,
}

const EIIE: Setup = Setup {
    task: PORTFOLIO,
    agent: "eiie",
    seed: 1,
    epochs: 15,
    tics: 4,
    days: 700,
    split: 500,
    baselines: ["ucrp", "buy_and_hold"],
    k: 2.0,
};

const DQN: Setup = Setup {
    task: TRADING,
    agent: "dqn",
    seed: 5,
    epochs: 8,
    tics: 1,
    days: 1200,
    split: 900,
    baselines: ["buy_and_hold", "blind_bid"],
    k: 1.0,
};

impl Setup {
    fn backtest(&self, label: &str, predictive: f64, sigma: f64, data_seed: u64) -> Backtest {
        let data = synthetic(self.tics, self.days, predictive, sigma, data_seed);
        let hyper = serde_json::json!({"epochs": self.epochs, "window": 5});
        let spec = spec(self.task, self.agent, self.seed, hyper);
        held_out(&format!("{} {label}", self.agent), &spec, &data, self.split)
    }

    fn finds_a_planted_signal(&self, data_seed: u64) {
        let bt = self.backtest("planted", 1.0, 0.005, data_seed);
        let steps = bt.account.len() - 1;
        for baseline in self.baselines {
            let excess = excess_log_return(&bt, baseline);
            assert!(
                excess > 3.0 * noise_bound(0.005, self.k, steps),
                "excess over {baseline}: {excess}"
            );
        }
    }

    fn claims_no_edge_on_a_random_walk(&self, data_seed: u64) {
        let sigma = 0.01;
        let bt = self.backtest("random walk", 0.0, sigma, data_seed);
        let excess = excess_log_return(&bt, self.baselines[0]);
        assert!(
            excess < noise_bound(sigma, self.k, bt.account.len() - 1),
            "excess {excess}"
        );
    }
}

/// The planted-signal and random-walk tests of each setup, each on data of its own seed.
macro_rules! learning_tests {
    ($($setup:ident: $planted:ident($planted_seed:expr), $random:ident($random_seed:expr);)*) => {
        $(
            #[test]
            fn $planted() {
                $setup.finds_a_planted_signal($planted_seed);
            }

            #[test]
            fn $random() {
                $setup.claims_no_edge_on_a_random_walk($random_seed);
            }
        )*
    };
}

learning_tests! {
    EIIE: eiie_finds_a_planted_signal_out_of_sample(11), eiie_claims_no_edge_on_a_random_walk(12);
    DQN: dqn_finds_a_planted_signal_out_of_sample(21), dqn_claims_no_edge_on_a_random_walk(22);
}

#[test]
fn pg_finds_a_planted_signal_out_of_sample() {
    let data = synthetic(4, 700, 1.0, 0.005, 13);
    let hyper = serde_json::json!({"epochs": 20, "window": 5});
    let bt = held_out("pg planted", &spec(PORTFOLIO, "pg", 3, hyper), &data, 500);
    let excess = excess_log_return(&bt, "ucrp");
    assert!(
        excess > noise_bound(0.005, 2.0, bt.account.len() - 1),
        "excess {excess}"
    );
}

#[test]
fn training_is_deterministic_for_a_seed() {
    let data = synthetic(3, 200, 1.0, 0.005, 31);
    let hyper = serde_json::json!({"epochs": 2, "window": 5});
    for (task, agent) in [(PORTFOLIO, "eiie"), (PORTFOLIO, "pg")] {
        let a = train(&spec(task, agent, 9, hyper.clone()), &data)
            .to_bytes()
            .unwrap();
        let b = train(&spec(task, agent, 9, hyper.clone()), &data)
            .to_bytes()
            .unwrap();
        let c = train(&spec(task, agent, 10, hyper.clone()), &data)
            .to_bytes()
            .unwrap();
        assert_eq!(a, b, "{agent}");
        assert_ne!(a, c, "{agent}");
    }
    let one = synthetic(1, 200, 1.0, 0.005, 32);
    let a = train(&spec(TRADING, "dqn", 9, hyper.clone()), &one)
        .to_bytes()
        .unwrap();
    let b = train(&spec(TRADING, "dqn", 9, hyper), &one)
        .to_bytes()
        .unwrap();
    assert_eq!(a, b);
}

#[test]
fn progress_reports_every_epoch_and_can_cancel() {
    let data = synthetic(2, 120, 1.0, 0.005, 41);
    let spec = spec(
        PORTFOLIO,
        "eiie",
        1,
        serde_json::json!({"epochs": 4, "window": 5}),
    );
    let mut seen = Vec::new();
    algo::train(&spec, &data, &mut |p| {
        seen.push((p.epoch, p.epochs));
        assert!(p.mean_reward.is_finite() && p.final_value > 0.0);
        true
    })
    .unwrap();
    assert_eq!(seen, vec![(1, 4), (2, 4), (3, 4), (4, 4)]);
    let err = algo::train(&spec, &data, &mut |p| p.epoch < 2).unwrap_err();
    assert!(matches!(err, AlgoError::Cancelled { epoch: 2 }), "{err}");
}
