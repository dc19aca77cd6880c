//! `tmctl render`: write the files a profile turns into, for review, diffing or compose.

use anyhow::bail;
use serde_json::json;

use super::{absolute, Context};
use crate::cli::RenderArgs;
use crate::render::{self, templates, RenderOptions};
use crate::secrets::{ensure_secrets, write_service_env_files};

pub fn run(context: &Context, args: &RenderArgs) -> anyhow::Result<()> {
    let loaded = context.load_profile()?;
    let project = context.project()?;
    let state = context.project_state()?;
    let secrets = ensure_secrets(&state)?;
    write_service_env_files(&state, &loaded.profile, &secrets)?;

    let out = match &args.out {
        Some(dir) => absolute(&context.working_dir, dir),
        None => state.rendered_dir(),
    };
    let options = RenderOptions::new(&project, &out.display().to_string());
    let registry =
        templates::registry(templates::default_override_dir(&context.working_dir).as_deref())?;
    let files = render::render_all(&registry, &loaded, &state, &options)?;
    for file in &files {
        if secrets
            .values()
            .any(|secret| file.contents.contains(secret))
        {
            bail!(
                "refusing to write {}: it would contain a generated secret (a template references one directly); remove that reference",
                file.name
            );
        }
    }
    render::write_files(&out, &files)?;

    if context.global.json {
        let listing: Vec<_> = files
            .iter()
            .map(|file| out.join(&file.name).display().to_string())
            .collect();
        super::print_json(&json!({
            "profile": loaded.profile.name,
            "project": project,
            "directory": out.display().to_string(),
            "files": listing,
            "secrets_file": state.secrets_file().display().to_string(),
        }))?;
    } else if !context.global.quiet {
        println!(
            "rendered profile {} for project {} into {}",
            context.style.bold(&loaded.profile.name),
            context.style.bold(&project),
            out.display()
        );
        for file in &files {
            println!("  {}", file.name);
        }
        println!(
            "{}",
            context.style.dim(&format!(
                "secrets stay in {} (mode 0600); the files above only reference them",
                state.secrets_file().display()
            ))
        );
    }
    Ok(())
}
