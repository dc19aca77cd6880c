//! Errors of the trading algorithms: every variant names the offending input.

/// Result of the algorithms module.
pub type Result<T> = std::result::Result<T, AlgoError>;

#[derive(Debug, thiserror::Error)]
pub enum AlgoError {
    #[error("{source_name}: cannot read CSV: {message}")]
    Csv {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: missing column `{column}`; available columns: {available}")]
    MissingColumn {
        source_name: String,
        column: String,
        available: String,
    },
    #[error("{source_name} line {line}, column `{column}`: `{value}` is not a number")]
    NotNumeric {
        source_name: String,
        line: u64,
        column: String,
        value: String,
    },
    #[error(
        "{source_name} line {line}, column `{column}`: `{value}` is not a valid price \
         (must be finite and greater than 0)"
    )]
    BadPrice {
        source_name: String,
        line: u64,
        column: String,
        value: String,
    },
    #[error(
        "{source_name} line {line}, column `date`: `{value}` is not a date \
         (expected YYYY-MM-DD, optionally followed by a time)"
    )]
    BadDate {
        source_name: String,
        line: u64,
        value: String,
    },
    #[error("{source_name} line {line}, column `tic`: empty; every row needs a tic")]
    EmptyTic { source_name: String, line: u64 },
    #[error("{source_name}: no data rows")]
    Empty { source_name: String },
    #[error(
        "{source_name} line {line}: date `{date}` of tic `{tic}` is not after its previous \
         date `{previous}`; rows of each tic must be sorted by date without duplicates"
    )]
    Unsorted {
        source_name: String,
        line: u64,
        tic: String,
        date: String,
        previous: String,
    },
    #[error(
        "tic `{tic}` has no row for date `{date}` (its first missing date); \
         enable forward fill to fill gaps with the previous row"
    )]
    MissingDate { tic: String, date: String },
    #[error("invalid split: {0}")]
    Split(String),
    #[error("not enough data: {0}")]
    NotEnoughData(String),
    #[error("algorithmic trading takes one tic, the data has {count}: {tics}; select one")]
    OneTicNeeded { count: usize, tics: String },
    #[error("unknown {kind} `{value}`; allowed: {allowed}")]
    Unknown {
        kind: &'static str,
        value: String,
        allowed: String,
    },
    #[error("hyperparameters: {0}")]
    Hyperparameter(String),
    #[error("training cancelled at epoch {epoch}")]
    Cancelled { epoch: usize },
    #[error("model: {0}")]
    Model(String),
    #[error("plot: {0}")]
    Plot(String),
}

impl AlgoError {
    pub(crate) fn unknown(kind: &'static str, value: &str, allowed: &[&str]) -> Self {
        AlgoError::Unknown {
            kind,
            value: value.to_string(),
            allowed: allowed.join(", "),
        }
    }
}
