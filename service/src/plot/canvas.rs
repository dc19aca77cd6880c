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
