//! Command-line interface definition.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

mod tooling;
pub use tooling::*;

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

/// Listed under their own heading so a subcommand's help shows its own options first.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
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
    /// Bring the profile's stack up (or converge it) on the Docker Engine.
    Up(UpArgs),
    /// Show what `up` would do, each action with its cause. Exit 0: nothing to do, 2: changes pending.
    Plan(PlanArgs),
    /// Stop and remove the project's containers and networks (and volumes with --volumes).
    Down(DownArgs),
    /// List the project's releases: every `up` or `rollback` that changed something.
    Releases,
    /// Deploy an earlier release again, exactly (its profile and images), without downtime.
    Rollback(RollbackArgs),
    /// The audit log: every mutating command run on the project, by whom, with what outcome.
    Audit(AuditArgs),
    /// The project's generated secrets.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// List the project's containers: service, replica, state, health, ports, uptime, image.
    Ps,
    /// Show container logs, replicas multiplexed with prefixes.
    Logs(LogsArgs),
    /// Run a command in a service's container; its exit code is passed through.
    Exec(ExecArgs),
    /// Probe every service of the running project. Exit 0 healthy, 1 degraded, 2 down, 3 unknown.
    Health(HealthArgs),
    /// Restart replicas that stay unhealthy, with backoff and an hourly cap per container.
    Heal(HealArgs),
    /// Images of the profile: build the service image, pull, bootstrap from Debian, list, save, load.
    #[command(subcommand)]
    Images(ImagesCommand),
    /// Back up the PostgreSQL database: run, list, verify, restore, prune, schedule.
    Backup(BackupArgs),
    /// Market dynamics: label a price series with regimes (slice and merge).
    #[command(subcommand)]
    Dynamics(DynamicsCommand),
    /// Run the TradeMaster trading service.
    Serve(ServeArgs),
    /// Check that this host can run the profile: Engine, disk, ports, images, state, clock.
    Doctor,
    /// Print the versions of tmctl, the Docker Engine and each service's image.
    Version,
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) of tmctl or of one of its subcommands.
    Man(ManArgs),
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

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    text.parse::<crate::profile::units::Duration>()
        .map(|duration| duration.as_std())
}

fn parse_scale(text: &str) -> Result<(String, u32), String> {
    let (service, count) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: write SERVICE=N, e.g. service=3"))?;
    let count = count
        .parse::<u32>()
        .map_err(|_| format!("`{text}`: the replica count must be a whole number"))?;
    Ok((service.to_owned(), count))
}

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub services: ServiceSelection,
    #[command(flatten)]
    pub deploy: DeployWaitArgs,
}

/// Which services run, and how many replicas of each (`up`, `plan`).
#[derive(Debug, Args)]
pub struct ServiceSelection {
    /// Run N replicas of SERVICE instead of the profile's count (repeatable).
    #[arg(long, value_name = "SERVICE=N", value_parser = parse_scale)]
    pub scale: Vec<(String, u32)>,
    /// Leave out an optional SERVICE, e.g. grafana when its image cannot be had (repeatable).
    #[arg(long, value_name = "SERVICE")]
    pub without: Vec<String>,
}

/// The waits of a deployment (`up`, `rollback`).
#[derive(Debug, Args)]
pub struct DeployWaitArgs {
    /// Wait until every container is healthy (or running, without a healthcheck).
    #[arg(long)]
    pub wait: bool,
    /// How long to wait for a container to become ready.
    #[arg(long, default_value = "3m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// How long to wait for another command holding the project's lock.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub lock_wait: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub services: ServiceSelection,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Only this service (all services when omitted).
    pub service: Option<String>,
    /// Keep following new output.
    #[arg(long, short)]
    pub follow: bool,
    /// Lines to show from the end of each container's log.
    #[arg(long, short = 'n', default_value = "all")]
    pub tail: String,
    /// Only output since a time: a duration ago (10m, 2h) or an RFC 3339 timestamp.
    #[arg(long)]
    pub since: Option<String>,
    /// Prefix each line with its timestamp.
    #[arg(long, short = 't')]
    pub timestamps: bool,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Service to run in.
    pub service: String,
    /// Replica number.
    #[arg(long, default_value_t = 1)]
    pub replica: u32,
    /// The command and its arguments (after `--`).
    #[arg(last = true, required = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Print Prometheus text exposition (up and latency per probe) instead of a table.
    #[arg(long, conflicts_with = "watch")]
    pub prometheus: bool,
    /// With --prometheus: write the exposition to FILE (atomically) instead of stdout, for
    /// node-exporter's textfile collector (the extended profile reads TM_METRICS_DIR).
    #[arg(long, value_name = "FILE", requires = "prometheus")]
    pub textfile: Option<std::path::PathBuf>,
    /// Keep probing and print every change of a probe or of the overall status.
    #[arg(long, conflicts_with = "wait")]
    pub watch: bool,
    /// Probe until the project is healthy (exit 0) or --timeout passes (exit 1, 2 or 3).
    #[arg(long)]
    pub wait: bool,
    /// Pause between rounds of --watch and --wait.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub interval: std::time::Duration,
    /// How long --wait waits.
    #[arg(long, default_value = "2m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Each probe attempt gives up after this long.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub probe_timeout: std::time::Duration,
    /// Further attempts of a failing probe.
    #[arg(long, default_value_t = 1)]
    pub retries: u32,
    /// A probe answering slower than this fails (e.g. 500ms).
    #[arg(long, value_parser = parse_duration)]
    pub max_latency: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct HealArgs {
    /// One check of every container, then exit (the counts persist between runs).
    #[arg(long)]
    pub once: bool,
    /// Pause between checks.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub interval: std::time::Duration,
    /// Restart a replica after this many consecutive checks found it unhealthy.
    #[arg(long, default_value_t = 3)]
    pub threshold: u32,
    /// Wait at least this long after a restart before the next one; doubles each time.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub backoff: std::time::Duration,
    /// The longest backoff.
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub max_backoff: std::time::Duration,
    /// Restarts of one container allowed in any hour; then it is left alone.
    #[arg(long, default_value_t = 3)]
    pub max_restarts_per_hour: u32,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The release to go back to [default: the successful release before the current one].
    pub release: Option<u64>,
    #[command(flatten)]
    pub deploy: DeployWaitArgs,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only records since a time: a duration ago (24h, 7d... as 168h) or an RFC 3339 timestamp.
    #[arg(long)]
    pub since: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Change one secret in place (database role, Redis, services) without losing data.
    Rotate(RotateArgs),
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    /// The secret: POSTGRES_PASSWORD, REDIS_PASSWORD, TMCTL_TOKEN_KEY, ...
    pub name: String,
    /// How long to wait for a container to become ready.
    #[arg(long, default_value = "3m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// How long to wait for another command holding the project's lock.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub lock_wait: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    /// Also delete the project's volumes (the database!).
    #[arg(long)]
    pub volumes: bool,
    /// Do not ask; required with --volumes when not on a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// How long to wait for another up/down on the same project to finish.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub lock_wait: std::time::Duration,
}

#[derive(Debug, Subcommand)]
pub enum ImagesCommand {
    /// Build the service image from this tmctl executable (skipped when unchanged).
    Build,
    /// Pull the profile's third-party images from their registry.
    Pull,
    /// Build the profile's base and third-party images from Debian packages (no registry needed).
    Bootstrap(BootstrapArgs),
    /// List the profile's images: present, origin, size.
    Ls,
    /// Write all of the profile's images into one archive.
    Save {
        /// Archive to write.
        file: PathBuf,
    },
    /// Load images from an archive made by `tmctl images save`.
    Load {
        /// Archive to read.
        file: PathBuf,
    },
    /// Remove images of the project's older releases (not those of the last N or of any container).
    Prune(PruneArgs),
}

#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// Debian mirror [default: the host's apt configuration].
    #[arg(long)]
    pub mirror: Option<String>,
    /// Remake images that exist already.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Directory holding a folder of backups per project [default: the profile's
    /// backup.directory, else ./backups].
    #[arg(long, global = true, env = "TMCTL_BACKUP_DIR")]
    pub dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: BackupCommand,
}

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Dump the database to <dir>/<project>/<UTC time>.dump, check it and record it.
    Run {
        /// How long to wait for a backup already running.
        #[arg(long, default_value = "0s", value_parser = parse_duration)]
        lock_wait: std::time::Duration,
    },
    /// List the catalog: every run, good or failed.
    List,
    /// Check a backup: its checksum, then a restore into a scratch database.
    Verify {
        /// Backup id, or `latest` (the newest good backup).
        #[arg(default_value = "latest")]
        id: String,
    },
    /// Replace the live database with a backup; the services using it are stopped meanwhile.
    Restore {
        /// Backup id, or `latest` (the newest good backup).
        #[arg(default_value = "latest")]
        id: String,
        /// Do not ask; required when not on a terminal.
        #[arg(long, short = 'y')]
        yes: bool,
        /// How long to wait for the restarted services to become healthy.
        #[arg(long, default_value = "3m", value_parser = parse_duration)]
        timeout: std::time::Duration,
    },
    /// Delete backups outside the GFS retention (keep_daily, keep_weekly, keep_monthly).
    Prune {
        /// Only show what would be deleted.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask; required when not on a terminal.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Run backups on the profile's cron schedule until stopped; serves /metrics and /health.
    Schedule(ScheduleArgs),
}

#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// Cron expression instead of the profile's (5 fields, or 6 with seconds first).
    #[arg(long)]
    pub cron: Option<String>,
    /// Timezone the expression is read in, e.g. Europe/Berlin [default: the profile's, else UTC].
    #[arg(long)]
    pub tz: Option<String>,
    /// Print the next 5 run times and exit.
    #[arg(long)]
    pub dry_run: bool,
    /// Address serving /metrics and /health.
    #[arg(long, default_value = "127.0.0.1:9187")]
    pub listen: SocketAddr,
}

#[derive(Debug, Subcommand)]
pub enum DynamicsCommand {
    /// Label every row of a TradeMaster CSV with its market regime; writes the input columns
    /// plus pct_return, key_indicator_filtered, pct_return_filtered and label.
    Label(LabelArgs),
}

#[derive(Debug, Args)]
pub struct LabelArgs {
    /// CSV to label (TradeMaster columns; one series per tic).
    #[arg(long)]
    pub input: PathBuf,
    /// Where to write the labeled CSV.
    #[arg(long)]
    pub out: PathBuf,
    /// Column holding the price series.
    #[arg(long, default_value = "adjcp")]
    pub key_indicator: String,
    /// Column holding the dates.
    #[arg(long, default_value = "date")]
    pub timestamp: String,
    /// Column holding the instrument; each tic is labeled on its own.
    #[arg(long, default_value = "tic")]
    pub tic: String,
    /// Number of regimes N (labels 0..N-1, bear to bull).
    #[arg(long, default_value_t = 3)]
    pub dynamic_number: usize,
    /// Minimum segment length L (-1: 7).
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    pub min_length: i64,
    /// Low-pass filter strength F (cutoff 2/(L*F)).
    #[arg(long, default_value_t = 1.0)]
    pub filter_strength: f64,
    /// Segments shorter than M may merge with a neighbour.
    #[arg(long, default_value_t = 300)]
    pub max_length: usize,
    /// quantile or slope.
    #[arg(long, default_value = "quantile")]
    pub method: String,
    /// LOW,HIGH slope interval for --method slope (percent per step).
    #[arg(long, default_value = "-0.01,0.01", allow_hyphen_values = true)]
    pub slope_interval: String,
    /// DTW merging threshold T (-1: no merging).
    #[arg(long, default_value_t = -1.0, allow_negative_numbers = true)]
    pub merging_threshold: f64,
    /// Largest label difference two merging segments may have (-1: any).
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    pub merging_constraint: i64,
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
