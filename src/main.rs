use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use tmctl::cli::{Cli, Command, DynamicsCommand};
use tmctl::commands::{self, Context};

/// Usage errors (unknown flag, bad value) exit with EX_USAGE, never with 2: `plan` uses 2
/// for "changes pending", and a mistyped flag in a pipeline must not read as that.
const EXIT_USAGE: u8 = 64;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_logging(&cli);
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(cli: &Cli) {
    let default = match (cli.global.quiet, cli.global.verbose) {
        (true, _) => "error",
        (false, 0) => "warn,tmctl=info,tmctl_service=info",
        (false, 1) => "info,tmctl=debug,tmctl_service=debug",
        (false, _) => "debug,tmctl=trace,tmctl_service=trace",
    };
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let no_color =
        cli.global.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(!no_color && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let done = |result: anyhow::Result<()>| result.map(|()| ExitCode::SUCCESS);
    match &cli.command {
        Command::Serve(args) => done(commands::serve::run(args)),
        Command::Probe(args) => done(commands::probe::run(args)),
        Command::Completions(args) => done(commands::manual::completions(args)),
        Command::Man(args) => done(commands::manual::man(args)),
        command => {
            let context = Context::new(cli.global.clone())?;
            match command {
                Command::Render(args) => done(commands::render::run(&context, args)),
                Command::Config => done(commands::config::run(&context)),
                Command::Profiles => done(commands::profiles::run(&context)),
                Command::Up(args) => done(commands::up::run(&context, args)),
                Command::Plan(args) => commands::plan::run(&context, args),
                Command::Down(args) => done(commands::down::run(&context, args)),
                Command::Releases => done(commands::releases::run(&context)),
                Command::Rollback(args) => done(commands::rollback::run(&context, args)),
                Command::Audit(args) => done(commands::audit::run(&context, args)),
                Command::Secrets(command) => done(commands::secrets::run(&context, command)),
                Command::Ps => done(commands::ps::run(&context)),
                Command::Images(command) => done(commands::images::run(&context, command)),
                Command::Logs(args) => done(commands::logs::run(&context, args)),
                Command::Exec(args) => commands::exec::run(&context, args),
                Command::Health(args) => commands::health::run(&context, args),
                Command::Heal(args) => done(commands::heal::run(&context, args)),
                Command::Backup(args) => commands::backup::run(&context, args),
                Command::Dynamics(DynamicsCommand::Label(args)) => {
                    done(commands::dynamics::label(&context, args))
                }
                Command::Doctor => commands::doctor::run(&context),
                Command::Version => done(commands::version::run(&context)),
                Command::Serve(_)
                | Command::Probe(_)
                | Command::Completions(_)
                | Command::Man(_) => unreachable!("handled above"),
            }
        }
    }
}
