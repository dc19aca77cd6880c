//! The low-pass filter equals SciPy's `butter(4, Wn)` + `filtfilt` on every
//! shared data file's key indicator, per tic, to 1e-9 relative.
//!
//! References come from `scripts/dynamics_reference.py`: read from
//! `$DYNAMICS_REFERENCE_DIR` when set, otherwise generated into a temporary
//! folder with `python3` (needs numpy, scipy and pandas). When neither works
//! the test fails if `CI` is set and is skipped with a message otherwise.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use ndarray::Array1;
use serde_json::Value;
use tmctl_service::dynamics::filter::{butter_lowpass, filtfilt};
use tmctl_service::dynamics::LabelParams;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn data_dir() -> PathBuf {
    repo_root().join("../shared/data/trademaster")
}

/// The folder of reference JSON files, or why there is none.
fn reference_dir(scratch: &Path) -> Result<PathBuf, String> {
    if let Ok(dir) = std::env::var("DYNAMICS_REFERENCE_DIR") {
        return Ok(PathBuf::from(dir));
    }
    let script = repo_root().join("scripts/dynamics_reference.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg("--data")
        .arg(data_dir())
        .arg("--out")
        .arg(scratch)
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(scratch.to_path_buf())
}

/// Key-indicator series per tic, in order of first appearance.
fn read_series(csv_path: &Path, key: &str, tic_column: &str) -> Vec<(String, Vec<f64>)> {
    let mut reader = csv::Reader::from_path(csv_path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let key_index = headers.iter().position(|h| h == key).unwrap();
    let tic_index = headers.iter().position(|h| h == tic_column);
    let mut order: Vec<(String, Vec<f64>)> = Vec::new();
    let mut slot: HashMap<String, usize> = HashMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        let tic = tic_index.map_or(tic_column.to_string(), |i| record[i].to_string());
        let index = *slot.entry(tic.clone()).or_insert_with(|| {
            order.push((tic, Vec::new()));
            order.len() - 1
        });
        order[index].1.push(record[key_index].parse().unwrap());
    }
    order
}

#[test]
fn filtered_series_equal_scipy_on_all_shared_files() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = match reference_dir(scratch.path()) {
        Ok(dir) => dir,
        Err(reason) if std::env::var_os("CI").is_some() => {
            panic!("SciPy references are required in CI: {reason}")
        }
        Err(reason) => {
            eprintln!("SKIPPED filter parity: {reason}");
            return;
        }
    };

    let mut files = 0;
    let mut compared = 0usize;
    let mut identical = 0usize;
    let mut worst = 0.0_f64;
    for entry in std::fs::read_dir(data_dir()).unwrap() {
        let csv_path = entry.unwrap().path();
        if csv_path.extension().and_then(|e| e.to_str()) != Some("csv") {
            continue;
        }
        let stem = csv_path.file_stem().unwrap().to_string_lossy().to_string();
        let reference_path = dir.join(format!("{stem}.json"));
        let text = std::fs::read_to_string(&reference_path)
            .unwrap_or_else(|e| panic!("missing reference {}: {e}", reference_path.display()));
        let reference: Value = serde_json::from_str(&text).unwrap();
        let key = reference["key_indicator"].as_str().unwrap();
        let tic_column = reference["tic_column"].as_str().unwrap();
        let series = read_series(&csv_path, key, tic_column);
        files += 1;

        for case in reference["cases"].as_array().unwrap() {
            let params = LabelParams {
                min_length_limit: case["min_length_limit"].as_i64().unwrap(),
                filter_strength: case["filter_strength"].as_f64().unwrap(),
                ..LabelParams::default()
            };
            assert_eq!(params.cutoff(), case["wn"].as_f64().unwrap(), "{stem}");
            let coefficients = butter_lowpass(params.cutoff());
            let tics = case["tics"].as_array().unwrap();
            assert_eq!(tics.len(), series.len(), "{stem}: tic count");
            for (expected, (tic, prices)) in tics.iter().zip(&series) {
                assert_eq!(expected["tic"].as_str().unwrap(), tic, "{stem}: tic order");
                let ours = filtfilt(&coefficients, Array1::from(prices.clone()).view()).unwrap();
                let theirs = expected["filtered"].as_array().unwrap();
                assert_eq!(ours.len(), theirs.len(), "{stem}/{tic}: length");
                for (row, (a, b)) in ours.iter().zip(theirs).enumerate() {
                    let b = b.as_f64().unwrap();
                    let relative = (a - b).abs() / b.abs().max(f64::MIN_POSITIVE);
                    assert!(
                        relative <= 1e-9,
                        "{stem} tic {tic} wn {} row {row}: ours {a} scipy {b} (relative {relative:e})",
                        params.cutoff()
                    );
                    worst = worst.max(relative);
                    compared += 1;
                    identical += usize::from(*a == b);
                }
            }
        }
    }
    assert!(
        files >= 6,
        "expected the six shared data files, found {files}"
    );
    eprintln!(
        "compared {compared} filtered values: {identical} bit-identical, worst relative error {worst:e}"
    );
}
