//! `tmctl completions SHELL` and `tmctl man [SUBCOMMAND...]`: both generated from the
//! command-line definition, so they never drift from what the binary accepts.

use std::io::Write;

use anyhow::{bail, Context as _};
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};

pub fn completions(args: &CompletionsArgs) -> anyhow::Result<()> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "tmctl", &mut out);
    write_stdout(&out)
}

pub fn man(args: &ManArgs) -> anyhow::Result<()> {
    let mut command = Cli::command();
    // Building propagates the global options into every subcommand, so each page lists them.
    command.build();
    let mut page = command;
    let mut name = String::from("tmctl");
    for word in &args.subcommand {
        let Some(sub) = page.find_subcommand(word).filter(|sub| !sub.is_hide_set()) else {
            let known: Vec<&str> = page
                .get_subcommands()
                .filter(|sub| !sub.is_hide_set())
                .map(|sub| sub.get_name())
                .collect();
            bail!(
                "`{name}` has no subcommand `{word}`; pages exist for: {}",
                known.join(", ")
            );
        };
        name = format!("{name}-{}", sub.get_name());
        page = sub
            .clone()
            .name(name.clone())
            .bin_name(name.replace('-', " "));
    }
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut out)
        .context("cannot render the manual page")?;
    write_stdout(&out)
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        // `tmctl man | head` closes the pipe early; that is not an error.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}
