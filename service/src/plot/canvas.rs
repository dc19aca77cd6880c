//! Shared pieces: the embedded font, the palette, and rendering to PNG bytes.

use std::sync::OnceLock;

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

use image::ImageEncoder;

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
