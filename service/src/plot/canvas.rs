//! Shared pieces: the embedded font, the palette, and rendering to PNG bytes.

use std::sync::OnceLock;

use image::ImageEncoder;

use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use super::{PlotError, Result};

/// Chart size in pixels.
pub(super) const SIZE: (u32, u32) = (1000, 600);

/// Family every chart asks for; resolved to the embedded DejaVu Sans.
pub(super) const FONT: &str = "sans-serif";

/// Distinct line colours, agent first.
pub(super) const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(127, 127, 127),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(23, 190, 207),
];

fn ensure_fonts() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(PlotError::Draw(
            "the embedded font could not be loaded".into(),
        ))
    }
}

pub(super) fn draw_error<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError::Draw(e.to_string())
}

/// Draws with `paint` on a white canvas of [`SIZE`] and returns PNG bytes.
pub(super) fn render_png<F>(size: (u32, u32), paint: F) -> Result<Vec<u8>>
where
    F: FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Result<()>,
{
    ensure_fonts()?;
    let (w, h) = size;
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let backend = BitMapBackend::with_buffer_and_format(&mut rgb, size).map_err(draw_error)?;
        let root = backend.into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        paint(&root)?;
        root.present().map_err(draw_error)?;
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&rgb, w, h, image::ColorType::Rgb8)
        .map_err(|e| PlotError::Encode(e.to_string()))?;
    Ok(png)
}

/// Every value finite, at least `min` of them.
pub(super) fn check_values(name: &str, values: &[f64], min: usize) -> Result<()> {
    if values.len() < min {
        return Err(PlotError::Input(format!(
            "{name} needs at least {min} values, got {}",
            values.len()
        )));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(PlotError::Input(format!(
            "{name}[{i}] is {} (not finite)",
            values[i]
        )));
    }
    Ok(())
}

/// `(min, max)` padded by 5% (or ±1 for a flat series).
pub(super) fn padded_range<'a>(values: impl Iterator<Item = &'a f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(*v), hi.max(*v))
    });
    if !(lo.is_finite() && hi.is_finite()) {
        return (0.0, 1.0);
    }
    let pad = if hi > lo {
        (hi - lo) * 0.05
    } else {
        lo.abs().max(1.0) * 0.05
    };
    (lo - pad, hi + pad)
}

/// Label for x position `i` from optional dates (date part only).
pub(super) fn x_label(dates: Option<&[String]>, i: f64) -> String {
    let index = i.round().max(0.0) as usize;
    match dates.and_then(|d| d.get(index)) {
        Some(date) => date.chars().take(10).collect(),
        None => format!("{index}"),
    }
}

/// Axis tick text with as many decimals as the span of the axis calls for.
pub(super) fn tick_label(value: f64, span: f64) -> String {
    let decimals = if span >= 100.0 {
        0
    } else if span >= 1.0 {
        2
    } else {
        4
    };
    format!("{value:.decimals$}")
}

/// Colour of label `k` of `n` on a red (first, bearish) to green (last, bullish) scale
/// through amber, matching the labeler's ordering of regimes by trend.
pub(super) fn diverging(k: usize, n: usize) -> RGBColor {
    const RED: (f64, f64, f64) = (214.0, 39.0, 40.0);
    const AMBER: (f64, f64, f64) = (230.0, 160.0, 20.0);
    const GREEN: (f64, f64, f64) = (44.0, 160.0, 44.0);
    if n <= 1 {
        return PALETTE[0];
    }
    let x = k as f64 / (n - 1) as f64;
    let (a, b, t) = if x <= 0.5 {
        (RED, AMBER, x * 2.0)
    } else {
        (AMBER, GREEN, x * 2.0 - 1.0)
    };
    let mix = |p: f64, q: f64| (p + (q - p) * t).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// A chart of values `lo..hi` over `n` steps.
pub(super) type LineChart<'a, 'b> = ChartContext<
    'a,
    BitMapBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// The frame every line chart shares: caption, axes over `n` steps (labelled with `dates`)
/// and `lo..hi`, the light mesh, and `y_desc` on the value axis when given.
pub(super) fn line_chart<'a, 'b>(
    root: &'a DrawingArea<BitMapBackend<'b>, plotters::coord::Shift>,
    title: &str,
    y_label_area: u32,
    y_desc: Option<&str>,
    (n, dates): (usize, Option<&[String]>),
    (lo, hi): (f64, f64),
) -> Result<LineChart<'a, 'b>> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 26))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(y_label_area)
        .build_cartesian_2d(0f64..(n - 1) as f64, lo..hi)
        .map_err(draw_error)?;
    let x_formatter = |x: &f64| x_label(dates, *x);
    let y_formatter = |y: &f64| tick_label(*y, hi - lo);
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(6)
        .y_labels(8)
        .x_label_formatter(&x_formatter)
        .y_label_formatter(&y_formatter)
        .label_style((FONT, 15))
        .light_line_style(RGBColor(235, 235, 235));
    if let Some(desc) = y_desc {
        mesh.y_desc(desc).axis_desc_style((FONT, 16));
    }
    mesh.draw().map_err(draw_error)?;
    Ok(chart)
}

/// The legend in the upper left: one line of `stroke` width per `(name, colour)`.
pub(super) fn draw_legend<'a, 'b: 'a, 'n>(
    chart: &mut LineChart<'a, 'b>,
    entries: impl IntoIterator<Item = (&'n str, RGBColor)>,
    stroke: u32,
) -> Result<()> {
    for (name, color) in entries {
        chart
            .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())
            .map_err(draw_error)?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(stroke))
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
}
