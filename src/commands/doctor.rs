//! `tmctl doctor`: one line per check of this host against the profile; exit 1 when one fails.

use std::process::ExitCode;

use super::{runtime, Context};
use crate::doctor::{self, Status, Subject};
use crate::output::table;

pub fn run(context: &Context) -> anyhow::Result<ExitCode> {
    let project = context.open_project()?;
    let report = runtime()?.block_on(doctor::examine(&Subject {
        project: &project.name,
        profile: &project.loaded.profile,
        state_root: &project.state_root,
        state_dir: &project.state.dir,
    }));
    if context.global.json {
        super::print_json(&report)?;
    } else {
        let rows: Vec<Vec<String>> = report
            .checks
            .iter()
            .filter(|check| !context.global.quiet || check.status == Status::Fail)
            .map(|check| {
                let status = match check.status {
                    Status::Ok => context.style.green(check.status.label()),
                    _ => context.style.bold(check.status.label()),
                };
                let detail = match &check.fix {
                    Some(fix) => format!("{} -> fix: {fix}", check.detail),
                    None => check.detail.clone(),
                };
                vec![status, check.name.clone(), detail]
            })
            .collect();
        if !rows.is_empty() {
            println!("{}", table(&["STATUS", "CHECK", "DETAIL"], &rows));
        }
        let failed = report
            .checks
            .iter()
            .filter(|check| check.status == Status::Fail)
            .count();
        if failed > 0 {
            eprintln!("{}: {failed} check(s) failed", project.name);
        } else if !context.global.quiet {
            println!("{}: ready for `tmctl up`", project.name);
        }
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
