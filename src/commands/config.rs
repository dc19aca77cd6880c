//! `tmctl config`: the resolved profile, with anything secret-looking redacted.

use serde_json::Value;

use super::Context;
use crate::profile::Origin;

const REDACTED: &str = "<redacted>";

pub fn run(context: &Context) -> anyhow::Result<()> {
    let loaded = context.load_profile()?;
    let project = context.project()?;
    let state = context.project_state()?;
    let mut value = serde_json::to_value(&loaded.profile)?;
    redact(&mut value);
    if context.global.json {
        let wrapped = serde_json::json!({
            "project": project,
            "sources": loaded.documents.iter().map(|d| d.display.clone()).collect::<Vec<_>>(),
            "secrets_file": state.secrets_file().display().to_string(),
            "profile": value,
        });
        println!("{}", serde_json::to_string_pretty(&wrapped)?);
        return Ok(());
    }
    let origin = match loaded.origin() {
        Origin::Embedded => "built-in".to_owned(),
        Origin::File(path) => path.display().to_string(),
    };
    println!(
        "# profile {} ({origin}), project {project}",
        loaded.profile.name
    );
    if loaded.documents.len() > 1 {
        let chain: Vec<&str> = loaded
            .documents
            .iter()
            .map(|d| d.display.as_str())
            .collect();
        println!("# merged from: {}", chain.join(" <- "));
    }
    println!(
        "# generated secrets live in {} and are not shown",
        state.secrets_file().display()
    );
    print!("{}", serde_yaml::to_string(&value)?);
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::*;

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
