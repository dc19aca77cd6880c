//! A price series with each stretch coloured by its market-dynamics label.

use plotters::prelude::*;

use super::canvas::{
    check_values, diverging, draw_error, draw_legend, line_chart, padded_range, render_png, SIZE,
};
use super::{PlotError, Result};

/// `labels[i]` indexes `label_names` and colours the step from `values[i]` to `values[i+1]`.
/// Labels run from red (0, the most bearish as the labeler numbers them) to green (the last).
pub fn regime_chart(
    title: &str,
    dates: Option<&[String]>,
    values: &[f64],
    labels: &[usize],
    label_names: &[String],
) -> Result<Vec<u8>> {
    check_values("values", values, 2)?;
    if labels.len() != values.len() {
        return Err(PlotError::Input(format!(
            "{} labels for {} values; give one label per value",
            labels.len(),
            values.len()
        )));
    }
    if let Some(i) = labels.iter().position(|l| *l >= label_names.len()) {
        return Err(PlotError::Input(format!(
            "labels[{i}] is {} but only {} label names were given",
            labels[i],
            label_names.len()
        )));
    }
    if let Some(d) = dates {
        if d.len() != values.len() {
            return Err(PlotError::Input(format!(
                "{} dates for {} values",
                d.len(),
                values.len()
            )));
        }
    }
    let n = values.len();
    let (lo, hi) = padded_range(values.iter());
    render_png(SIZE, |root| {
        let mut chart = line_chart(root, title, 80, None, (n, dates), (lo, hi))?;
        let color_of = |label: usize| diverging(label, label_names.len());
        // One path per run of equal labels, so each stretch draws as a continuous line.
        let mut start = 0;
        for i in 1..=n {
            if i == n || labels[i] != labels[start] {
                let end = i.min(n - 1);
                let points: Vec<(f64, f64)> =
                    (start..=end).map(|j| (j as f64, values[j])).collect();
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        points,
                        color_of(labels[start]).stroke_width(2),
                    )))
                    .map_err(draw_error)?;
                start = i;
            }
        }
        draw_legend(
            &mut chart,
            label_names
                .iter()
                .enumerate()
                .map(|(k, name)| (name.as_str(), color_of(k))),
            4,
        )
    })
}
