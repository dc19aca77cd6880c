//! A price series with each stretch coloured by its market-dynamics label.

use plotters::prelude::*;

use super::canvas::{
    check_values, diverging, draw_error, padded_range, render_png, tick_label, x_label, FONT, SIZE,
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
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 26))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..(n - 1) as f64, lo..hi)
            .map_err(draw_error)?;
        chart
            .configure_mesh()
            .x_labels(6)
            .y_labels(8)
            .x_label_formatter(&|x| x_label(dates, *x))
            .y_label_formatter(&|y| tick_label(*y, hi - lo))
            .label_style((FONT, 15))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(draw_error)?;
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
        for (k, name) in label_names.iter().enumerate() {
            let color = color_of(k);
            chart
                .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())
                .map_err(draw_error)?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(4))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font((FONT, 16))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(draw_error)?;
        Ok(())
    })
}
