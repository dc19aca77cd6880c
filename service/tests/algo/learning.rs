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

const PORTFOLIO: &str = "portfolio_management";
const TRADING: &str = "algorithmic_trading";

fn eiie_hyper() -> serde_json::Value {
    serde_json::json!({"epochs": 15, "window": 5})
}

fn dqn_hyper() -> serde_json::Value {
    serde_json::json!({"epochs": 8, "window": 5})
}

#[test]
fn eiie_finds_a_planted_signal_out_of_sample() {
    let data = synthetic(4, 700, 1.0, 0.005, 11);
    let model = train(
        &spec(PORTFOLIO, "eiie", 1, eiie_hyper()),
        &data.slice(0..500).unwrap(),
    );
    let bt = algo::evaluate(&model, &data.slice(500..700).unwrap()).unwrap();
    report("eiie planted", &bt);
    let steps = bt.account.len() - 1;
    for baseline in ["ucrp", "buy_and_hold"] {
        let excess = excess_log_return(&bt, baseline);
        assert!(
            excess > 3.0 * noise_bound(0.005, 2.0, steps),
            "excess over {baseline}: {excess}"
        );
    }
}

#[test]
fn eiie_claims_no_edge_on_a_random_walk() {
    let sigma = 0.01;
    let data = synthetic(4, 700, 0.0, sigma, 12);
    let model = train(
        &spec(PORTFOLIO, "eiie", 1, eiie_hyper()),
        &data.slice(0..500).unwrap(),
    );
    let bt = algo::evaluate(&model, &data.slice(500..700).unwrap()).unwrap();
    report("eiie random walk", &bt);
    let excess = excess_log_return(&bt, "ucrp");
    assert!(
        excess < noise_bound(sigma, 2.0, bt.account.len() - 1),
        "excess {excess}"
    );
}

#[test]
fn pg_finds_a_planted_signal_out_of_sample() {
    let data = synthetic(4, 700, 1.0, 0.005, 13);
    let hyper = serde_json::json!({"epochs": 20, "window": 5});
    let model = train(
        &spec(PORTFOLIO, "pg", 3, hyper),
        &data.slice(0..500).unwrap(),
    );
    let bt = algo::evaluate(&model, &data.slice(500..700).unwrap()).unwrap();
    report("pg planted", &bt);
    let excess = excess_log_return(&bt, "ucrp");
    assert!(
        excess > noise_bound(0.005, 2.0, bt.account.len() - 1),
        "excess {excess}"
    );
}

#[test]
fn dqn_finds_a_planted_signal_out_of_sample() {
    let data = synthetic(1, 1200, 1.0, 0.005, 21);
    let model = train(
        &spec(TRADING, "dqn", 5, dqn_hyper()),
        &data.slice(0..900).unwrap(),
    );
    let bt = algo::evaluate(&model, &data.slice(900..1200).unwrap()).unwrap();
    report("dqn planted", &bt);
    let steps = bt.account.len() - 1;
    for baseline in ["buy_and_hold", "blind_bid"] {
        let excess = excess_log_return(&bt, baseline);
        assert!(
            excess > 3.0 * noise_bound(0.005, 1.0, steps),
            "excess over {baseline}: {excess}"
        );
    }
}

#[test]
fn dqn_claims_no_edge_on_a_random_walk() {
    let sigma = 0.01;
    let data = synthetic(1, 1200, 0.0, sigma, 22);
    let model = train(
        &spec(TRADING, "dqn", 5, dqn_hyper()),
        &data.slice(0..900).unwrap(),
    );
    let bt = algo::evaluate(&model, &data.slice(900..1200).unwrap()).unwrap();
    report("dqn random walk", &bt);
    let excess = excess_log_return(&bt, "buy_and_hold");
    assert!(
        excess < noise_bound(sigma, 1.0, bt.account.len() - 1),
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
