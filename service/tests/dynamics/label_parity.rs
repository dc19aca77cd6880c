//! Labels equal the original TradeMaster labeler's on the shared data files.
//!
//! Expected labels live in `tests/fixtures/dynamics/*.json` (see the README
//! there): the parameters used, and per tic the segment starts and the
//! run-length encoded labels, in file order.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tmctl_service::dynamics::{label_csv, LabelParams, LabelReport};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn params_from(fixture: &Value) -> LabelParams {
    let p = &fixture["params"];
    let interval = p["slope_interval"].as_array().unwrap();
    LabelParams {
        dynamic_number: p["dynamic_number"].as_u64().unwrap() as usize,
        min_length_limit: p["min_length_limit"].as_i64().unwrap(),
        filter_strength: p["filter_strength"].as_f64().unwrap(),
        max_length_expectation: p["max_length_expectation"].as_u64().unwrap() as usize,
        key_indicator: p["key_indicator"].as_str().unwrap().into(),
        timestamp: p["timestamp"].as_str().unwrap().into(),
        tic: p["tic"].as_str().unwrap().into(),
        method: p["labeling_method"].as_str().unwrap().parse().unwrap(),
        slope_interval: [interval[0].as_f64().unwrap(), interval[1].as_f64().unwrap()],
        merging_threshold: p["merging_threshold"].as_f64().unwrap(),
        merging_constraint: p["merging_dynamic_constraint"].as_i64().unwrap(),
    }
}

/// Labels per tic read back from the written CSV, in file order.
fn labels_by_tic(output: &[u8], report: &LabelReport, tic: &str) -> Vec<(String, Vec<usize>)> {
    let mut reader = csv::Reader::from_reader(output);
    let headers = reader.headers().unwrap().clone();
    let label_index = headers.iter().position(|h| h == "label").unwrap();
    let tic_index = headers.iter().position(|h| h == tic);
    let mut per_tic: Vec<(String, Vec<usize>)> = report
        .tics
        .iter()
        .map(|t| (t.tic.clone(), Vec::new()))
        .collect();
    for record in reader.records() {
        let record = record.unwrap();
        let name = tic_index.map_or(tic.to_string(), |i| record[i].to_string());
        let slot = per_tic.iter_mut().find(|(t, _)| *t == name).unwrap();
        slot.1.push(record[label_index].parse().unwrap());
    }
    per_tic
}

fn run_length(labels: &[usize]) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &label in labels {
        match runs.last_mut() {
            Some((last, count)) if *last == label => *count += 1,
            _ => runs.push((label, 1)),
        }
    }
    runs
}

fn check_fixture(name: &str) {
    let path = repo_root().join("tests/fixtures/dynamics").join(name);
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let params = params_from(&fixture);
    let data = repo_root()
        .join("../shared/data/trademaster")
        .join(fixture["file"].as_str().unwrap());
    let mut output = Vec::new();
    let report = label_csv(std::fs::File::open(&data).unwrap(), &mut output, &params).unwrap();

    let expected_tics = fixture["tics"].as_array().unwrap();
    assert_eq!(report.tics.len(), expected_tics.len(), "{name}: tic count");
    let labels = labels_by_tic(&output, &report, &params.tic);
    for ((expected, tic_report), (tic, ours)) in expected_tics.iter().zip(&report.tics).zip(&labels)
    {
        assert_eq!(expected["tic"].as_str().unwrap(), tic, "{name}: tic order");
        let starts: Vec<usize> = expected["segment_starts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let mut our_starts: Vec<usize> = tic_report.segments.iter().map(|s| s.start).collect();
        our_starts.extend(tic_report.segments.last().map(|s| s.end));
        if let Some(k) = starts.iter().zip(&our_starts).position(|(a, b)| a != b) {
            panic!(
                "{name} tic {tic}: segment {k} starts at {} here but at {} in the original \
                 (segments here {}, original {})",
                our_starts[k],
                starts[k],
                our_starts.len() - 1,
                starts.len() - 1
            );
        }
        assert_eq!(
            our_starts.len(),
            starts.len(),
            "{name} tic {tic}: segment count"
        );

        let expected_runs: Vec<(usize, usize)> = expected["label_runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r[0].as_u64().unwrap() as usize,
                    r[1].as_u64().unwrap() as usize,
                )
            })
            .collect();
        assert_eq!(
            ours.len(),
            expected["rows"].as_u64().unwrap() as usize,
            "{name} tic {tic}: rows"
        );
        assert_eq!(
            run_length(ours),
            expected_runs,
            "{name} tic {tic}: label runs"
        );
    }
}

#[test]
fn dji_with_service_defaults() {
    check_fixture("dji_service.json");
}

#[test]
fn dji_with_tool_defaults() {
    check_fixture("dji_cli.json");
}

#[test]
fn btc_with_service_defaults() {
    check_fixture("btc_service.json");
}

#[test]
fn btc_with_tool_defaults() {
    check_fixture("btc_cli.json");
}

#[test]
fn fx_with_service_defaults() {
    check_fixture("fx_service.json");
}

#[test]
fn fx_with_tool_defaults() {
    check_fixture("fx_cli.json");
}

#[test]
fn dj30_test_split_29_tics_merging_without_constraint() {
    check_fixture("dj30test_multi.json");
}

#[test]
fn btc_slope_with_interval_chosen_from_the_slopes() {
    check_fixture("btc_autoslope.json");
}

#[test]
fn exchange_test_split_22_currencies_with_service_defaults() {
    check_fixture("exchange_service.json");
}

#[test]
fn dj30_valid_split_29_tics_with_tool_defaults() {
    check_fixture("dj30valid_cli.json");
}
