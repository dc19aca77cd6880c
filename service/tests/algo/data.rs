//! Loading TradeMaster CSVs: real files, computed features, alignment, splits and errors.

use crate::algo_support::{load_shared, shared_data};
use tmctl_service::algo::{AlgoError, LoadOptions, MarketData, SplitSpec, FEATURE_NAMES};

fn load(text: &str) -> Result<MarketData, AlgoError> {
    MarketData::from_csv_str(text, "test.csv", LoadOptions::default())
}

fn err(text: &str) -> String {
    load(text).unwrap_err().to_string()
}

#[test]
fn loads_the_dj30_panel() {
    let data = load_shared("portfolio_management_dj30_test.csv");
    assert_eq!(data.num_tics(), 29);
    assert_eq!(data.tics[0], "AAPL");
    assert_eq!(data.dates.first().unwrap(), "2021-01-04");
    assert!(data.dates.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(
        data.features.shape(),
        &[data.num_dates(), 29, FEATURE_NAMES.len()]
    );
    // First AAPL row of the file: close 129.41, zopen 0.03175952781117908.
    assert!((data.close[[0, 0]] - 129.41000366210938).abs() < 1e-9);
    assert!((data.features[[0, 0, 0]] - 0.03175952781117908).abs() < 1e-15);
}

/// Features computed from prices agree with the ones the original pipeline wrote.
#[test]
fn computed_features_match_the_files() {
    let path = shared_data("portfolio_management_dj30_valid.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let given = load(&text).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let keep: Vec<usize> = (0..header.len())
        .filter(|i| !FEATURE_NAMES.contains(&header[*i]))
        .collect();
    let stripped: String = text
        .lines()
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            keep.iter().map(|i| cells[*i]).collect::<Vec<_>>().join(",") + "\n"
        })
        .collect();
    let computed = load(&stripped).unwrap();
    assert_eq!(computed.dates, given.dates);
    // Skip the first 30 dates, where the file's rolling windows reach back before its start.
    let mut worst = 0.0f64;
    for t in 30..given.num_dates() {
        for i in 0..given.num_tics() {
            for f in 0..FEATURE_NAMES.len() {
                worst = worst.max((given.features[[t, i, f]] - computed.features[[t, i, f]]).abs());
            }
        }
    }
    assert!(worst < 1e-9, "largest difference {worst}");
}

#[test]
fn loads_btc_with_times_in_dates_and_columns_in_another_order() {
    let data = load_shared("algorithmic_trading_BTC_data.csv");
    assert_eq!(data.tics, vec!["BTC"]);
    assert_eq!(data.num_dates(), 2990);
    assert_eq!(data.dates[0], "2013-04-29 23:59:59");
    let year = data
        .between(Some("2020-01-01"), Some("2020-12-31"))
        .unwrap();
    assert_eq!(year.num_dates(), 366);
    assert!(year.dates[0].starts_with("2020-01-01"));
    assert!(year.dates.last().unwrap().starts_with("2020-12-31"));
}

#[test]
fn computes_missing_features_from_columns_in_any_order() {
    let data = load(
        "close,date,tic,open,high,low\n\
         10,2020-01-01,A,11,12,9\n\
         12,2020-01-02,A,12,12,11\n",
    )
    .unwrap();
    // adjcp defaults to close; zclose of the first date is 0; zd_5 averages what there is.
    assert_eq!(data.adjcp[[1, 0]], 12.0);
    assert!((data.features[[0, 0, 0]] - 0.1).abs() < 1e-12);
    assert_eq!(data.features[[0, 0, 4]], 0.0);
    assert!((data.features[[1, 0, 4]] - 0.2).abs() < 1e-12);
    assert!((data.features[[1, 0, 5]] - (11.0 / 12.0 - 1.0)).abs() < 1e-12);
}

#[test]
fn missing_column_lists_what_is_there() {
    let e = err("date,tic,open,high,low\n2020-01-01,A,1,1,1\n");
    assert!(e.contains("missing column `close`"), "{e}");
    assert!(
        e.contains("available columns: date, tic, open, high, low"),
        "{e}"
    );
}

#[test]
fn bad_values_name_line_column_and_value() {
    let header = "date,tic,open,high,low,close\n";
    for (rows, expected) in [
        (
            "2020-01-01,A,1,1,1,1\n2020-01-02,A,1,abc,1,1\n",
            &["test.csv line 3, column `high`: `abc` is not a number"][..],
        ),
        (
            "2020-01-01,A,1,1,1,NaN\n",
            &["line 2, column `close`: `NaN` is not a valid price"],
        ),
        ("2020-01-01,A,1,1,1,inf\n", &["`inf` is not a valid price"]),
        ("2020-01-01,A,1,1,1,-3\n", &["`-3` is not a valid price"]),
        ("2020-13-01,A,1,1,1,1\n", &["`2020-13-01` is not a date"]),
        ("2020-01-01,,1,1,1,1\n", &["line 2, column `tic`: empty"]),
        ("2020-01-01,A,1,1,1\n", &["line 2", "5 fields"]),
        (
            "01/02/2020,A,1,1,1,1\n",
            &["line 2, column `date`: `01/02/2020` is not a date"],
        ),
    ] {
        let e = err(&format!("{header}{rows}"));
        for part in expected {
            assert!(e.contains(part), "{rows}: {e}");
        }
    }
}

#[test]
fn unsorted_or_duplicate_dates_are_errors() {
    let header = "date,tic,open,high,low,close\n";
    let e = err(&format!(
        "{header}2020-01-02,A,1,1,1,1\n2020-01-01,A,1,1,1,1\n"
    ));
    assert!(
        e.contains(
            "line 3: date `2020-01-01` of tic `A` is not after its previous date `2020-01-02`"
        ),
        "{e}"
    );
    let e = err(&format!(
        "{header}2020-01-02,A,1,1,1,1\n2020-01-02,A,1,1,1,1\n"
    ));
    assert!(e.contains("not after"), "{e}");
    // Grouped by tic rather than by date is fine.
    let ok = load(&format!(
        "{header}2020-01-01,A,1,1,1,1\n2020-01-02,A,1,1,1,2\n2020-01-01,B,1,1,1,3\n2020-01-02,B,1,1,1,4\n"
    ))
    .unwrap();
    assert_eq!(ok.close[[1, 1]], 4.0);
}

#[test]
fn empty_input_is_an_error() {
    let e = err("date,tic,open,high,low,close\n");
    assert!(e.contains("test.csv: no data rows"), "{e}");
    assert!(load("").is_err());
}

#[test]
fn gaps_fail_unless_forward_filled() {
    let text = "date,tic,open,high,low,close\n\
                2020-01-01,A,1,1,1,1\n2020-01-01,B,1,1,1,5\n\
                2020-01-02,A,1,1,1,2\n\
                2020-01-03,A,1,1,1,3\n2020-01-03,B,1,1,1,7\n";
    let e = err(text);
    assert!(
        e.contains("tic `B` has no row for date `2020-01-02`"),
        "{e}"
    );
    let filled = MarketData::from_csv_str(text, "t", LoadOptions { forward_fill: true }).unwrap();
    assert_eq!(filled.close.column(1).to_vec(), vec![5.0, 5.0, 7.0]);
    // A tic starting late: forward fill drops the dates before it starts.
    let late = "date,tic,open,high,low,close\n\
                2020-01-01,A,1,1,1,1\n2020-01-02,A,1,1,1,2\n2020-01-02,B,1,1,1,5\n";
    let e = err(late);
    assert!(
        e.contains("tic `B` has no row for date `2020-01-01`"),
        "{e}"
    );
    let trimmed = MarketData::from_csv_str(late, "t", LoadOptions { forward_fill: true }).unwrap();
    assert_eq!(trimmed.dates, vec!["2020-01-02"]);
}

#[test]
fn splits_by_share_and_by_date() {
    let data = load_shared("algorithmic_trading_BTC_data.csv");
    let split = data.split(&SplitSpec::default()).unwrap();
    assert_eq!(split.train.num_dates(), 2392);
    assert_eq!(split.valid.num_dates(), 299);
    assert_eq!(split.test.num_dates(), 299);
    assert!(split.train.dates.last().unwrap() < split.valid.dates.first().unwrap());
    let by_date = data
        .split(&SplitSpec::Dates {
            valid_start: "2019-01-01".into(),
            test_start: "2020-01-01".into(),
        })
        .unwrap();
    assert!(by_date.valid.dates[0].starts_with("2019-01-01"));
    assert!(by_date.test.dates[0].starts_with("2020-01-01"));
    assert!(by_date
        .valid
        .dates
        .last()
        .unwrap()
        .starts_with("2019-12-31"));

    let e = data
        .split(&SplitSpec::Fractions {
            train: 0.9,
            valid: 0.2,
        })
        .unwrap_err();
    assert!(e.to_string().contains("sum below 1"), "{e}");
    let e = data
        .split(&SplitSpec::Dates {
            valid_start: "2030-01-01".into(),
            test_start: "2031-01-01".into(),
        })
        .unwrap_err();
    assert!(e.to_string().contains("empty part"), "{e}");
}

#[test]
fn a_missing_file_names_the_path() {
    let e = MarketData::from_csv_path("/nonexistent/x.csv".as_ref(), LoadOptions::default())
        .unwrap_err();
    assert!(e.to_string().contains("/nonexistent/x.csv"), "{e}");
}

#[test]
fn csv_written_back_reads_the_same() {
    let data = load_shared("portfolio_management_dj30_test.csv")
        .slice(0..20)
        .unwrap();
    let again = load(&data.to_csv_string()).unwrap();
    assert_eq!(again, data);
}

#[test]
fn reads_uploaded_json_rows() {
    let rows = serde_json::json!([
        {"date": "2020-01-01", "tic": "A", "open": 1, "high": "1.5", "low": 0.5, "close": 1.2},
        {"date": "2020-01-02", "tic": "A", "open": 1.2, "high": 1.6, "low": 1.1, "close": 1.5, "zopen": null}
    ]);
    let data = MarketData::from_json_rows(&rows, "upload", LoadOptions::default()).unwrap();
    assert_eq!(data.close.column(0).to_vec(), vec![1.2, 1.5]);
    assert!((data.features[[1, 0, 0]] - (1.2 / 1.5 - 1.0)).abs() < 1e-12);
    let bad = serde_json::json!([
        {"date": "2020-01-01", "tic": "A", "open": 1, "high": 1, "low": 1, "close": 1},
        {"date": "2020-01-02", "tic": "A", "open": 1, "high": 1, "low": 1, "close": "x"}
    ]);
    let e = MarketData::from_json_rows(&bad, "upload", LoadOptions::default()).unwrap_err();
    assert!(
        e.to_string()
            .contains("upload line 3, column `close`: `x` is not a number"),
        "{e}"
    );
    let e = MarketData::from_json_rows(
        &serde_json::json!({"a": 1}),
        "upload",
        LoadOptions::default(),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("expected an array of row objects"),
        "{e}"
    );
}
