//! Market-dynamics labeling jobs, and tests of a trained agent on the segments of one label.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::data;
use super::{blocking, ExecError, JobContext, JobOutput};
use crate::algo::{self, MarketData, Task};
use crate::db::Db;
use crate::dynamics::{label_csv, LabelParams, LabelingMethod};
use crate::jobs::input::{DynamicsTestInput, LabelInput};
use crate::plot;

/// The merging metric the labeler implements.
const MERGING_METRIC: &str = "DTW_distance";

/// A whole number of a request field (it may arrive as 3.0).
fn whole(field: &str, value: f64) -> Result<i64, ExecError> {
    if !value.is_finite() || value.fract() != 0.0 || value.abs() > 1e12 {
        return Err(ExecError::Input(format!(
            "{field} must be a whole number, got {value}"
        )));
    }
    Ok(value as i64)
}

/// A whole number that must not be negative.
fn count(field: &str, value: f64) -> Result<usize, ExecError> {
    let value = whole(field, value)?;
    usize::try_from(value)
        .map_err(|_| ExecError::Input(format!("{field} must not be negative, got {value}")))
}

fn finite(field: &str, value: f64) -> Result<f64, ExecError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ExecError::Input(format!("missing number field {field}")))
    }
}

/// The labeler's parameters from the request, checked by its rules.
fn label_params(input: &LabelInput) -> Result<LabelParams, ExecError> {
    let metric = input.merging_metric.trim();
    if !metric.eq_ignore_ascii_case(MERGING_METRIC) {
        return Err(ExecError::Input(format!(
            "merging_metric {metric:?} is not supported; allowed: {MERGING_METRIC}"
        )));
    }
    let method: LabelingMethod = input
        .labeling_method
        .trim()
        .to_ascii_lowercase()
        .parse()
        .map_err(|e| ExecError::Input(format!("labeling_method: {e}")))?;
    Ok(LabelParams {
        dynamic_number: count("number_of_market_style", input.number_of_market_style)?,
        min_length_limit: whole("min_length_limit", input.min_length_limit)?,
        filter_strength: finite("filter_strength", input.filter_strength)?,
        max_length_expectation: count("max_length_expectation", input.max_length_expectation)?,
        key_indicator: input.key_indicator.trim().to_string(),
        timestamp: input.timestamp.trim().to_string(),
        tic: input.tic.trim().to_string(),
        method,
        merging_threshold: finite("merging_threshold", input.merging_threshold)?,
        merging_constraint: whole(
            "merging_dynamic_constraint",
            input.merging_dynamic_constraint,
        )?,
        ..LabelParams::default()
    })
}

/// What a labeling job stores in its result's `extra`.
#[derive(Debug, Serialize, Deserialize)]
struct LabelingExtra {
    labeled_csv: String,
    key_indicator: String,
    timestamp: String,
    tic: String,
    tics: Vec<String>,
}

/// Keeps the rows whose timestamp lies from `start` to `end`; a bound compares with the
/// timestamp's prefix of the same length, so `2020-01-31` includes `2020-01-31 23:59:59`.
fn rows_between(
    csv_text: &str,
    timestamp: &str,
    start: Option<&str>,
    end: Option<&str>,
) -> Result<String, ExecError> {
    let bad = |e: csv::Error| ExecError::Input(format!("dataset: {e}"));
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().map_err(bad)?.clone();
    let column = headers.iter().position(|h| h == timestamp).ok_or_else(|| {
        ExecError::Input(format!(
            "timestamp column {timestamp:?} is not in the dataset; columns: {}",
            headers.iter().collect::<Vec<_>>().join(", ")
        ))
    })?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&headers).map_err(bad)?;
    let mut kept = 0usize;
    for record in reader.records() {
        let record = record.map_err(bad)?;
        let value = record.get(column).unwrap_or("");
        let prefix = |bound: &str| value.get(..bound.len()).unwrap_or(value).to_string();
        let after_start = start.is_none_or(|s| prefix(s).as_str() >= s);
        let before_end = end.is_none_or(|e| prefix(e).as_str() <= e);
        if after_start && before_end {
            writer.write_record(&record).map_err(bad)?;
            kept += 1;
        }
    }
    if kept == 0 {
        return Err(ExecError::Input(format!(
            "no rows between {} and {}",
            start.unwrap_or("the start"),
            end.unwrap_or("the end")
        )));
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| ExecError::Failed(format!("cannot write the selected rows: {e}")))?;
    String::from_utf8(bytes).map_err(|e| ExecError::Failed(e.to_string()))
}

/// One tic's rows of a labeled file: timestamps, key-indicator values and labels.
#[derive(Debug, Default)]
struct LabeledSeries {
    dates: Vec<String>,
    values: Vec<f64>,
    labels: Vec<usize>,
}

fn labeled_series(
    labeled_csv: &str,
    key_indicator: &str,
    timestamp: &str,
    tic_column: &str,
    tic: &str,
) -> Result<LabeledSeries, ExecError> {
    let bad = |e: csv::Error| ExecError::Failed(format!("labeled data: {e}"));
    let mut reader = csv::Reader::from_reader(labeled_csv.as_bytes());
    let headers = reader.headers().map_err(bad)?.clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| ExecError::Failed(format!("labeled data lacks column {name:?}")))
    };
    let (key, time, label) = (find(key_indicator)?, find(timestamp)?, find("label")?);
    let tic_index = headers.iter().position(|h| h == tic_column);
    let mut series = LabeledSeries::default();
    for record in reader.records() {
        let record = record.map_err(bad)?;
        if tic_index.is_some_and(|i| record.get(i) != Some(tic)) {
            continue;
        }
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let value = field(key).parse::<f64>().unwrap_or(f64::NAN);
        let Ok(row_label) = field(label).parse::<usize>() else {
            continue;
        };
        series.dates.push(field(time).to_string());
        series.values.push(value);
        series.labels.push(row_label);
    }
    Ok(series)
}

pub async fn run_labeling(
    db: &Db,
    input: &LabelInput,
    ctx: &JobContext,
) -> Result<JobOutput, ExecError> {
    let params = label_params(input)?;
    let dataset_id = input.dataset_id.clone();
    let csv_text = data::dataset_text(db, &dataset_id).await?;
    let bound = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let (start, end) = (bound(&input.start_date), bound(&input.end_date));
    let ctx = ctx.clone();
    blocking(move || {
        let csv_text = if start.is_some() || end.is_some() {
            rows_between(&csv_text, &params.timestamp, start.as_deref(), end.as_deref())?
        } else {
            csv_text
        };
        ctx.log(format!(
            "labeling dataset {dataset_id} into {} market styles by {:?} of {}",
            params.dynamic_number,
            params.method,
            params.key_indicator
        ));
        let mut labeled = Vec::new();
        let report = label_csv(csv_text.as_bytes(), &mut labeled, &params)?;
        let labeled = String::from_utf8(labeled)
            .map_err(|e| ExecError::Failed(format!("labeled data is not UTF-8: {e}")))?;
        ctx.progress(0.8);
        let mut per_tic = Vec::new();
        for tic in &report.tics {
            ctx.log(format!(
                "{}: {} rows, {} segments, {} runs",
                tic.tic,
                tic.rows,
                tic.segments.len(),
                tic.runs.len()
            ));
            for s in &tic.summary {
                ctx.log(format!(
                    "  label {}: {} runs over {} rows, mean slope {:.4}, mean length {:.1}, mean max rise {:.4}, mean max drawdown {:.4}",
                    s.label, s.runs, s.rows, s.mean_average_slope, s.mean_length, s.mean_max_rise, s.mean_max_drawdown
                ));
            }
            per_tic.push(json!({ "tic": tic.tic, "rows": tic.rows, "labels": tic.summary }));
        }
        let first = report
            .tics
            .first()
            .ok_or_else(|| ExecError::Failed("labeling produced no series".into()))?;
        let series = labeled_series(
            &labeled,
            &params.key_indicator,
            &params.timestamp,
            &params.tic,
            &first.tic,
        )?;
        let names: Vec<String> = (0..params.dynamic_number)
            .map(|i| format!("label {i}"))
            .collect();
        let chart = plot::regime_chart(
            &format!("{}: market dynamics of {}", first.tic, params.key_indicator),
            Some(&series.dates),
            &series.values,
            &series.labels,
            &names,
        )?;
        ctx.log("labeling finished");
        Ok(JobOutput {
            metrics: json!({ "tics": per_tic }),
            equity_curve: Vec::new(),
            plots: vec![("regimes".into(), chart)],
            extra: serde_json::to_value(LabelingExtra {
                labeled_csv: labeled,
                key_indicator: params.key_indicator.clone(),
                timestamp: params.timestamp.clone(),
                tic: params.tic.clone(),
                tics: report.tics.iter().map(|t| t.tic.clone()).collect(),
            })
            .map_err(|e| ExecError::Failed(format!("cannot store the labeled data: {e}")))?,
        })
    })
    .await
}

/// Contiguous stretches of `label` in a series, as inclusive date ranges.
fn runs_of(series: &LabeledSeries, label: usize) -> Vec<(String, String)> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < series.labels.len() {
        if series.labels[i] != label {
            i += 1;
            continue;
        }
        let start = i;
        while i < series.labels.len() && series.labels[i] == label {
            i += 1;
        }
        runs.push((series.dates[start].clone(), series.dates[i - 1].clone()));
    }
    runs
}

pub async fn run_dynamics_test(
    db: &Db,
    input: &DynamicsTestInput,
    ctx: &JobContext,
) -> Result<JobOutput, ExecError> {
    let label = usize::try_from(input.label)
        .map_err(|_| ExecError::Input(format!("label {} is too large", input.label)))?;
    let labeling: LabelingExtra = data::job_extra(db, &input.label_job_id, "labeling").await?;
    let model = super::trading::load_trained_model(db, &input.train_job_id).await?;
    let ctx = ctx.clone();
    blocking(move || {
        let labeled = labeling.labeled_csv;
        let tic_column = labeling.tic;
        let labeled_tics = labeling.tics;
        // Trading follows its own tic; a portfolio follows the first labeled tic's regimes.
        let tic = match model.task() {
            Task::AlgorithmicTrading => model.tics.first().cloned().unwrap_or_default(),
            Task::PortfolioManagement => labeled_tics.first().cloned().unwrap_or_default(),
        };
        if !labeled_tics.contains(&tic) {
            return Err(ExecError::Input(format!(
                "the model trades {tic}, which the labeled data does not hold (it has {})",
                labeled_tics.join(", ")
            )));
        }
        let series = labeled_series(
            &labeled,
            &labeling.key_indicator,
            &labeling.timestamp,
            &tic_column,
            &tic,
        )?;
        let runs = runs_of(&series, label);
        if runs.is_empty() {
            let mut present: Vec<usize> = series.labels.clone();
            present.sort_unstable();
            present.dedup();
            return Err(ExecError::Input(format!(
                "no segment of {tic} has label {label}; labels present: {present:?}"
            )));
        }
        let all = MarketData::from_csv_str(&labeled, "labeled data", Default::default())?;
        let all = match model.task() {
            Task::AlgorithmicTrading => all.select_tic(&tic)?,
            Task::PortfolioManagement => all,
        };
        let segments = runs
            .iter()
            .map(|(from, to)| all.between(Some(from), Some(to)))
            .collect::<Result<Vec<_>, _>>()?;
        ctx.log(format!(
            "testing {} on {} segments of {tic} with label {label}",
            model.spec.agent,
            segments.len()
        ));
        let result = algo::dynamics_test(&model, &segments)?;
        let s = &result.scores;
        ctx.log(format!(
            "{} segments used, {} too short for the model's window",
            result.segments_used, result.segments_skipped
        ));
        ctx.log(format!(
            "radar scores (0 = do_nothing, 50 = {}): {}",
            result.fifty_reference_name,
            serde_json::to_string(s).unwrap_or_default()
        ));
        let chart = plot::radar_chart(
            &format!("{} on label {label}", model.spec.agent),
            &result.scores,
        )?;
        ctx.log("dynamics test finished");
        Ok(JobOutput {
            metrics: serde_json::to_value(&result).unwrap_or(Value::Null),
            equity_curve: Vec::new(),
            plots: vec![("radar".into(), chart)],
            extra: json!({ "label": label, "tic": tic }),
        })
    })
    .await
}
