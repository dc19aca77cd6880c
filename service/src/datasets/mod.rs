//! Datasets: CSV files validated on the way in and kept in the database in chunks.

pub mod csv_check;
pub mod store;

pub use store::{DatasetInfo, IngestError, Owner};

/// Whether `name` is a plain CSV file name (no directories, no control characters).
pub fn check_file_name(name: &str) -> Result<(), String> {
    let plain = !name.is_empty()
        && name.len() <= 255
        && !name.contains(['/', '\\', '"'])
        && !name.starts_with('.')
        && !name.contains("..")
        && !name.chars().any(char::is_control);
    if !plain {
        return Err(format!(
            "file name {name:?} must be a plain name like prices.csv (no directories, no leading dot)"
        ));
    }
    if !name.to_ascii_lowercase().ends_with(".csv") {
        return Err(format!("file name {name:?} must end with .csv"));
    }
    Ok(())
}

/// The file name without its `.csv` extension.
pub fn stem(file_name: &str) -> &str {
    let len = file_name.len();
    if len >= 4 && file_name[len - 4..].eq_ignore_ascii_case(".csv") {
        &file_name[..len - 4]
    } else {
        file_name
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_must_be_plain_csv_names() {
        assert!(super::check_file_name("dj30.csv").is_ok());
        for bad in [
            "../x.csv",
            "a/b.csv",
            "..\\x.csv",
            ".hidden.csv",
            "x.txt",
            "",
            "a\nb.csv",
        ] {
            assert!(super::check_file_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(super::stem("dj30.CSV"), "dj30");
    }
}
