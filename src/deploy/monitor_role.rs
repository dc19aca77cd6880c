//! The read-only PostgreSQL role the exporter logs in with: `tmctl_monitor`, member of
//! `pg_monitor`, its password the project's `PG_MONITOR_PASSWORD` secret. `up` creates it
//! (or sets its password) through `psql` in the database container.

use bollard::Docker;

use crate::backup::target;
use crate::engine::ops;
use crate::profile::{Profile, SecretName};
use crate::secrets::Secrets;

pub const ROLE: &str = "tmctl_monitor";

/// The SQL run with `psql -v password=...`; `:'password'` is quoted by psql itself.
const ENSURE_SQL: &str = "SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tmctl_monitor') AS missing \\gset\n\
\\if :missing\n\
CREATE ROLE tmctl_monitor LOGIN;\n\
\\endif\n\
ALTER ROLE tmctl_monitor WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'password';\n\
GRANT pg_monitor TO tmctl_monitor;\n";

/// Whether a service of the profile logs in as the monitoring role.
pub fn wanted(profile: &Profile) -> bool {
    profile
        .services
        .values()
        .any(|service| service.secrets.contains(&SecretName::PgMonitorPassword))
}

/// Creates the role or resets its password; `changed` is false when the deployment
/// changed nothing, and then only a missing role is created.
pub async fn ensure(
    docker: &Docker,
    project: &str,
    profile: &Profile,
    secrets: &Secrets,
    changed: bool,
) -> anyhow::Result<()> {
    if !wanted(profile) {
        return Ok(());
    }
    let Some(password) = secrets.get(SecretName::PgMonitorPassword) else {
        anyhow::bail!("no PG_MONITOR_PASSWORD secret for the monitoring role");
    };
    let service = profile
        .backup
        .as_ref()
        .map_or("postgres", |backup| backup.database.as_str());
    let database = target::find(docker, project, service).await?;
    let psql = |extra: &[&str]| -> Vec<String> {
        let mut argv: Vec<String> = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-U"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        // Roles are cluster-wide: the maintenance database works even when the
        // application's database refuses connections.
        argv.extend([database.user.clone(), "-d".into(), "postgres".into()]);
        argv.extend(extra.iter().map(|s| (*s).to_owned()));
        argv
    };
    if !changed {
        let check = psql(&[
            "-t",
            "-A",
            "-c",
            "SELECT 1 FROM pg_roles WHERE rolname = 'tmctl_monitor'",
        ]);
        let argv: Vec<&str> = check.iter().map(String::as_str).collect();
        let result =
            ops::exec_capture_with_env(docker, &database.container, &argv, &database.exec_env())
                .await?;
        if result.exit_code == 0 && result.stdout.trim() == "1" {
            return Ok(());
        }
    }
    // The password goes in through the environment, never on a command line.
    let script = format!(
        "printf '%s' \"$ENSURE_SQL\" | {} -v password=\"$MONITOR_PASSWORD\"",
        psql(&[]).join(" ")
    );
    let mut env = database.exec_env();
    env.push(format!("ENSURE_SQL={ENSURE_SQL}"));
    env.push(format!("MONITOR_PASSWORD={password}"));
    let result =
        ops::exec_capture_with_env(docker, &database.container, &["sh", "-c", &script], &env)
            .await?;
    if result.exit_code != 0 {
        anyhow::bail!(
            "cannot create the monitoring role {ROLE} in {}: {}",
            database.container,
            result.stderr.trim()
        );
    }
    tracing::debug!(container = %database.container, "monitoring role {ROLE} in place");
    Ok(())
}
