//! `tmctl plan`: what `up` would do, with causes. Exit 0 = nothing to do, 2 = changes pending.

use std::process::ExitCode;

use serde_json::json;

use super::stack::{prepare, runtime};
use super::Context;
use crate::cli::PlanArgs;
use crate::output::table;

pub fn run(context: &Context, args: &PlanArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let stack = prepare(context, &args.scale).await?;
        let pending = !stack.plan.is_empty();
        if context.global.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "project": stack.project,
                    "changes_pending": pending,
                    "actions": stack.plan.actions,
                    "missing_images": stack.missing_images,
                }))?
            );
        } else if !pending {
            println!("{}: nothing to do", stack.project);
        } else {
            let rows: Vec<Vec<String>> = stack
                .plan
                .actions
                .iter()
                .map(|action| {
                    vec![
                        serde_json::to_value(&action.kind)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default(),
                        action.target.clone(),
                        action.cause.to_string(),
                    ]
                })
                .collect();
            println!("{}", table(&["ACTION", "TARGET", "CAUSE"], &rows));
            if !stack.missing_images.is_empty() {
                println!("missing images: {}", stack.missing_images.join(", "));
            }
        }
        Ok(if pending {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        })
    })
}
