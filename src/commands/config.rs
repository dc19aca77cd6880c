//! `tmctl config`: the resolved profile, with anything secret-looking redacted.

use super::Context;
use crate::profile::Origin;
use crate::redact::redact;

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
        super::print_json(&wrapped)?;
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
