//! Account value of an agent against its baselines.

use plotters::prelude::*;

use super::canvas::{
    check_values, draw_error, draw_legend, line_chart, padded_range, render_png, PALETTE, SIZE,
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
        let mut chart = line_chart(root, title, 90, Some("account value"), (n, dates), (lo, hi))?;
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
        draw_legend(
            &mut chart,
            series
                .iter()
                .enumerate()
                .map(|(k, s)| (s.name, PALETTE[k % PALETTE.len()])),
            3,
        )
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
