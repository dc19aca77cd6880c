//! Every agent trains and evaluates end to end on the shared TradeMaster files, and models
//! survive storage.

use crate::algo_support::{backtest_in_sample, load_shared};
use tmctl_service::algo::{self, catalog, MarketData, SplitSpec, Task, TrainSpec, TrainedModel};

/// Few epochs: these tests check the plumbing on real data, not the quality of the result.
fn quick_hyper(agent: &str) -> serde_json::Value {
    match agent {
        "eiie" | "pg" => serde_json::json!({"epochs": 2}),
        "dqn" => serde_json::json!({"epochs": 1}),
        _ => serde_json::Value::Null,
    }
}

fn check_agent(task: Task, agent: &str, train: &MarketData, test: &MarketData) {
    let spec = TrainSpec {
        seed: 3,
        hyperparameters: quick_hyper(agent),
        ..TrainSpec::new(task.name(), &format!("{}:{agent}", task.name()))
    };
    let mut epochs = 0;
    let model = algo::train(&spec, train, &mut |_| {
        epochs += 1;
        true
    })
    .unwrap_or_else(|e| panic!("{agent}: {e}"));
    let bt = algo::evaluate(&model, test).unwrap();
    let window = 10;
    assert_eq!(bt.account.len(), test.num_dates() - window + 1, "{agent}");
    assert_eq!(bt.dates.len(), bt.account.len());
    assert_eq!(bt.dates[0], test.dates[window - 1]);
    assert_eq!(bt.account[0], 100_000.0);
    assert!(
        bt.account.iter().all(|v| v.is_finite() && *v > 0.0),
        "{agent}"
    );
    for c in &bt.baselines {
        assert_eq!(c.account.len(), bt.account.len());
    }
    let m = bt.metrics;
    for v in [
        m.total_return,
        m.sharpe_ratio,
        m.volatility,
        m.max_drawdown,
        m.calmar_ratio,
        m.sortino_ratio,
    ] {
        assert!(v.is_finite(), "{agent}: {m:?}");
    }
    let learns = catalog()
        .tasks
        .iter()
        .flat_map(|t| t.agents.iter())
        .any(|a| a.name == agent && a.learns);
    assert_eq!(epochs > 0, learns, "{agent}: progress calls");

    // Stored and reloaded, the model gives the same backtest.
    assert_eq!(bt.agent, agent, "the stored agent name is the bare one");
    let reloaded = TrainedModel::from_bytes(&model.to_bytes().unwrap()).unwrap();
    assert_eq!(reloaded, model);
    assert_eq!(algo::evaluate(&reloaded, test).unwrap(), bt, "{agent}");
    eprintln!(
        "{} {agent}: total return {:+.4}, sharpe {:.3}",
        task.name(),
        m.total_return,
        m.sharpe_ratio
    );
}

#[test]
fn every_portfolio_agent_runs_on_dj30() {
    let train = load_shared("portfolio_management_dj30_valid.csv");
    let test = load_shared("portfolio_management_dj30_test.csv");
    for agent in Task::PortfolioManagement.agents() {
        check_agent(Task::PortfolioManagement, agent, &train, &test);
    }
}

#[test]
fn every_trading_agent_runs_on_btc() {
    let data = load_shared("algorithmic_trading_BTC_data.csv");
    let split = data.split(&SplitSpec::default()).unwrap();
    for agent in Task::AlgorithmicTrading.agents() {
        check_agent(Task::AlgorithmicTrading, agent, &split.train, &split.test);
    }
}

#[test]
fn baselines_follow_their_definitions_on_dj30() {
    let test = load_shared("portfolio_management_dj30_test.csv");
    let bt = backtest_in_sample("portfolio_management", "do_nothing", &test);
    assert!(bt.account.iter().all(|v| *v == 100_000.0));
    assert_eq!(bt.metrics, algo::Metrics::default());
    // Buy and hold pays the cost once: its value is the mean price relative of the assets
    // since the first date, times what was left after buying.
    let hold = bt
        .baselines
        .iter()
        .find(|c| c.name == "buy_and_hold")
        .unwrap();
    let first = 9;
    let last = test.num_dates() - 1;
    let mean_relative: f64 = (0..test.num_tics())
        .map(|i| test.close[[last, i]] / test.close[[first, i]])
        .sum::<f64>()
        / 29.0;
    let expected = 100_000.0 * (1.0 - 0.001) * mean_relative;
    assert!((hold.account.last().unwrap() - expected).abs() < 1e-6 * expected);
}

#[test]
fn btc_buy_and_hold_tracks_the_price() {
    let data = load_shared("algorithmic_trading_BTC_data.csv")
        .slice(0..300)
        .unwrap();
    let bt = backtest_in_sample("algorithmic_trading", "buy_and_hold", &data);
    let (first, last) = (data.close[[9, 0]], data.close[[299, 0]]);
    let expected = 100_000.0 * 0.999 * last / first;
    assert!((bt.account.last().unwrap() - expected).abs() < 1e-6 * expected);
}

#[test]
fn dynamics_test_scores_references_at_zero_and_fifty() {
    let data = load_shared("algorithmic_trading_BTC_data.csv");
    let segments: Vec<MarketData> = (0..5)
        .map(|k| data.slice(k * 200..k * 200 + 60).unwrap())
        .collect();
    let short = data.slice(0..5).unwrap();
    let mut with_short = segments.clone();
    with_short.push(short.clone());
    for (agent, expected) in [("do_nothing", 0.0), ("blind_bid", 50.03)] {
        let model = algo::train(
            &TrainSpec::new("algorithmic_trading", agent),
            &data,
            &mut |_| true,
        )
        .unwrap();
        let result = algo::dynamics_test(&model, &with_short).unwrap();
        assert_eq!(result.segments_used, 5);
        assert_eq!(result.segments_skipped, 1);
        // Blind bid scores +50, or -50 where it did worse than doing nothing (as here for some
        // metrics, depending on how the segments went).
        let sign = if result.fifty_reference.metrics.total_return < 0.0 {
            -1.0
        } else {
            1.0
        };
        assert!(
            (result.scores.total_return - sign * expected).abs() < 0.01,
            "{agent}: {:?}",
            result.scores
        );
        let risk = if agent == "do_nothing" { 99.73 } else { 50.03 };
        assert!(
            (result.scores.risk_control - risk).abs() < 0.01,
            "{agent}: {:?}",
            result.scores
        );
        let err = algo::dynamics_test(&model, std::slice::from_ref(&short)).unwrap_err();
        assert!(err.to_string().contains("11 dates"), "{err}");
    }
}

#[test]
fn bad_requests_are_clear_errors() {
    let data = load_shared("algorithmic_trading_BTC_data.csv")
        .slice(0..100)
        .unwrap();
    let run = |spec: TrainSpec| {
        algo::train(&spec, &data, &mut |_| true)
            .unwrap_err()
            .to_string()
    };
    let e = run(TrainSpec::new("order_execution", "eteo"));
    assert!(
        e.contains(
            "unknown task `order_execution`; allowed: portfolio_management, algorithmic_trading"
        ),
        "{e}"
    );
    let e = run(TrainSpec::new("algorithmic_trading", "eiie"));
    assert!(
        e.contains("allowed: dqn, buy_and_hold, blind_bid, do_nothing"),
        "{e}"
    );
    let e = run(TrainSpec {
        optimizer: "rmsprop".into(),
        ..TrainSpec::new("algorithmic_trading", "dqn")
    });
    assert!(
        e.contains("unknown optimizer `rmsprop`; allowed: adam, sgd"),
        "{e}"
    );
    for (hyperparameters, expected) in [
        (serde_json::json!({"epoch": 3}), "unknown field `epoch`"),
        (
            serde_json::json!({"gamma": 2.0}),
            "gamma must be between 0 and 0.999, got 2",
        ),
        (
            serde_json::json!({"window": 200}),
            "window must be between 1 and 128, got 200",
        ),
        (
            serde_json::json!({"window": 100}),
            "100 dates cannot fill a window of 100",
        ),
        (
            serde_json::json!({"window": u64::MAX}),
            "window must be between",
        ),
    ] {
        let e = run(TrainSpec {
            hyperparameters: hyperparameters.clone(),
            ..TrainSpec::new("algorithmic_trading", "dqn")
        });
        assert!(e.contains(expected), "{hyperparameters}: {e}");
    }
    let dj30 = load_shared("portfolio_management_dj30_test.csv");
    let e = algo::train(
        &TrainSpec::new("algorithmic_trading", "blind_bid"),
        &dj30,
        &mut |_| true,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("takes one tic, the data has 29"), "{e}");
    let e = TrainedModel::from_bytes(b"{not json")
        .unwrap_err()
        .to_string();
    assert!(e.contains("stored model is not readable"), "{e}");
}

#[test]
fn train_spec_reads_json_with_defaults() {
    let spec: TrainSpec =
        serde_json::from_str(r#"{"task":"algorithmic_trading","agent":"dqn"}"#).unwrap();
    assert_eq!(spec, TrainSpec::new("algorithmic_trading", "dqn"));
    assert_eq!(
        (spec.optimizer.as_str(), spec.loss.as_str(), spec.seed),
        ("adam", "mse", 0)
    );
    let cat = catalog();
    let names: Vec<&str> = cat.tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["portfolio_management", "algorithmic_trading"]);
    assert_eq!(cat.optimizers, ["adam", "sgd"]);
    assert_eq!(cat.losses, ["mse", "huber"]);
    let dqn = &cat.tasks[1].agents[0];
    assert_eq!(dqn.default_hyperparameters["epochs"], 10);
    assert!(dqn.uses_loss && dqn.learns);
}
