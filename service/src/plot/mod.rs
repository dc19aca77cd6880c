//! PNG charts of trading results, drawn with plotters into memory.
//!
//! Text uses DejaVu Sans compiled into the binary (registered with plotters' `ab_glyph`
//! renderer), so charts render the same in a container with no fonts or fontconfig.
//!
//! * [`equity_curve`] / [`backtest_chart`] — account values of an agent against baselines;
//! * [`regime_chart`] — a price series coloured by market-dynamics label;
//! * [`radar_chart`] — the six radar scores with profitability and risk control.

mod canvas;
mod equity;
mod radar;
mod regimes;

pub use equity::{backtest_chart, equity_curve, Series};
pub use radar::radar_chart;
pub use regimes::regime_chart;

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("plot input: {0}")]
    Input(String),
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error("PNG encoding failed: {0}")]
    Encode(String),
}

pub type Result<T> = std::result::Result<T, PlotError>;
