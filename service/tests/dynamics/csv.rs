//! CSV-level labeling: columns kept, rows in file order, tics independent,
//! and clear errors for bad input.

use tmctl_service::dynamics::{label_csv, label_series, LabelParams, LabelingMethod};

fn price(tic: usize, row: usize) -> f64 {
    let t = row as f64;
    100.0 * (tic + 1) as f64 + 8.0 * (t / (9.0 + tic as f64)).sin() + 0.1 * t
}

/// A pandas-style file: unnamed index column, interleaved tics, extra column.
fn interleaved_csv(tics: &[&str], rows: usize) -> String {
    let mut text = String::from(",date,tic,adjcp,volume\n");
    for row in 0..rows {
        for (k, tic) in tics.iter().enumerate() {
            text.push_str(&format!(
                "{row},2021-01-{:02},{tic},{},{}\n",
                row % 28 + 1,
                price(k, row),
                1000 + row
            ));
        }
    }
    text
}

fn quantile_params() -> LabelParams {
    LabelParams {
        method: LabelingMethod::Quantile,
        min_length_limit: 5,
        ..LabelParams::default()
    }
}

fn run(input: &str, params: &LabelParams) -> Result<String, String> {
    let mut output = Vec::new();
    label_csv(input.as_bytes(), &mut output, params)
        .map(|_| String::from_utf8(output).unwrap())
        .map_err(|e| e.to_string())
}

#[test]
fn keeps_every_column_and_row_order_and_appends_four() {
    let input = interleaved_csv(&["AAA", "BBB"], 60);
    let output = run(&input, &quantile_params()).unwrap();
    let mut lines = output.lines();
    assert_eq!(
        lines.next().unwrap(),
        ",date,tic,adjcp,volume,pct_return,key_indicator_filtered,pct_return_filtered,label"
    );
    let body: Vec<&str> = lines.collect();
    assert_eq!(body.len(), 120);
    for (line, original) in body.iter().zip(input.lines().skip(1)) {
        assert!(
            line.starts_with(original),
            "{line} does not keep {original}"
        );
        let extra: Vec<&str> = line[original.len() + 1..].split(',').collect();
        assert_eq!(extra.len(), 4, "{line}");
        let label: usize = extra[3].parse().unwrap();
        assert!(label < 3);
        assert!(extra[1].parse::<f64>().unwrap().is_finite());
    }
    // The first row of each tic (rows 0 and 1 here) has zero returns.
    for line in &body[..2] {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!((fields[5], fields[7]), ("0.0", "0.0"), "{line}");
    }
    assert_ne!(body[2].split(',').nth(5), Some("0.0"));
}

#[test]
fn each_tic_is_labeled_on_its_own() {
    let params = quantile_params();
    let mut output = Vec::new();
    let report = label_csv(
        interleaved_csv(&["AAA", "BBB"], 80).as_bytes(),
        &mut output,
        &params,
    )
    .unwrap();
    assert_eq!(report.rows, 160);
    assert_eq!(report.tics.len(), 2);
    assert_eq!(report.tics[1].tic, "BBB");

    let alone: Vec<f64> = (0..80).map(|row| price(1, row)).collect();
    let expected = label_series(&alone, &params).unwrap();
    let text = String::from_utf8(output).unwrap();
    let labels_bbb: Vec<usize> = text
        .lines()
        .skip(1)
        .filter(|line| line.split(',').nth(2) == Some("BBB"))
        .map(|line| line.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(labels_bbb, expected.labels.to_vec());
    assert_eq!(report.tics[1].segments, expected.segments);
    let run_rows: usize = report.tics[1].runs.iter().map(|r| r.length).sum();
    assert_eq!(run_rows, 80);
}

#[test]
fn a_file_without_the_tic_column_is_one_series() {
    let mut input = String::from("date,adjcp\n");
    for row in 0..40 {
        input.push_str(&format!("d{row},{}\n", price(0, row)));
    }
    let mut output = Vec::new();
    let params = LabelParams {
        tic: "data".into(),
        ..quantile_params()
    };
    let report = label_csv(input.as_bytes(), &mut output, &params).unwrap();
    assert_eq!(report.tics.len(), 1);
    assert_eq!(report.tics[0].tic, "data");
    assert_eq!(report.tics[0].rows, 40);
}

#[test]
fn report_serializes_to_json() {
    let mut output = Vec::new();
    let report = label_csv(
        interleaved_csv(&["AAA"], 50).as_bytes(),
        &mut output,
        &quantile_params(),
    )
    .unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["rows"], 50);
    assert_eq!(json["params"]["method"], "quantile");
    assert!(json["tics"][0]["runs"][0]["max_drawdown"].is_number());
    assert!(json["tics"][0]["summary"]
        .as_array()
        .is_some_and(|s| !s.is_empty()));
}

fn error_for(input: &str, params: &LabelParams) -> String {
    run(input, params).expect_err("expected an error")
}

#[test]
fn nan_and_infinite_prices_name_their_row() {
    let mut input = interleaved_csv(&["AAA"], 30);
    input = input.replacen(&format!(",{},", price(0, 2)), ",nan,", 1);
    assert_eq!(
        error_for(&input, &quantile_params()),
        "row 3: adjcp value \"nan\" is not a finite number"
    );
    let input = interleaved_csv(&["AAA"], 30).replacen(&format!(",{},", price(0, 0)), ",inf,", 1);
    assert_eq!(
        error_for(&input, &quantile_params()),
        "row 1: adjcp value \"inf\" is not a finite number"
    );
    let input = interleaved_csv(&["AAA"], 30).replacen(&format!(",{},", price(0, 4)), ",,", 1);
    assert_eq!(
        error_for(&input, &quantile_params()),
        "row 5: adjcp value \"\" is not a finite number"
    );
    assert_eq!(
        label_series(&[1.0, f64::NAN], &quantile_params())
            .unwrap_err()
            .to_string(),
        "row 2: adjcp value \"NaN\" is not a finite number"
    );
}

#[test]
fn short_series_say_the_minimum() {
    let input = interleaved_csv(&["AAA"], 15);
    assert_eq!(
        error_for(&input, &quantile_params()),
        "tic \"AAA\": 15 rows, but the low-pass filter needs at least 16 rows per series"
    );
    let prices = vec![1.0; 16];
    assert!(label_series(&prices, &quantile_params()).is_ok());
}

#[test]
fn bad_parameters_are_refused() {
    let input = interleaved_csv(&["AAA"], 30);
    let cases = [
        (
            LabelParams {
                dynamic_number: 1,
                ..quantile_params()
            },
            "invalid parameter dynamic_number = 1: between 2 and 1000 regimes",
        ),
        (
            LabelParams {
                dynamic_number: 5000,
                ..quantile_params()
            },
            "invalid parameter dynamic_number = 5000: between 2 and 1000 regimes",
        ),
        (
            LabelParams {
                min_length_limit: 0,
                ..quantile_params()
            },
            "invalid parameter min_length_limit = 0: must be at least 1, or -1 for no minimum (filter period 7)",
        ),
        (
            LabelParams {
                min_length_limit: 2,
                filter_strength: 1.0,
                ..quantile_params()
            },
            "invalid parameter min_length_limit * filter_strength = 2: the filter cutoff 2 / (L * F) = 1 \
             must be below 1 (Nyquist), so L * F must be greater than 2",
        ),
        (
            LabelParams {
                filter_strength: -1.0,
                ..quantile_params()
            },
            "invalid parameter filter_strength = -1: must be a positive number",
        ),
        (
            LabelParams {
                merging_threshold: f64::NAN,
                ..quantile_params()
            },
            "invalid parameter merging_threshold = NaN: must be a finite number, or -1 to disable merging",
        ),
    ];
    for (params, message) in cases {
        assert_eq!(error_for(&input, &params), message);
    }
}

#[test]
fn unknown_columns_list_the_available_ones() {
    let input = interleaved_csv(&["AAA"], 30);
    let key_indicator = LabelParams {
        key_indicator: "close".into(),
        ..quantile_params()
    };
    let timestamp = LabelParams {
        timestamp: "timestamp".into(),
        ..quantile_params()
    };
    for (params, unknown) in [
        (key_indicator, "\"close\" for key_indicator"),
        (timestamp, "\"timestamp\" for timestamp"),
    ] {
        assert_eq!(
            error_for(&input, &params),
            format!("unknown column {unknown}; available columns: , date, tic, adjcp, volume")
        );
    }
}

#[test]
fn empty_input_is_refused() {
    assert_eq!(
        error_for("", &quantile_params()),
        "the input has no data rows"
    );
    assert_eq!(
        error_for(",date,tic,adjcp\n", &quantile_params()),
        "the input has no data rows"
    );
}

#[test]
fn ragged_rows_are_a_csv_error_not_a_panic() {
    let mut input = interleaved_csv(&["AAA"], 30);
    input.push_str("31,2021-02-01,AAA\n");
    let message = error_for(&input, &quantile_params());
    assert!(message.starts_with("CSV input: "), "{message}");
}

#[test]
fn odd_series_never_panic() {
    let merging = LabelParams {
        merging_threshold: 0.5,
        merging_constraint: 1,
        max_length_expectation: 40,
        dynamic_number: 4,
        ..quantile_params()
    };
    let slope_merging = LabelParams {
        method: LabelingMethod::Slope,
        ..merging.clone()
    };
    let series: Vec<Vec<f64>> = vec![
        vec![5.0; 40],
        vec![0.0; 40],
        (0..40)
            .map(|k| if k % 2 == 0 { 1.0 } else { -1.0 })
            .collect(),
        (0..40).map(|k| 1e300 * (k as f64).sin()).collect(),
        (0..16).map(|k| k as f64).collect(),
        (0..200).map(|k| ((k * 37) % 11) as f64 - 5.0).collect(),
    ];
    for prices in &series {
        for params in [&quantile_params(), &merging, &slope_merging] {
            let result = label_series(prices, params).unwrap();
            assert_eq!(result.labels.len(), prices.len());
            assert!(result.labels.iter().all(|&l| l < params.dynamic_number));
        }
    }
}

#[test]
fn quoted_fields_and_crlf_lines_are_kept_verbatim() {
    let mut input = String::from("date,note,adjcp\r\n");
    for row in 0..30 {
        let note = if row == 3 {
            "\"two\r\nlines, quoted\"".to_string()
        } else {
            format!("\"n, {row}\"")
        };
        input.push_str(&format!("d{row},{note},{}\r\n", price(0, row)));
        if row == 10 {
            input.push_str("\r\n");
        }
    }
    let output = run(&input, &quantile_params()).unwrap();
    assert!(output.starts_with(
        "date,note,adjcp,pct_return,key_indicator_filtered,pct_return_filtered,label\n"
    ));
    assert!(output.contains("\nd3,\"two\r\nlines, quoted\","));
    let mut reader = csv::Reader::from_reader(output.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), 30);
    for (row, record) in records.iter().enumerate() {
        assert_eq!(record.len(), 7);
        assert_eq!(&record[0], format!("d{row}"));
        assert_eq!(record[2].parse::<f64>().unwrap(), price(0, row));
    }
    assert_eq!(&records[3][1], "two\r\nlines, quoted");
}
