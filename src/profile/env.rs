//! Variables for `${VAR}` interpolation: the process environment over a `.env` file.

use std::collections::BTreeMap;
use std::path::Path;

use super::error::Diagnostic;

/// The variables a profile is interpolated with.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    values: BTreeMap<String, String>,
}

impl Variables {
    pub fn empty() -> Self {
        Self::default()
    }

    /// The process environment.
    pub fn from_process() -> Self {
        Variables {
            values: std::env::vars().collect(),
        }
    }

    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.values.insert(name.to_owned(), value.to_owned());
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Adds the variables of a `.env` file that are not already set (the environment wins,
    /// as in compose). A missing file is not an error.
    pub fn add_dotenv(&mut self, path: &Path) -> Result<(), Diagnostic> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => {
                return Err(Diagnostic::new(
                    path.display().to_string(),
                    "",
                    format!("cannot read: {error}"),
                ))
            }
        };
        for (name, value) in parse_dotenv(&text, &path.display().to_string())? {
            self.values.entry(name).or_insert(value);
        }
        Ok(())
    }
}

/// Parses `KEY=VALUE` lines; `#` comments, blank lines, `export ` and quotes are allowed.
pub fn parse_dotenv(text: &str, file: &str) -> Result<Vec<(String, String)>, Diagnostic> {
    let mut pairs = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, value)) = line.split_once('=') else {
            return Err(
                Diagnostic::new(file, "", format!("line `{line}` is not KEY=VALUE"))
                    .at(index + 1, 1),
            );
        };
        let name = name.trim();
        if !is_variable_name(name) {
            return Err(Diagnostic::new(
                file,
                "",
                format!("`{name}` is not a valid variable name (letters, digits and _, not starting with a digit)"),
            )
            .at(index + 1, 1));
        }
        let value = value.trim();
        let unquoted = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        pairs.push((name.to_owned(), unquoted.to_owned()));
    }
    Ok(pairs)
}

pub fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_lines_are_parsed() {
        let pairs = parse_dotenv("# c\nexport A=1\nB = \"two words\"\n\nC='x'\n", ".env").unwrap();
        assert_eq!(
            pairs,
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "two words".into()),
                ("C".into(), "x".into())
            ]
        );
    }

    #[test]
    fn dotenv_errors_name_the_line() {
        let error = parse_dotenv("A=1\nnot a pair\n", "x/.env").unwrap_err();
        assert_eq!(error.line, Some(2));
        assert!(error.to_string().contains("is not KEY=VALUE"));
    }
}
