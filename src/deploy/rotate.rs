//! Rotating a generated secret in place: the new value is set where it is checked (the
//! PostgreSQL role, Redis's requirepass) while the old one still works for the running
//! containers, stored, then every service that receives it is replaced by the usual
//! release (start-first where the profile says so; stateful services restart on their
//! volumes, so no data is lost).

use anyhow::{bail, Context as _};
use bollard::Docker;

use super::{state, Project};
use crate::engine::observe;
use crate::engine::ops;
use crate::profile::{Profile, SecretName};
use crate::secrets;

/// Sets `name` to a new value in the running stack and stores it; the caller deploys next.
pub async fn set_new_value(
    docker: &Docker,
    project: &Project,
    name: SecretName,
) -> anyhow::Result<()> {
    let containers = observe::containers(docker, &project.name).await?;
    let volumes = observe::observe(docker, &project.name).await?.volumes;
    let mut values = state::secrets(docker, project, &volumes).await?.to_values();
    let new = secrets::generate(name);
    let profile = &project.loaded.profile;
    let running = |service: &str| {
        containers
            .iter()
            .find(|c| c.service == service && c.is_running())
            .map(|c| c.name.clone())
    };
    match name {
        SecretName::PostgresPassword => {
            let (service, user) = database(profile)?;
            let container = running(&service)
                .with_context(|| format!("{service} is not running; start the stack first"))?;
            alter_role(docker, &container, &user, &user, &new).await?;
        }
        SecretName::RedisPassword => {
            let service = user_of(profile, name, "redis")?;
            let container = running(&service)
                .with_context(|| format!("{service} is not running; start the stack first"))?;
            let result = ops::exec_capture_with_env(
                docker,
                &container,
                &[
                    "sh",
                    "-c",
                    "REDISCLI_AUTH=\"$REDIS_PASSWORD\" redis-cli CONFIG SET requirepass \"$TMCTL_NEW_SECRET\"",
                ],
                &[format!("TMCTL_NEW_SECRET={new}")],
            )
            .await?;
            if result.exit_code != 0 || !result.stdout.contains("OK") {
                bail!(
                    "Redis refused the new password: {}{}",
                    result.stdout.trim(),
                    result.stderr.trim()
                );
            }
        }
        // The exporter's role: the new password is set now, the exporter replaced next.
        SecretName::PgMonitorPassword if super::monitor_role::wanted(profile) => {
            let (service, user) = database(profile)?;
            if let Some(container) = running(&service) {
                alter_role(docker, &container, &user, super::monitor_role::ROLE, &new).await?;
            }
        }
        // Read only by the services that receive them: replacing those is enough.
        _ => {}
    }
    values.insert(name, new);
    state::store_secrets(docker, project, &values).await?;
    Ok(())
}

/// The PostgreSQL service (the backup's database, else `postgres`) and its superuser.
fn database(profile: &Profile) -> anyhow::Result<(String, String)> {
    let service = profile
        .backup
        .as_ref()
        .map(|backup| backup.database.clone())
        .unwrap_or_else(|| "postgres".to_owned());
    let Some(spec) = profile.services.get(&service) else {
        bail!("no PostgreSQL service `{service}` in the profile to change the password in");
    };
    let user = spec
        .environment
        .get("POSTGRES_USER")
        .map(|user| user.to_string())
        .unwrap_or_else(|| "postgres".to_owned());
    Ok((service, user))
}

/// The service that checks `name` (its name contains `hint`), e.g. redis.
fn user_of(profile: &Profile, name: SecretName, hint: &str) -> anyhow::Result<String> {
    profile
        .services
        .iter()
        .filter(|(_, service)| service.secrets.contains(&name))
        .map(|(service, _)| service.clone())
        .find(|service| service.contains(hint))
        .with_context(|| {
            format!(
                "no {hint} service receives {} in the profile",
                name.env_var()
            )
        })
}

/// `ALTER ROLE` through psql in the database container, the password handed over in the
/// environment (never on a command line).
async fn alter_role(
    docker: &Docker,
    container: &str,
    superuser: &str,
    role: &str,
    password: &str,
) -> anyhow::Result<()> {
    // psql interpolates variables only in scripts it reads, not in -c commands.
    let script = "psql -v ON_ERROR_STOP=1 -v role=\"$2\" -U \"$1\" -d postgres <<'SQL'
\\getenv password TMCTL_NEW_SECRET
ALTER ROLE :\"role\" PASSWORD :'password';
SQL";
    let result = ops::exec_capture_with_env(
        docker,
        container,
        &["sh", "-c", script, "sh", superuser, role],
        &[format!("TMCTL_NEW_SECRET={password}")],
    )
    .await?;
    if result.exit_code != 0 {
        bail!(
            "cannot change the password of role {role}: {}",
            result.stderr.trim()
        );
    }
    Ok(())
}
