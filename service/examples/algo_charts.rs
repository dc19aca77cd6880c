//! Trains EIIE on the shared dj30 files and DQN on BTC, then writes the charts as PNGs.
//!
//! `cargo run -p tmctl-service --example algo_charts -- OUT_DIR`

use std::path::{Path, PathBuf};

use tmctl_service::algo::{self, LoadOptions, MarketData, SplitSpec, TrainSpec};
use tmctl_service::plot;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "charts".into()));
    std::fs::create_dir_all(&out)?;
    let data_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/trademaster");
    let load = |name: &str| MarketData::from_csv_path(&data_dir.join(name), LoadOptions::default());

    let train = load("portfolio_management_dj30_valid.csv")?;
    let test = load("portfolio_management_dj30_test.csv")?;
    let spec: TrainSpec = serde_json::from_str(
        r#"{"task":"portfolio_management","agent":"eiie","seed":1,"hyperparameters":{"epochs":10}}"#,
    )?;
    let model = algo::train(&spec, &train, &mut |p| {
        println!(
            "eiie epoch {}/{}: mean log return {:.5}",
            p.epoch, p.epochs, p.mean_reward
        );
        true
    })?;
    let bt = algo::evaluate(&model, &test)?;
    std::fs::write(out.join("eiie_dj30.png"), plot::backtest_chart(&bt)?)?;

    let btc = load("algorithmic_trading_BTC_data.csv")?;
    let split = btc.split(&SplitSpec::default())?;
    let dqn = algo::train(
        &TrainSpec::new("algorithmic_trading", "dqn"),
        &split.train,
        &mut |_| true,
    )?;
    let bt = algo::evaluate(&dqn, &split.test)?;
    std::fs::write(out.join("dqn_btc.png"), plot::backtest_chart(&bt)?)?;

    // Regimes by the sign of the 20-day trend, to show the labelled price chart.
    let close = split.test.close_of(0);
    let labels: Vec<usize> = (0..close.len())
        .map(|t| {
            let back = close[t.saturating_sub(20)];
            match close[t] / back - 1.0 {
                r if r > 0.05 => 2,
                r if r < -0.05 => 0,
                _ => 1,
            }
        })
        .collect();
    let names = ["bear", "sideways", "bull"].map(String::from);
    let png = plot::regime_chart(
        "BTC close by trend",
        Some(&split.test.dates),
        &close,
        &labels,
        &names,
    )?;
    std::fs::write(out.join("regimes_btc.png"), png)?;

    let segments: Vec<MarketData> = (0..4)
        .map(|k| split.test.slice(k * 70..k * 70 + 60))
        .collect::<Result<_, _>>()?;
    let result = algo::dynamics_test(&dqn, &segments)?;
    std::fs::write(
        out.join("radar_dqn.png"),
        plot::radar_chart("DQN on BTC segments", &result.scores)?,
    )?;
    println!("{}", serde_json::to_string_pretty(&result.scores)?);
    println!("charts written to {}", out.display());
    Ok(())
}
