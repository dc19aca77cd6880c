//! `${VAR}` interpolation of profile values, with compose's syntax:
//! `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`, `${VAR?message}`,
//! and `$$` for a literal `$`.

use serde_yaml::Value;

use super::env::{is_variable_name, Variables};
use super::path::FieldPath;

/// What interpolation did to one value; kept so validation can tell where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Substitution {
    pub path: FieldPath,
    pub variable: String,
    pub used_default: bool,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub substitutions: Vec<Substitution>,
    pub errors: Vec<(FieldPath, String)>,
}

/// Interpolates every string scalar under `value` in place.
pub fn interpolate_tree(value: &mut Value, variables: &Variables) -> Outcome {
    let mut outcome = Outcome::default();
    walk(value, &FieldPath::root(), variables, &mut outcome);
    outcome
}

fn walk(value: &mut Value, path: &FieldPath, variables: &Variables, outcome: &mut Outcome) {
    match value {
        Value::String(text) => {
            if !text.contains('$') {
                return;
            }
            match expand(text, variables) {
                Ok(expanded) => {
                    let whole = is_single_expression(text);
                    for (variable, used_default) in expanded.used {
                        outcome.substitutions.push(Substitution {
                            path: path.clone(),
                            variable,
                            used_default,
                        });
                    }
                    *value = if whole {
                        retype(expanded.text)
                    } else {
                        Value::String(expanded.text)
                    };
                }
                Err(message) => outcome.errors.push((path.clone(), message)),
            }
        }
        Value::Sequence(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                walk(item, &path.index(index), variables, outcome);
            }
        }
        Value::Mapping(map) => {
            for (key, item) in map.iter_mut() {
                let key = key.as_str().map(str::to_owned).unwrap_or_default();
                walk(item, &path.key(&key), variables, outcome);
            }
        }
        Value::Tagged(tagged) => walk(&mut tagged.value, path, variables, outcome),
        _ => {}
    }
}

/// A scalar that is exactly one `${...}` takes the YAML type of its result (`replicas: ${N:-2}`).
fn is_single_expression(text: &str) -> bool {
    text.starts_with("${") && text.ends_with('}') && text[2..].find("${").is_none() && {
        text.matches('}').count() == 1
    }
}

fn retype(text: String) -> Value {
    if let Ok(number) = text.parse::<i64>() {
        return Value::Number(number.into());
    }
    if let Ok(number) = text.parse::<f64>() {
        if number.is_finite() && text.contains('.') {
            return Value::Number(number.into());
        }
    }
    match text.as_str() {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(text),
    }
}

#[derive(Debug)]
pub struct Expanded {
    pub text: String,
    /// Variables referenced, and whether each fell back to its default.
    pub used: Vec<(String, bool)>,
}

/// Expands one string. Errors say which variable and why.
pub fn expand(text: &str, variables: &Variables) -> Result<Expanded, String> {
    let mut out = String::with_capacity(text.len());
    let mut used = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body_and_tail) = after.strip_prefix('{') {
            let close = matching_brace(body_and_tail).ok_or_else(|| {
                format!("unterminated `${{` in `{text}`: close it with `}}` or write `$$` for a literal `$`")
            })?;
            let body = &body_and_tail[..close];
            let (value, used_default, name) = resolve(body, variables, &mut used)?;
            used.push((name, used_default));
            out.push_str(&value);
            rest = &body_and_tail[close + 1..];
        } else {
            let length = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let name = &after[..length];
            if name.is_empty() || !is_variable_name(name) {
                return Err(format!(
                    "stray `$` in `{text}`: write `$$` for a literal `$` or `${{NAME}}` for a variable"
                ));
            }
            used.push((name.to_owned(), false));
            out.push_str(variables.get(name).unwrap_or(""));
            rest = &after[length..];
        }
    }
    out.push_str(rest);
    Ok(Expanded { text: out, used })
}

fn matching_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (index, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(index),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn resolve(
    body: &str,
    variables: &Variables,
    used: &mut Vec<(String, bool)>,
) -> Result<(String, bool, String), String> {
    let name_end = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    let name = &body[..name_end];
    if !is_variable_name(name) {
        return Err(format!(
            "`${{{body}}}` does not start with a variable name (letters, digits and _)"
        ));
    }
    let operator = &body[name_end..];
    let current = variables.get(name);
    let set_and_non_empty = current.is_some_and(|value| !value.is_empty());
    let mut nested = |text: &str| -> Result<String, String> {
        let expanded = expand(text, variables)?;
        used.extend(expanded.used);
        Ok(expanded.text)
    };
    let owned = name.to_owned();
    if operator.is_empty() {
        return Ok((current.unwrap_or("").to_owned(), false, owned));
    }
    if let Some(default) = operator.strip_prefix(":-") {
        return Ok(match current {
            Some(value) if set_and_non_empty => (value.to_owned(), false, owned),
            _ => (nested(default)?, true, owned),
        });
    }
    if let Some(default) = operator.strip_prefix('-') {
        return Ok(match current {
            Some(value) => (value.to_owned(), false, owned),
            None => (nested(default)?, true, owned),
        });
    }
    if let Some(message) = operator.strip_prefix(":?") {
        return match current {
            Some(value) if set_and_non_empty => Ok((value.to_owned(), false, owned)),
            _ => Err(required_message(name, message)),
        };
    }
    if let Some(message) = operator.strip_prefix('?') {
        return match current {
            Some(value) => Ok((value.to_owned(), false, owned)),
            None => Err(required_message(name, message)),
        };
    }
    Err(format!(
        "unsupported expression `${{{body}}}`: use ${{{name}}}, ${{{name}:-default}} or ${{{name}:?message}}"
    ))
}

fn required_message(name: &str, message: &str) -> String {
    let detail = if message.is_empty() {
        "is required".to_owned()
    } else {
        message.to_owned()
    };
    format!("variable {name} is not set: {detail} (set it in the environment or in .env beside the profile)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Variables {
        Variables::empty().with("PORT", "9090").with("EMPTY", "")
    }

    #[test]
    fn expands_compose_forms() {
        let v = vars();
        let cases = [
            ("${PORT}", "9090"),
            ("$PORT/x", "9090/x"),
            ("${MISSING:-8080}", "8080"),
            ("${EMPTY:-d}", "d"),
            ("${EMPTY-d}", ""),
            ("${MISSING-d}", "d"),
            ("a$$b", "a$b"),
            ("${MISSING:-${PORT}}", "9090"),
        ];
        for (input, expected) in cases {
            assert_eq!(expand(input, &v).unwrap().text, expected, "{input}");
        }
    }

    #[test]
    fn required_variables_report_their_message() {
        let error = expand("${TOKEN:?set a token}", &vars()).unwrap_err();
        assert!(error.contains("TOKEN is not set: set a token"), "{error}");
    }

    #[test]
    fn whole_expressions_take_their_type() {
        let mut value: Value = serde_yaml::from_str("replicas: ${N:-2}\nname: x${N:-2}").unwrap();
        let outcome = interpolate_tree(&mut value, &Variables::empty());
        assert!(outcome.errors.is_empty());
        assert_eq!(value["replicas"], Value::Number(2.into()));
        assert_eq!(value["name"], Value::String("x2".into()));
        assert!(outcome.substitutions.iter().all(|s| s.used_default));
    }
}
