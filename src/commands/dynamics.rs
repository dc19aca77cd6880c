//! `tmctl dynamics label`: market-regime labels for a CSV, from the command line.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};

use anyhow::{bail, Context as _};
use tmctl_service::dynamics::{label_csv, LabelParams, LabelingMethod};

use super::Context;
use crate::cli::LabelArgs;

fn params(args: &LabelArgs) -> anyhow::Result<LabelParams> {
    let method = match args.method.as_str() {
        "quantile" => LabelingMethod::Quantile,
        "slope" => LabelingMethod::Slope,
        other => bail!("--method {other}: use quantile or slope"),
    };
    let interval: Vec<f64> = args
        .slope_interval
        .split(',')
        .map(|part| part.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()
        .filter(|values: &Vec<f64>| values.len() == 2)
        .with_context(|| {
            format!(
                "--slope-interval {}: write LOW,HIGH, e.g. -0.01,0.01",
                args.slope_interval
            )
        })?;
    Ok(LabelParams {
        dynamic_number: args.dynamic_number,
        min_length_limit: args.min_length,
        filter_strength: args.filter_strength,
        max_length_expectation: args.max_length,
        key_indicator: args.key_indicator.clone(),
        timestamp: args.timestamp.clone(),
        tic: args.tic.clone(),
        method,
        slope_interval: [interval[0], interval[1]],
        merging_threshold: args.merging_threshold,
        merging_constraint: args.merging_constraint,
    })
}

pub fn label(context: &Context, args: &LabelArgs) -> anyhow::Result<()> {
    let params = params(args)?;
    let input =
        File::open(&args.input).with_context(|| format!("cannot open {}", args.input.display()))?;
    // Written beside the target and renamed when complete, so a failure never leaves a
    // half-written file under the final name.
    let partial = args.out.with_extension("csv.part");
    let file =
        File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    let mut writer = BufWriter::new(file);
    let report = match label_csv(BufReader::new(input), &mut writer, &params)
        .map_err(anyhow::Error::from)
        .and_then(|report| writer.flush().map(|()| report).map_err(anyhow::Error::from))
    {
        Ok(report) => report,
        Err(error) => {
            drop(writer);
            let _ = std::fs::remove_file(&partial);
            return Err(error.context(format!("labeling {} failed", args.input.display())));
        }
    };
    drop(writer);
    std::fs::rename(&partial, &args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    if context.global.json {
        super::print_json(&report)?;
    } else if !context.global.quiet {
        println!(
            "labeled {} rows ({} tic(s)) of {} into {}",
            report.rows,
            report.tics.len(),
            args.input.display(),
            args.out.display()
        );
        for tic in &report.tics {
            let mut per_label = vec![0usize; params.dynamic_number];
            for segment in &tic.segments {
                if let Some(count) = per_label.get_mut(segment.label) {
                    *count += segment.end - segment.start;
                }
            }
            let summary: Vec<String> = per_label
                .iter()
                .enumerate()
                .map(|(label, rows)| format!("label {label}: {rows} rows"))
                .collect();
            println!(
                "  {}: {} segments; {}",
                tic.tic,
                tic.segments.len(),
                summary.join(", ")
            );
        }
    }
    Ok(())
}
