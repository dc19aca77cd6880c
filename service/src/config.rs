//! Settings of `tmctl serve`, from flags (set by the CLI) and the environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

/// Settings the service starts with.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    /// Where the embedded SQLite database lives when no `database_url` is given.
    pub data_dir: PathBuf,
    /// PostgreSQL (`postgres://...`) or SQLite (`sqlite://...`) URL; `None` = SQLite under `data_dir`.
    pub database_url: Option<String>,
    /// Redis URL; `None` = in-process cache, revocation list in the database.
    pub redis_url: Option<String>,
    /// Prefix of this deployment's cache keys (`TMCTL_CACHE_NAMESPACE`).
    pub cache_namespace: String,
    /// Key that signs access and refresh tokens; `None` = a key generated once and kept in the database.
    pub token_key: Option<Vec<u8>>,
    /// Jobs this replica runs at once.
    pub worker_concurrency: usize,
    /// Largest dataset upload accepted, in bytes.
    pub max_upload_bytes: u64,
    /// How long a worker's lease on a job lasts without a heartbeat.
    pub job_lease: Duration,
    /// Attempts before a job whose worker keeps vanishing is marked failed.
    pub job_max_attempts: i64,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// Login attempts allowed per user name, and per client address, within `login_window`.
    pub login_limit_per_user: u64,
    pub login_limit_per_address: u64,
    pub login_window: Duration,
}

impl ServeConfig {
    /// Defaults for everything but the listen address (SQLite under ./tmctl-data, no Redis).
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            data_dir: PathBuf::from("./tmctl-data"),
            database_url: None,
            redis_url: None,
            cache_namespace: "tmctl".into(),
            token_key: None,
            worker_concurrency: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            max_upload_bytes: 1024 * 1024 * 1024,
            job_lease: Duration::from_secs(30),
            job_max_attempts: 3,
            access_token_ttl: Duration::from_secs(30 * 60),
            refresh_token_ttl: Duration::from_secs(7 * 24 * 3600),
            login_limit_per_user: 10,
            login_limit_per_address: 30,
            login_window: Duration::from_secs(300),
        }
    }

    /// [`ServeConfig::new`] completed from the environment:
    /// `DATABASE_URL` (+ `POSTGRES_PASSWORD` when the URL has none), `REDIS_URL`
    /// (+ `REDIS_PASSWORD`), `TMCTL_TOKEN_KEY` or `TMCTL_TOKEN_KEY_FILE`, `TMCTL_DATA_DIR`,
    /// `TMCTL_WORKERS`, `TMCTL_MAX_UPLOAD_MB`, `TMCTL_JOB_LEASE_SECS`.
    pub fn from_env(listen: SocketAddr) -> Result<Self, ConfigError> {
        let mut config = Self::new(listen);
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let Some(dir) = var("TMCTL_DATA_DIR") {
            config.data_dir = PathBuf::from(dir);
        }
        if let Some(url) = var("DATABASE_URL") {
            let password = var("POSTGRES_PASSWORD");
            config.database_url = Some(with_password(&url, password.as_deref(), "DATABASE_URL")?);
        }
        if let Some(url) = var("REDIS_URL") {
            let password = var("REDIS_PASSWORD");
            config.redis_url = Some(with_password(&url, password.as_deref(), "REDIS_URL")?);
        }
        if let Some(namespace) = var("TMCTL_CACHE_NAMESPACE") {
            config.cache_namespace = namespace;
        }
        if let Some(key) = var("TMCTL_TOKEN_KEY") {
            config.token_key = Some(key.trim().as_bytes().to_vec());
        } else if let Some(path) = var("TMCTL_TOKEN_KEY_FILE") {
            let key = std::fs::read_to_string(&path).map_err(|source| ConfigError::KeyFile {
                path: path.clone(),
                source,
            })?;
            config.token_key = Some(key.trim().as_bytes().to_vec());
        }
        if let Some(workers) = var("TMCTL_WORKERS") {
            config.worker_concurrency = parse_number("TMCTL_WORKERS", &workers)?;
        }
        if let Some(mb) = var("TMCTL_MAX_UPLOAD_MB") {
            config.max_upload_bytes =
                parse_number::<u64>("TMCTL_MAX_UPLOAD_MB", &mb)? * 1024 * 1024;
        }
        if let Some(secs) = var("TMCTL_JOB_LEASE_SECS") {
            config.job_lease = Duration::from_secs(parse_number("TMCTL_JOB_LEASE_SECS", &secs)?);
        }
        if config.token_key.as_ref().is_some_and(|k| k.len() < 16) {
            return Err(ConfigError::ShortKey);
        }
        Ok(config)
    }

    /// The database to use: the configured URL, or the SQLite file under `data_dir`.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("tmctl.sqlite3").display()
            ),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not a valid URL ({source}); expected e.g. postgres://user@host:5432/db")]
    BadUrl {
        name: String,
        source: url::ParseError,
    },
    #[error("cannot read the token key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    #[error("the token key is shorter than 16 bytes; use a long random secret")]
    ShortKey,
    #[error("{name}={value} is not a positive whole number")]
    BadNumber { name: String, value: String },
}

fn parse_number<T: std::str::FromStr + PartialOrd + Default>(
    name: &str,
    value: &str,
) -> Result<T, ConfigError> {
    match value.trim().parse::<T>() {
        Ok(n) if n > T::default() => Ok(n),
        _ => Err(ConfigError::BadNumber {
            name: name.into(),
            value: value.into(),
        }),
    }
}

/// The stack passes URLs without secrets and the passwords separately: put the password in
/// when the URL has none.
pub fn with_password(url: &str, password: Option<&str>, name: &str) -> Result<String, ConfigError> {
    let Some(password) = password else {
        return Ok(url.to_string());
    };
    let mut parsed = Url::parse(url).map_err(|source| ConfigError::BadUrl {
        name: name.into(),
        source,
    })?;
    if parsed.password().is_some() || parsed.scheme().starts_with("sqlite") {
        return Ok(url.to_string());
    }
    // A URL that cannot carry credentials (no host) is left as given.
    if parsed.set_password(Some(password)).is_err() {
        return Ok(url.to_string());
    }
    Ok(parsed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_filled_in_only_when_missing() {
        let filled = with_password(
            "postgres://trademaster@postgres:5432/trademaster",
            Some("s3cr/et"),
            "DATABASE_URL",
        )
        .unwrap();
        assert_eq!(
            filled,
            "postgres://trademaster:s3cr%2Fet@postgres:5432/trademaster"
        );
        let kept = with_password("postgres://u:p@h/db", Some("other"), "DATABASE_URL").unwrap();
        assert_eq!(kept, "postgres://u:p@h/db");
        let redis = with_password("redis://redis:6379/0", Some("pw"), "REDIS_URL").unwrap();
        assert_eq!(redis, "redis://:pw@redis:6379/0");
    }

    #[test]
    fn bad_url_names_the_variable() {
        let err = with_password("not a url", Some("pw"), "DATABASE_URL").unwrap_err();
        assert!(err.to_string().contains("DATABASE_URL"), "{err}");
    }
}
