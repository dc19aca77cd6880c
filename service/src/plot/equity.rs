//! Account value of an agent against its baselines.

use plotters::prelude::*;

use super::canvas::{
    check_values, draw_error, padded_range, render_png, tick_label, x_label, FONT, PALETTE, SIZE,
};
use super::{PlotError, Result};
use crate::algo::Backtest;

/// A named line.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    pub name: &'a str,
    pub values: &'a [f64],
}

/// Lines of equal length over the same dates; the first (the agent) is drawn on top.
pub fn equity_curve(
    title: &str,
    dates: Option<&[String]>,
    series: &[Series<'_>],
) -> Result<Vec<u8>> {
    let first = series
        .first()
        .ok_or_else(|| PlotError::Input("an equity chart needs at least one series".into()))?;
    let n = first.values.len();
    for s in series {
        check_values(s.name, s.values, 2)?;
        if s.values.len() != n {
            return Err(PlotError::Input(format!(
                "series `{}` has {} values, `{}` has {n}",
                s.name,
                s.values.len(),
                first.name
            )));
        }
    }
    if let Some(d) = dates {
        if d.len() != n {
            return Err(PlotError::Input(format!(
                "{} dates for {n} values",
                d.len()
            )));
        }
    }
    let (lo, hi) = padded_range(series.iter().flat_map(|s| s.values.iter()));
    render_png(SIZE, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 26))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(90)
            .build_cartesian_2d(0f64..(n - 1) as f64, lo..hi)
            .map_err(draw_error)?;
        chart
            .configure_mesh()
            .x_labels(6)
            .y_labels(8)
            .x_label_formatter(&|x| x_label(dates, *x))
            .y_label_formatter(&|y| tick_label(*y, hi - lo))
            .y_desc("account value")
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(draw_error)?;
        // Drawn back to front: the agent ends on top, and each baseline is thinner than the
        // ones under it, so identical curves still show as nested stripes.
        for (k, s) in series.iter().enumerate().rev() {
            let width = if k == 0 { 3 } else { 2 * k as u32 };
            chart
                .draw_series(LineSeries::new(
                    s.values.iter().enumerate().map(|(i, v)| (i as f64, *v)),
                    PALETTE[k % PALETTE.len()].stroke_width(width),
                ))
                .map_err(draw_error)?;
        }
        for (k, s) in series.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            chart
                .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())
                .map_err(draw_error)?
                .label(s.name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
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

/// The backtest's agent against its baselines.
pub fn backtest_chart(backtest: &Backtest) -> Result<Vec<u8>> {
    let mut series = vec![Series {
        name: &backtest.agent,
        values: &backtest.account,
    }];
    series.extend(backtest.baselines.iter().map(|c| Series {
        name: &c.name,
        values: &c.account,
    }));
    let title = format!("{}: {} against baselines", backtest.task, backtest.agent);
    equity_curve(&title, Some(&backtest.dates), &series)
}
