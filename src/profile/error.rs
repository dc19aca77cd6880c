//! Profile errors: each names the file, position, field path, bad value and what is allowed.

use std::fmt;

/// One problem found in a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file shown to the user (a path, or `<embedded>/dev.yaml`).
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Field path such as `services.gateway.ports[0]`; empty for the whole document.
    pub path: String,
    pub message: String,
}

impl Diagnostic {
    pub fn new(
        file: impl Into<String>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            file: file.into(),
            line: None,
            column: None,
            path: path.into(),
            message: message.into(),
        }
    }

    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("profile `{name}` not found (looked in {searched}); available profiles: {available}")]
    NotFound {
        name: String,
        searched: String,
        available: String,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", render_all(.0))]
    Invalid(Vec<Diagnostic>),
}

fn render_all(diagnostics: &[Diagnostic]) -> String {
    let count = diagnostics.len();
    let mut text = if count == 1 {
        "invalid profile:".to_owned()
    } else {
        format!("invalid profile ({count} problems):")
    };
    for diagnostic in diagnostics {
        text.push_str("\n  ");
        text.push_str(&diagnostic.to_string());
    }
    text
}

impl ProfileError {
    /// The problems found, for callers that want them one by one.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ProfileError::Invalid(list) => list,
            _ => &[],
        }
    }
}
