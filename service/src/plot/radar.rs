//! The radar chart of a dynamics test, laid out like TradeMaster's: six metric axes on a
//! radius from -100 (centre) to 100, with profitability and risk control as wedges.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{draw_error, render_png, FONT};
use super::{PlotError, Result};
use crate::algo::RadarScores;

const CHART_SIZE: (u32, u32) = (900, 760);
const PROFIT_COLOR: RGBColor = RGBColor(228, 255, 135);
const RISK_COLOR: RGBColor = RGBColor(112, 155, 255);
const LINE_COLOR: RGBColor = RGBColor(205, 133, 63);

pub fn radar_chart(title: &str, scores: &RadarScores) -> Result<Vec<u8>> {
    let axes = [
        ("Excess Profit", scores.excess_profit),
        ("Sharpe Ratio", scores.sharpe_ratio),
        ("Calmar Ratio", scores.calmar_ratio),
        ("Sortino Ratio", scores.sortino_ratio),
        ("Volatility", scores.volatility),
        ("Max Drawdown", scores.max_drawdown),
    ];
    for (name, v) in axes {
        if !v.is_finite() {
            return Err(PlotError::Input(format!(
                "{name} score is {v} (not finite)"
            )));
        }
    }
    render_png(CHART_SIZE, |root| {
        let (w, h) = CHART_SIZE;
        let center = (w as f64 / 2.0, h as f64 / 2.0 + 30.0);
        let radius = 260.0;
        let at = |score: f64, degrees: f64| -> (i32, i32) {
            let r = (score.clamp(-100.0, 100.0) + 100.0) / 200.0 * radius;
            let a = degrees.to_radians();
            (
                (center.0 + r * a.cos()) as i32,
                (center.1 - r * a.sin()) as i32,
            )
        };
        let text = |s: &str, pos: (i32, i32), size: i32, anchor: Pos| {
            root.draw(&Text::new(
                s.to_string(),
                pos,
                (FONT, size).into_font().color(&BLACK).pos(anchor),
            ))
            .map_err(draw_error)
        };
        let centred = Pos::new(HPos::Center, VPos::Center);
        text(title, (w as i32 / 2, 30), 26, centred)?;

        let wedge = |score: f64, from: f64, color: RGBColor| -> Result<()> {
            let mut points = vec![at(-100.0, 0.0)];
            points.extend((0..=30).map(|k| at(score, from + 90.0 * k as f64 / 30.0)));
            root.draw(&Polygon::new(points.clone(), color.mix(0.7).filled()))
                .map_err(draw_error)?;
            points.push(points[0]);
            root.draw(&PathElement::new(points, BLACK.stroke_width(1)))
                .map_err(draw_error)
        };
        wedge(scores.profitability, 45.0, PROFIT_COLOR)?;
        wedge(scores.risk_control, 225.0, RISK_COLOR)?;

        let grid = RGBColor(190, 190, 190);
        for ring in [-50.0, 0.0, 50.0, 100.0] {
            let mut points: Vec<(i32, i32)> = (0..=72).map(|k| at(ring, k as f64 * 5.0)).collect();
            points.push(points[0]);
            root.draw(&PathElement::new(points, grid.stroke_width(1)))
                .map_err(draw_error)?;
            let (x, y) = at(ring, 90.0);
            text(
                &format!("{ring:.0}"),
                (x + 4, y),
                13,
                Pos::new(HPos::Left, VPos::Bottom),
            )?;
        }
        for (k, (name, _)) in axes.iter().enumerate() {
            let degrees = k as f64 * 60.0;
            root.draw(&PathElement::new(
                vec![at(-100.0, 0.0), at(100.0, degrees)],
                grid.stroke_width(1),
            ))
            .map_err(draw_error)?;
            let (x, y) = at(100.0, degrees);
            let a = degrees.to_radians();
            let label = (
                (x as f64 + 20.0 * a.cos()) as i32,
                (y as f64 - 16.0 * a.sin()) as i32,
            );
            let h = match degrees as i32 {
                0 | 60 | 300 => HPos::Left,
                120 | 180 | 240 => HPos::Right,
                _ => HPos::Center,
            };
            text(name, label, 17, Pos::new(h, VPos::Center))?;
        }
        let mut outline: Vec<(i32, i32)> = axes
            .iter()
            .enumerate()
            .map(|(k, (_, v))| at(*v, k as f64 * 60.0))
            .collect();
        outline.push(outline[0]);
        root.draw(&PathElement::new(
            outline.clone(),
            LINE_COLOR.stroke_width(3),
        ))
        .map_err(draw_error)?;
        for p in &outline {
            root.draw(&Circle::new(*p, 4, LINE_COLOR.filled()))
                .map_err(draw_error)?;
        }

        let legend = [
            (
                PROFIT_COLOR,
                format!("Profitability {:.1}", scores.profitability),
            ),
            (
                RISK_COLOR,
                format!("Risk Control {:.1}", scores.risk_control),
            ),
            (LINE_COLOR, "Metric scores".to_string()),
        ];
        for (k, (color, label)) in legend.iter().enumerate() {
            let y = 70 + 26 * k as i32;
            root.draw(&Rectangle::new([(20, y - 8), (40, y + 8)], color.filled()))
                .map_err(draw_error)?;
            text(label, (48, y), 17, Pos::new(HPos::Left, VPos::Center))?;
        }
        Ok(())
    })
}
