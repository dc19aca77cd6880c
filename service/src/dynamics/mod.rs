//! Market-dynamics labeling ("slice and merge"): splits each price series
//! into trend segments and labels every row with a market regime
//! (`0..dynamic_number`, low slopes first), reproducing TradeMaster's labeler.
//!
//! Pipeline per tic: zero-phase Butterworth low-pass ([`filter`]), turning
//! points of the filtered returns and a minimum segment length
//! ([`segments`]), optional merging of short segments by FastDTW distance
//! ([`merge`], [`dtw`]), then quantile or slope labeling ([`labels`]).
//! See `README.md` next to this file for where and why the behaviour differs
//! from the original.
//!
//! ```no_run
//! use tmctl_service::dynamics::{label_csv, LabelParams, LabelingMethod};
//! let params = LabelParams {
//!     method: LabelingMethod::Quantile,
//!     dynamic_number: 5,
//!     min_length_limit: 24,
//!     merging_threshold: 0.03,
//!     merging_constraint: 1,
//!     max_length_expectation: 144,
//!     ..LabelParams::default()
//! };
//! let input = std::fs::File::open("prices.csv")?;
//! let report = label_csv(input, std::io::stdout(), &params)?;
//! eprintln!("{}", serde_json::to_string(&report)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod csv_io;
pub mod dtw;
mod error;
pub mod filter;
pub mod labels;
pub mod merge;
mod numeric;
mod params;
pub mod segments;
mod series;
pub mod stats;

pub use csv_io::{label_csv, LabelReport, TicReport, OUTPUT_COLUMNS};
pub use error::DynamicsError;
pub use labels::Labeler;
pub use merge::MergeSummary;
pub use params::{
    LabelParams, LabelingMethod, DEFAULT_FILTER_PERIOD, MAX_DYNAMIC_NUMBER, MAX_MERGING_ROUNDS,
};
pub use series::{label_series, Segment, SeriesLabeling};
pub use stats::{LabelSummary, RunStats};
