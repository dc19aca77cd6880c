use thiserror::Error;

/// Why a labeling request was refused.
#[derive(Debug, Error)]
pub enum DynamicsError {
    #[error("invalid parameter {name} = {value}: {allowed}")]
    InvalidParameter {
        name: &'static str,
        value: String,
        allowed: String,
    },

    #[error("the input has no data rows")]
    EmptyInput,

    #[error("unknown column {name:?} for {role}; available columns: {}", available.join(", "))]
    UnknownColumn {
        role: &'static str,
        name: String,
        available: Vec<String>,
    },

    #[error("row {row}: {column} value {value:?} is not a finite number")]
    BadValue {
        row: usize,
        column: String,
        value: String,
    },

    #[error(
        "{context}: {len} rows, but the low-pass filter needs at least {minimum} rows per series"
    )]
    SeriesTooShort {
        context: String,
        len: usize,
        minimum: usize,
    },

    #[error("CSV input: {0}")]
    Csv(#[from] csv::Error),

    #[error("reading the input: {0}")]
    Read(std::io::Error),

    #[error("writing the labeled output: {0}")]
    Io(std::io::Error),
}

impl DynamicsError {
    pub(crate) fn invalid(
        name: &'static str,
        value: impl ToString,
        allowed: impl Into<String>,
    ) -> Self {
        Self::InvalidParameter {
            name,
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }
}
