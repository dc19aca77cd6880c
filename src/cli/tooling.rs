//! Arguments of the operator-tooling commands: completions, man, images prune.

use clap::Args;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The subcommand whose page to print, e.g. `up` or `backup run` [default: tmctl itself].
    pub subcommand: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Keep the images of this many most recent releases.
    #[arg(long, default_value_t = 5)]
    pub keep: usize,
    /// Only say what would be removed.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask; required when not on a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,
}
