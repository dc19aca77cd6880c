//! Shared helpers of the algo integration tests: the real data files and synthetic markets.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::PathBuf;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tmctl_service::algo::{self, Backtest, LoadOptions, MarketData, TrainSpec};

/// A file of the shared TradeMaster data set.
pub fn shared_data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/trademaster")
        .join(name)
}

pub fn load_shared(name: &str) -> MarketData {
    MarketData::from_csv_path(&shared_data(name), LoadOptions::default()).unwrap()
}

/// `agent` of `task` with default settings, trained and backtested on the same `data`.
pub fn backtest_in_sample(task: &str, agent: &str, data: &MarketData) -> Backtest {
    let model = algo::train(&TrainSpec::new(task, agent), data, &mut |_| true).unwrap();
    algo::evaluate(&model, data).unwrap()
}

/// A synthetic market as TradeMaster CSV text (no feature columns: the loader computes them).
///
/// Every tic's `zopen` on day t is a signal `s_t` (±0.5%..±1.5%), and its next close-to-close
/// return is `predictive · s_t + noise · N(0,1)`. With `predictive = 0` the prices are a
/// random walk whose features carry no information about the future.
pub fn synthetic_csv(tics: usize, days: usize, predictive: f64, noise: f64, seed: u64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut closes = vec![100.0; tics];
    let mut signals: Vec<f64> = (0..tics).map(|_| signal(&mut rng)).collect();
    let mut csv = String::from(",date,tic,open,high,low,close,adjcp\n");
    for day in 0..days {
        let date = date_of(day);
        for i in 0..tics {
            let close: f64 = closes[i];
            let open = close * (1.0 + signals[i]);
            let high = open.max(close) * 1.002;
            let low = open.min(close) * 0.998;
            let _ = writeln!(csv, "{day},{date},T{i},{open},{high},{low},{close},{close}");
        }
        for i in 0..tics {
            let z = normal(&mut rng);
            closes[i] *= 1.0 + predictive * signals[i] + noise * z;
            signals[i] = signal(&mut rng);
        }
    }
    csv
}

pub fn synthetic(tics: usize, days: usize, predictive: f64, noise: f64, seed: u64) -> MarketData {
    MarketData::from_csv_str(
        &synthetic_csv(tics, days, predictive, noise, seed),
        "synthetic",
        LoadOptions::default(),
    )
    .unwrap()
}

fn signal(rng: &mut ChaCha8Rng) -> f64 {
    let magnitude = rng.gen_range(0.005..0.015);
    if rng.gen::<bool>() {
        magnitude
    } else {
        -magnitude
    }
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Consecutive calendar-like dates (every day valid, no weekends skipped).
pub fn date_of(day: usize) -> String {
    let year = 2000 + day / 336;
    let month = (day % 336) / 28 + 1;
    let dom = day % 28 + 1;
    format!("{year:04}-{month:02}-{dom:02}")
}
