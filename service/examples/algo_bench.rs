//! Environment steps per second of training and evaluating EIIE on dj30 and DQN on BTC, and of
//! the bare environments (driven by baselines). Run through `bench/algo_bench.sh`.

use std::path::Path;
use std::time::Instant;

use tmctl_service::algo::{self, LoadOptions, MarketData, SplitSpec, TrainSpec, TrainedModel};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/trademaster");
    let load = |name: &str| MarketData::from_csv_path(&dir.join(name), LoadOptions::default());
    let started = Instant::now();
    let dj30_train = load("portfolio_management_dj30_valid.csv")?;
    let dj30_test = load("portfolio_management_dj30_test.csv")?;
    let btc = load("algorithmic_trading_BTC_data.csv")?.split(&SplitSpec::default())?;
    println!("load 3 CSVs: {:.3} s", started.elapsed().as_secs_f64());

    let spec = |task: &str, agent: &str, epochs: usize| TrainSpec {
        seed: 1,
        hyperparameters: serde_json::json!({ "epochs": epochs }),
        ..TrainSpec::new(task, agent)
    };
    train_rate(
        "eiie train (dj30, 29 tics)",
        &spec("portfolio_management", "eiie", 20),
        &dj30_train,
    )?;
    let eiie = algo::train(
        &spec("portfolio_management", "eiie", 1),
        &dj30_train,
        &mut |_| true,
    )?;
    eval_rate("eiie evaluate (dj30 test)", &eiie, &dj30_test)?;
    let ucrp = algo::train(
        &TrainSpec::new("portfolio_management", "ucrp"),
        &dj30_test,
        &mut |_| true,
    )?;
    eval_rate("portfolio env, ucrp (dj30 test)", &ucrp, &dj30_test)?;

    train_rate(
        "dqn train (BTC 80%)",
        &spec("algorithmic_trading", "dqn", 5),
        &btc.train,
    )?;
    let dqn = algo::train(
        &spec("algorithmic_trading", "dqn", 1),
        &btc.train,
        &mut |_| true,
    )?;
    eval_rate("dqn evaluate (BTC 80%)", &dqn, &btc.train)?;
    let blind = algo::train(
        &TrainSpec::new("algorithmic_trading", "blind_bid"),
        &btc.train,
        &mut |_| true,
    )?;
    eval_rate("trading env, blind_bid (BTC 80%)", &blind, &btc.train)?;
    Ok(())
}

fn train_rate(label: &str, spec: &TrainSpec, data: &MarketData) -> Result<(), algo::AlgoError> {
    let steps_per_epoch = data.num_dates() - 10;
    let mut epochs = 0;
    let started = Instant::now();
    algo::train(spec, data, &mut |_| {
        epochs += 1;
        true
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let steps = epochs * steps_per_epoch;
    println!(
        "{label}: {steps} steps in {seconds:.3} s = {:.0} steps/s",
        steps as f64 / seconds
    );
    Ok(())
}

/// Repeats full episodes for about a second; the figure excludes the baselines `evaluate`
/// also runs by timing the agent's own episodes.
fn eval_rate(label: &str, model: &TrainedModel, data: &MarketData) -> Result<(), algo::AlgoError> {
    let started = Instant::now();
    let mut steps = 0;
    while started.elapsed().as_secs_f64() < 1.0 {
        steps += model.policy.run(data)?.account.len() - 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{label}: {steps} steps in {seconds:.3} s = {:.0} steps/s",
        steps as f64 / seconds
    );
    Ok(())
}
