//! `tmctl backup ...`: run, list, verify, restore, prune and schedule database backups.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::engine::docker::Engine;
use anyhow::Context as _;
use chrono::Utc;
use chrono_tz::Tz;

use super::runtime;
use super::Context;
use crate::audit::{self, AuditRecord};
use crate::backup::restore::{dependent_services, running_containers};
use crate::backup::retention::Retention;
use crate::backup::run::RunSettings;
use crate::backup::scheduler::{self, Scheduler};
use crate::backup::{prune, restore, run, target, verify, Catalog, Outcome};
use crate::cli::{BackupArgs, BackupCommand, ScheduleArgs};
use crate::engine::docker::connect;
use crate::lock::file as lock;
use crate::output::stream::JsonStream;
use crate::profile::{BackupPolicy, LoadedProfile};
use crate::schedule::CronSchedule;
use crate::state::ProjectState;

/// The profile's backup policy, or the defaults when it has none.
fn policy(loaded: &LoadedProfile) -> anyhow::Result<BackupPolicy> {
    match &loaded.profile.backup {
        Some(policy) => Ok(policy.clone()),
        None => Ok(serde_yaml::from_str(
            "schedule: '0 2 * * *'\nkeep_daily: 7\nkeep_weekly: 4\nkeep_monthly: 6\n",
        )
        .context("default backup policy")?),
    }
}

struct Setup {
    docker: Engine,
    loaded: LoadedProfile,
    policy: BackupPolicy,
    project: String,
    /// `<backups>/<project>`
    dir: PathBuf,
}

impl Setup {
    fn run_settings(&self, lock_wait: std::time::Duration) -> RunSettings {
        RunSettings {
            project: self.project.clone(),
            dir: self.dir.clone(),
            database_service: self.policy.database.clone(),
            compression: self.policy.compression,
            lock_wait,
            progress: None,
        }
    }

    fn retention(&self) -> Retention {
        Retention {
            keep_daily: self.policy.keep_daily,
            keep_weekly: self.policy.keep_weekly,
            keep_monthly: self.policy.keep_monthly,
        }
    }

    fn timezone(&self) -> anyhow::Result<Tz> {
        self.policy.timezone.parse::<Tz>().map_err(|_| {
            anyhow::anyhow!(
                "backup.timezone `{}` is not an IANA timezone",
                self.policy.timezone
            )
        })
    }

    async fn database(&self) -> anyhow::Result<target::Database> {
        Ok(target::find(&self.docker, &self.project, &self.policy.database).await?)
    }
}

async fn setup(context: &Context, args: &BackupArgs) -> anyhow::Result<Setup> {
    let loaded = context.load_profile()?;
    let policy = policy(&loaded)?;
    let docker = connect().await?;
    // Inside the stack's backup container the project is the one of the container itself.
    let project = match &context.global.project {
        Some(_) => context.project()?,
        None => match target::own_project(&docker).await {
            Some(project) => project,
            None => context.project()?,
        },
    };
    let root = match &args.dir {
        Some(dir) => crate::state::absolute(&context.working_dir, dir),
        None => crate::state::absolute(
            &context.working_dir,
            std::path::Path::new(&policy.directory),
        ),
    };
    Ok(Setup {
        docker,
        loaded,
        policy,
        dir: root.join(&project),
        project,
    })
}

pub fn run(context: &Context, args: &BackupArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        if let BackupCommand::Schedule(schedule) = &args.command {
            if schedule.dry_run {
                return dry_run(context, schedule).map(|()| ExitCode::SUCCESS);
            }
        }
        let streamed = match &args.command {
            BackupCommand::Run { .. } => Some("backup run"),
            BackupCommand::Verify { .. } => Some("backup verify"),
            BackupCommand::Restore { .. } => Some("backup restore"),
            _ => None,
        };
        let setup = match (setup(context, args).await, streamed) {
            (Ok(setup), _) => setup,
            (Err(error), Some(command)) => {
                let project = context.project().unwrap_or_default();
                let failed = Err(error);
                JsonStream::new(context.style, command, &project).summary(&failed, None);
                return failed;
            }
            (Err(error), None) => return Err(error),
        };
        let stream = JsonStream::new(context.style, streamed.unwrap_or(""), &setup.project);
        match &args.command {
            BackupCommand::Run { lock_wait } => {
                let result = backup_run(context, &setup, *lock_wait, &stream).await;
                stream.summary(&result, result.as_ref().ok().cloned());
                result.map(|_| ExitCode::SUCCESS)
            }
            BackupCommand::List => list(context, &setup).map(|()| ExitCode::SUCCESS),
            BackupCommand::Verify { id } => {
                let result = backup_verify(context, &setup, id, &stream).await;
                stream.summary(&result, result.as_ref().ok().cloned());
                result.map(|_| ExitCode::SUCCESS)
            }
            BackupCommand::Restore { id, yes, timeout } => {
                let started = std::time::Instant::now();
                let result = backup_restore(context, &setup, id, *yes, *timeout, &stream).await;
                let detail = result.as_ref().ok().cloned().flatten();
                stream.summary(&result, detail.map(|d| serde_json::json!({"detail": d})));
                audited(context, &setup, "backup restore", started, result).await
            }
            BackupCommand::Prune { dry_run, yes } => {
                let started = std::time::Instant::now();
                let result = backup_prune(context, &setup, *dry_run, *yes);
                if *dry_run {
                    return result.map(|_| ExitCode::SUCCESS);
                }
                audited(context, &setup, "backup prune", started, result).await
            }
            BackupCommand::Schedule(schedule) => backup_schedule(setup, schedule).await,
        }
    })
}

/// Records a mutating backup command in the audit log; `detail` is what it changed.
async fn audited(
    context: &Context,
    setup: &Setup,
    action: &str,
    started: std::time::Instant,
    result: anyhow::Result<Option<String>>,
) -> anyhow::Result<ExitCode> {
    let mut record = AuditRecord::new(&setup.project, action).outcome(&result);
    record.duration_ms = Some(started.elapsed().as_millis() as u64);
    record.detail = result.as_ref().ok().cloned().flatten();
    let state = ProjectState::new(&context.state_dir(), &setup.project);
    audit::record(&setup.docker, &state, &record).await;
    result.map(|_| ExitCode::SUCCESS)
}

/// The record of the run as the `--json` summary's result; a failed run is an error.
async fn backup_run(
    context: &Context,
    setup: &Setup,
    lock_wait: std::time::Duration,
    stream: &JsonStream,
) -> anyhow::Result<serde_json::Value> {
    let mut settings = setup.run_settings(lock_wait);
    let progress = super::images::progress(context);
    let bar = progress.bytes_spinner(format!("dumping {}", setup.policy.database));
    settings.progress = Some(bar.clone());
    let record = stream
        .step(
            "dump database",
            &setup.policy.database,
            Some(&setup.policy.database),
            async {
                let record = run::run(&setup.docker, &settings).await?;
                match &record.outcome {
                    Outcome::Ok => Ok(record),
                    _ => Err(anyhow::anyhow!(
                        "backup {} failed: {}",
                        record.id,
                        record.error.clone().unwrap_or_default()
                    )),
                }
            },
        )
        .await;
    bar.finish_and_clear();
    let record = record?;
    if !context.global.json {
        println!(
            "{}: backup {} ({} bytes, {}, sha256 {}) in {:.1}s",
            setup.project,
            setup
                .dir
                .join(record.file.as_deref().unwrap_or_default())
                .display(),
            record.size,
            record.compression,
            record.sha256.as_deref().unwrap_or_default(),
            record.duration_ms as f64 / 1000.0
        );
    }
    Ok(serde_json::to_value(&record)?)
}

fn list(context: &Context, setup: &Setup) -> anyhow::Result<()> {
    let catalog = Catalog::load(&setup.dir)?;
    if context.global.json {
        super::print_json(&catalog.backups)?;
        return Ok(());
    }
    if catalog.backups.is_empty() {
        println!("{}: no backups in {}", setup.project, setup.dir.display());
        return Ok(());
    }
    println!(
        "{:<20} {:<7} {:>12} {:>9} {:<8} {:<10} ERROR",
        "ID", "OUTCOME", "SIZE", "SECONDS", "COMPRESS", "SERVER"
    );
    for record in &catalog.backups {
        let error = record
            .error
            .as_deref()
            .map(|e| {
                e.lines()
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .take(80)
                    .collect::<String>()
            })
            .unwrap_or_default();
        println!(
            "{:<20} {:<7} {:>12} {:>9.1} {:<8} {:<10} {}",
            record.id,
            record.outcome,
            record.size,
            record.duration_ms as f64 / 1000.0,
            record.compression,
            record
                .server_version
                .split_whitespace()
                .next()
                .unwrap_or("-"),
            error
        );
    }
    Ok(())
}

async fn backup_verify(
    context: &Context,
    setup: &Setup,
    id: &str,
    stream: &JsonStream,
) -> anyhow::Result<serde_json::Value> {
    let catalog = Catalog::load(&setup.dir)?;
    let record = catalog.find(id, &setup.dir)?;
    let database = setup.database().await?;
    let spinner = super::images::progress(context).spinner(format!(
        "verifying backup {} ({} bytes): checksum, restore into a scratch database",
        record.id, record.size
    ));
    let report = stream
        .step(
            "verify backup",
            &record.id,
            Some(&setup.policy.database),
            async {
                verify::verify(&setup.docker, &database, &setup.dir, record)
                    .await
                    .with_context(|| format!("backup {} failed verification", record.id))
            },
        )
        .await;
    spinner.finish_and_clear();
    let report = report?;
    if !context.global.json {
        println!(
            "backup {}: checksum ok, restored into a scratch database: {} tables, {} rows",
            report.id, report.tables, report.rows
        );
    }
    Ok(serde_json::to_value(&report)?)
}

fn confirm_backup_change(yes: bool, question: &str) -> anyhow::Result<()> {
    let refusal = "refusing without confirmation: add --yes";
    super::confirm(yes, question, refusal, "nothing changed")
}

async fn backup_restore(
    context: &Context,
    setup: &Setup,
    id: &str,
    yes: bool,
    timeout: std::time::Duration,
    stream: &JsonStream,
) -> anyhow::Result<Option<String>> {
    // With --json, stdout carries only the event stream; the explanation goes to stderr.
    let say = |line: String| {
        if context.global.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    };
    let catalog = Catalog::load(&setup.dir)?;
    let record = catalog.find(id, &setup.dir)?;
    let database = setup.database().await?;
    let services = dependent_services(&setup.loaded.profile, &setup.policy.database);
    let stop = running_containers(&setup.docker, &setup.project, &services).await?;
    say(format!(
        "restore replaces database `{}` in {} with backup {} ({} bytes, taken {});",
        database.database,
        database.container,
        record.id,
        record.size,
        record.started_at.to_rfc3339()
    ));
    say(format!(
        "  stopped meanwhile: {}",
        if stop.is_empty() {
            "nothing".to_owned()
        } else {
            stop.join(", ")
        }
    ));
    confirm_backup_change(yes, "replace the live database?")?;
    let started = std::time::Instant::now();
    let spinner = super::images::progress(context).bytes_spinner(format!(
        "restoring backup {} ({} bytes) into {}",
        record.id, record.size, database.database
    ));
    let restored = stream
        .step(
            "restore backup",
            &record.id,
            Some(&setup.policy.database),
            async {
                let fed = Some(spinner.clone());
                restore::restore(
                    &setup.docker,
                    &database,
                    &setup.dir,
                    record,
                    &stop,
                    timeout,
                    fed,
                )
                .await
                .with_context(|| format!("restore of backup {} failed", record.id))
            },
        )
        .await;
    spinner.finish_and_clear();
    restored?;
    say(format!(
        "{}: restored backup {} in {:.1}s",
        setup.project,
        record.id,
        started.elapsed().as_secs_f64()
    ));
    Ok(Some(format!("restored backup {}", record.id)))
}

fn backup_prune(
    context: &Context,
    setup: &Setup,
    dry_run: bool,
    yes: bool,
) -> anyhow::Result<Option<String>> {
    let timezone = setup.timezone()?;
    let decision = prune::prune(&setup.dir, setup.retention(), timezone, false)?;
    let print = |verb: &str| {
        for (id, reasons) in &decision.keep {
            println!("  keep   {id} ({})", reasons.join(", "));
        }
        for id in &decision.delete {
            println!("  {verb} {id}");
        }
    };
    if dry_run {
        if context.global.json {
            println!(
                "{}",
                serde_json::json!({"keep": decision.keep, "delete": decision.delete})
            );
        } else {
            print("would delete");
        }
        return Ok(None);
    }
    if decision.delete.is_empty() {
        println!("{}: nothing to prune", setup.project);
        return Ok(Some("nothing to prune".to_owned()));
    }
    print("delete");
    confirm_backup_change(yes, &format!("delete {} backup(s)?", decision.delete.len()))?;
    let _lock = lock::acquire(
        &setup.dir,
        &setup.project,
        "tmctl backup prune",
        std::time::Duration::from_secs(10),
    )?;
    let applied = prune::prune(&setup.dir, setup.retention(), timezone, true)?;
    println!(
        "{}: deleted {} backup(s)",
        setup.project,
        applied.delete.len()
    );
    Ok(Some(format!("deleted {}", applied.delete.join(", "))))
}

fn schedule_of(
    policy_schedule: &str,
    policy_tz: &str,
    args: &ScheduleArgs,
) -> anyhow::Result<CronSchedule> {
    let expression = args.cron.as_deref().unwrap_or(policy_schedule);
    let timezone = args.tz.as_deref().unwrap_or(policy_tz);
    CronSchedule::parse(expression, timezone).map_err(|error| anyhow::anyhow!(error))
}

fn dry_run(context: &Context, args: &ScheduleArgs) -> anyhow::Result<()> {
    let loaded = context.load_profile()?;
    let policy = policy(&loaded)?;
    let schedule = schedule_of(&policy.schedule, &policy.timezone, args)?;
    println!(
        "`{}` in {}: the next 5 runs",
        schedule.expression, schedule.timezone
    );
    for time in schedule.upcoming(Utc::now(), 5) {
        println!("  {}", time.to_rfc3339());
    }
    Ok(())
}

async fn backup_schedule(setup: Setup, args: &ScheduleArgs) -> anyhow::Result<ExitCode> {
    let schedule = schedule_of(&setup.policy.schedule, &setup.policy.timezone, args)?;
    std::fs::create_dir_all(&setup.dir)
        .with_context(|| format!("cannot create {}", setup.dir.display()))?;
    let scheduler = Arc::new(Scheduler::new(
        setup.run_settings(std::time::Duration::from_secs(5)),
        schedule,
        Retention {
            keep_daily: setup.policy.keep_daily,
            keep_weekly: setup.policy.keep_weekly,
            keep_monthly: setup.policy.keep_monthly,
        },
    )?);
    tracing::info!(
        "backing up {} on `{}` ({}); /metrics and /health on {}",
        setup.project,
        scheduler.schedule.expression,
        scheduler.schedule.timezone,
        args.listen
    );
    let server = tokio::spawn(scheduler::serve(scheduler.clone(), args.listen));
    let runner = tokio::spawn(scheduler.clone().run_forever(setup.docker.clone()));
    tokio::select! {
        served = server => match served {
            Ok(Ok(())) => Ok(ExitCode::SUCCESS),
            Ok(Err(error)) => Err(error.into()),
            Err(error) => Err(error.into()),
        },
        _ = runner => Ok(ExitCode::FAILURE),
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("stopping the scheduler");
            Ok(ExitCode::SUCCESS)
        }
    }
}
