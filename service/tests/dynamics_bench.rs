//! Market-dynamics benchmarks, run on demand (they are ignored by default):
//! `bench/dynamics.sh` runs each in its own process under `/usr/bin/time -v`.
//! Each prints one `BENCH <name> rows=<n> seconds=<s>` line.

use std::path::Path;
use std::time::Instant;

use tmctl_service::dynamics::{label_csv, label_series, LabelParams, LabelingMethod};

/// The original service's defaults for daily data (merging on).
fn merging_params() -> LabelParams {
    LabelParams {
        dynamic_number: 5,
        min_length_limit: 24,
        max_length_expectation: 144,
        method: LabelingMethod::Quantile,
        merging_threshold: 0.03,
        merging_constraint: 1,
        ..LabelParams::default()
    }
}

fn no_merging_params() -> LabelParams {
    LabelParams {
        merging_threshold: -1.0,
        merging_constraint: -1,
        ..merging_params()
    }
}

/// Geometric random walk with a fixed seed (xorshift, sum of uniforms as noise).
fn random_walk(rows: usize) -> Vec<f64> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut price = 100.0_f64;
    (0..rows)
        .map(|_| {
            let noise: f64 = (0..4).map(|_| uniform()).sum::<f64>() - 2.0;
            price *= (0.01 * noise).exp();
            price
        })
        .collect()
}

fn report(name: &str, rows: usize, started: Instant, detail: &str) {
    println!(
        "BENCH {name} rows={rows} seconds={:.3} {detail}",
        started.elapsed().as_secs_f64()
    );
}

fn dji_csv(params: &LabelParams, name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/trademaster/portfolio_management_dj30_DJI.csv");
    let input = std::fs::read(&path).unwrap();
    let started = Instant::now();
    let mut output = Vec::with_capacity(input.len() * 2);
    let labeled = label_csv(input.as_slice(), &mut output, params).unwrap();
    report(
        name,
        labeled.rows,
        started,
        &format!("segments={}", labeled.tics[0].segments.len()),
    );
}

fn walk_series(rows: usize, params: &LabelParams, name: &str) {
    let prices = random_walk(rows);
    let started = Instant::now();
    let labeled = label_series(&prices, params).unwrap();
    report(
        name,
        rows,
        started,
        &format!(
            "segments={} merging_rounds={} merges={}",
            labeled.segments.len(),
            labeled.merging.rounds,
            labeled.merging.merges
        ),
    );
}

fn walk_csv(rows: usize, params: &LabelParams, name: &str) {
    let mut input = String::from(",date,tic,adjcp\n");
    for (row, price) in random_walk(rows).iter().enumerate() {
        input.push_str(&format!("{row},{row},WALK,{price}\n"));
    }
    let started = Instant::now();
    let mut output = Vec::with_capacity(input.len() * 2);
    label_csv(input.as_bytes(), &mut output, params).unwrap();
    report(
        name,
        rows,
        started,
        &format!("csv_bytes_in={}", input.len()),
    );
}

#[test]
#[ignore]
fn bench_dji_csv_merging() {
    dji_csv(&merging_params(), "dji_csv_merging");
}

#[test]
#[ignore]
fn bench_dji_csv_no_merging() {
    dji_csv(&no_merging_params(), "dji_csv_no_merging");
}

#[test]
#[ignore]
fn bench_walk_1m_no_merging() {
    walk_series(1_000_000, &no_merging_params(), "walk_1m_series_no_merging");
}

#[test]
#[ignore]
fn bench_walk_1m_csv_no_merging() {
    walk_csv(1_000_000, &no_merging_params(), "walk_1m_csv_no_merging");
}

#[test]
#[ignore]
fn bench_walk_250k_merging() {
    walk_series(250_000, &merging_params(), "walk_250k_series_merging");
}

#[test]
#[ignore]
fn bench_walk_500k_merging() {
    walk_series(500_000, &merging_params(), "walk_500k_series_merging");
}

#[test]
#[ignore]
fn bench_walk_1m_merging() {
    walk_series(1_000_000, &merging_params(), "walk_1m_series_merging");
}
