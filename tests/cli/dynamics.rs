//! `tmctl dynamics label` on the shared real data.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{text, Workspace};

fn shared(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/trademaster")
        .join(file)
}

/// `tmctl dynamics label --input <input> --out <out> <extra>` in `workspace`.
fn label(workspace: &Workspace, input: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "dynamics",
        "label",
        "--input",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    workspace.tmctl(&args)
}

#[test]
fn labels_a_file_keeping_its_columns_and_adding_four() {
    let workspace = Workspace::new();
    let input = shared("portfolio_management_dj30_DJI.csv");
    let out = workspace.path().join("dji-labeled.csv");
    let output = label(
        &workspace,
        &input,
        &out,
        &[
            "--dynamic-number",
            "3",
            "--min-length",
            "24",
            "--max-length",
            "144",
            "--merging-threshold",
            "0.03",
            "--merging-constraint",
            "1",
        ],
    );
    assert!(output.status.success(), "{:?}", text(&output));
    let original = std::fs::read_to_string(&input).unwrap();
    let labeled = std::fs::read_to_string(&out).unwrap();
    let (head_in, head_out) = (
        original.lines().next().unwrap(),
        labeled.lines().next().unwrap(),
    );
    assert_eq!(
        head_out,
        format!("{head_in},pct_return,key_indicator_filtered,pct_return_filtered,label")
    );
    assert_eq!(original.lines().count(), labeled.lines().count());
    let labels: std::collections::BTreeSet<String> = labeled
        .lines()
        .skip(1)
        .map(|line| line.rsplit(',').next().unwrap().to_owned())
        .collect();
    assert_eq!(labels.into_iter().collect::<Vec<_>>(), ["0", "1", "2"]);
}

#[test]
fn bad_parameters_fail_cleanly_without_output() {
    let workspace = Workspace::new();
    let input = shared("algorithmic_trading_BTC_data.csv");
    let out = workspace.path().join("out.csv");
    for (extra, expected) in [
        (vec!["--key-indicator", "price"], "unknown column"),
        (vec!["--dynamic-number", "1"], "2"),
        (vec!["--min-length", "0"], "min_length"),
        (vec!["--method", "dtw"], "use quantile or slope"),
    ] {
        let output = label(&workspace, &input, &out, &extra);
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{extra:?}: {stderr}");
        assert!(
            stderr.to_lowercase().contains(&expected.to_lowercase()),
            "{extra:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"));
        assert!(!out.exists() && !workspace.path().join("out.csv.part").exists());
    }
}
