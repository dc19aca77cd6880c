//! Keeping secrets out of what tmctl shows and records: secret-looking keys, passwords in
//! URLs, command lines.

use serde_json::Value;

pub const REDACTED: &str = "<redacted>";

fn looks_secret(key: &str) -> bool {
    crate::profile::validate::name_looks_secret(key, &["CREDENTIAL"])
}

/// Blanks environment values with secret-looking names and passwords inside URLs.
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if looks_secret(key) && (item.is_string() || item.is_number()) {
                    *item = Value::String(REDACTED.to_owned());
                } else {
                    redact(item);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        Value::String(text) => {
            if let Some(clean) = redact_url_password(text) {
                *text = clean;
            }
        }
        _ => {}
    }
}

/// `scheme://user:password@host` → `scheme://user:<redacted>@host`.
fn redact_url_password(text: &str) -> Option<String> {
    let scheme_end = text.find("://")? + 3;
    let rest = &text[scheme_end..];
    let at = rest.find('@')?;
    let userinfo = &rest[..at];
    if userinfo.contains('/') {
        return None;
    }
    let (user, _) = userinfo.split_once(':')?;
    Some(format!(
        "{}{user}:{REDACTED}{}",
        &text[..scheme_end],
        &rest[at..]
    ))
}

/// A command line for the record: values of secret-looking options and `NAME=value`
/// arguments, and passwords inside URLs, replaced.
pub fn command_line(args: &[String]) -> String {
    let mut shown = Vec::with_capacity(args.len());
    let mut hide_next = false;
    for arg in args {
        if hide_next {
            shown.push(REDACTED.to_owned());
            hide_next = false;
            continue;
        }
        let (key, value) = match arg.split_once('=') {
            Some((key, value)) => (key, Some(value)),
            None => (arg.as_str(), None),
        };
        let secret = looks_secret(key.trim_start_matches('-'));
        match (secret, value) {
            (true, Some(_)) => shown.push(format!("{key}={REDACTED}")),
            (true, None) if arg.starts_with("--") => {
                shown.push(arg.clone());
                hide_next = true;
            }
            _ => shown.push(redact_url_password(arg).unwrap_or_else(|| arg.clone())),
        }
    }
    shown.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_lose_their_secrets() {
        let args: Vec<String> = [
            "tmctl",
            "up",
            "--db-password",
            "hunter2",
            "API_TOKEN=abc",
            "postgres://tm:pw@db/tm",
            "--scale",
            "service=3",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            command_line(&args),
            "tmctl up --db-password <redacted> API_TOKEN=<redacted> postgres://tm:<redacted>@db/tm --scale service=3"
        );
    }

    #[test]
    fn secret_keys_and_url_passwords_are_redacted() {
        let mut value = serde_json::json!({
            "environment": {
                "API_TOKEN": "abc",
                "DATABASE_URL": "postgres://tm:hunter2@db:5432/tm",
                "PLAIN": "visible",
            }
        });
        redact(&mut value);
        assert_eq!(value["environment"]["API_TOKEN"], REDACTED);
        assert_eq!(
            value["environment"]["DATABASE_URL"],
            "postgres://tm:<redacted>@db:5432/tm"
        );
        assert_eq!(value["environment"]["PLAIN"], "visible");
    }
}
