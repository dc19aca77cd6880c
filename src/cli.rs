//! Command-line interface definition.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "tmctl",
    version,
    about = "Deploy, operate and back up the TradeMaster stack on a Docker Engine",
    long_about = "tmctl brings the TradeMaster stack (nginx gateway, trading service, PostgreSQL, \
Redis, backups, monitoring) up on a Docker Engine from a profile, and is itself the trading \
service the stack runs (`tmctl serve`)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Profile name (dev, prod, extended, or one of yours) or a path to a profile file.
    #[arg(
        long,
        short = 'p',
        global = true,
        env = "TMCTL_PROFILE",
        default_value = "dev"
    )]
    pub profile: String,
    /// Project name: prefixes every container, network and volume [default: tm-<profile>].
    #[arg(long, global = true, env = "TMCTL_PROJECT")]
    pub project: Option<String>,
    /// Directory searched for <profile>.yaml before ./profiles and the built-in profiles.
    #[arg(long, global = true, env = "TMCTL_PROFILES_DIR")]
    pub profiles_dir: Option<PathBuf>,
    /// Where tmctl keeps per-project state (secrets, certificates, rendered files).
    #[arg(long, global = true, env = "TMCTL_STATE_DIR", default_value = ".tmctl")]
    pub state_dir: PathBuf,
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// More log output (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// No colours (also when NO_COLOR is set or output is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render docker-compose.yml, nginx.conf, prometheus.yml and .env.example for review.
    Render(RenderArgs),
    /// Print the resolved profile (after extends and ${VAR} interpolation), secrets redacted.
    Config,
    /// List the profiles that can be used, one line each.
    Profiles,
    /// Run the TradeMaster trading service.
    Serve(ServeArgs),
    /// Probe an HTTP URL; exit 0 on a 2xx answer (used by container healthchecks).
    #[command(hide = true)]
    Probe(ProbeArgs),
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Output directory [default: <state-dir>/<project>/rendered].
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TMCTL_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,
    /// Directory of the embedded SQLite database when DATABASE_URL is not set.
    #[arg(long, env = "TMCTL_DATA_DIR", default_value = "tmctl-data")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// URL to GET, e.g. http://127.0.0.1:8000/health
    pub url: String,
    /// Give up after this many milliseconds.
    #[arg(long, default_value_t = 3000)]
    pub timeout_ms: u64,
}
