//! The database: one pool over PostgreSQL or SQLite, and the versioned migrations of both.
//!
//! Queries are written once in the common SQL of both engines with `$n` placeholders
//! (SQLite accepts them); the few places that differ ask [`Db::dialect`].

use std::borrow::Cow;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::AnyConnection;
use sqlx::AnyPool;

/// The SQL engine behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported database URL scheme in {0}; use postgres://... or sqlite://...")]
    Scheme(String),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot connect to the database at {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Shared handle on the database.
///
/// On SQLite every change goes through one writer connection (`pool`), in WAL mode with a
/// busy timeout, and reads through a separate pool of read-only connections: concurrent
/// writers would otherwise fail with `database is locked` or journal I/O errors. On
/// PostgreSQL both are the same pool.
#[derive(Debug, Clone)]
pub struct Db {
    /// The writer pool (on PostgreSQL, the only pool).
    pub pool: AnyPool,
    /// SQLite's read-only pool; `None` where reads share `pool` (PostgreSQL, in-memory).
    reader: Option<AnyPool>,
    pub dialect: Dialect,
}

/// How long a SQLite connection waits for a lock before failing.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;
const SQLITE_READERS: u32 = 8;

impl Db {
    /// Connects, creating the SQLite file (and its directory) when needed, and migrates.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Dialect::Postgres
        } else if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else {
            return Err(DbError::Scheme(redact(url)));
        };
        let connect_error = |source| DbError::Connect {
            url: redact(url),
            source,
        };
        if dialect == Dialect::Postgres {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .map_err(connect_error)?;
            let db = Db {
                reader: None,
                pool,
                dialect,
            };
            db.migrate().await?;
            return Ok(db);
        }
        let in_memory = create_sqlite_dir(url)?;
        let writer = sqlite_pool(url, SqliteRole::Writer)
            .await
            .map_err(connect_error)?;
        let mut db = Db {
            reader: None,
            pool: writer,
            dialect,
        };
        db.migrate().await?;
        // An in-memory database exists once per connection: readers would see another one.
        if !in_memory {
            db.reader = Some(
                sqlite_pool(url, SqliteRole::Reader)
                    .await
                    .map_err(connect_error)?,
            );
        }
        Ok(db)
    }

    /// The pool for statements that change rows (and reads that must see them at once).
    pub fn writer(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool for plain reads.
    pub fn reader(&self) -> &AnyPool {
        self.reader.as_ref().unwrap_or(&self.pool)
    }

    /// Closes both pools.
    pub async fn close(&self) {
        if let Some(reader) = &self.reader {
            reader.close().await;
        }
        self.pool.close().await;
    }

    async fn migrate(&self) -> Result<(), DbError> {
        let migrator = Migrator::new(EmbeddedMigrations(self.dialect)).await?;
        migrator.run(self.writer()).await?;
        Ok(())
    }

    /// A cheap query on each pool, for readiness probes.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        if let Some(reader) = &self.reader {
            sqlx::query("SELECT 1").execute(reader).await?;
        }
        Ok(())
    }

    /// `FOR UPDATE SKIP LOCKED` where the engine has row locks; SQLite serializes writers.
    pub fn skip_locked(&self) -> &'static str {
        match self.dialect {
            Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        }
    }

    /// Connections open and idle (writer and readers together), for /metrics.
    pub fn pool_usage(&self) -> (u32, usize) {
        let pools = std::iter::once(&self.pool).chain(self.reader.as_ref());
        pools.fold((0, 0), |(size, idle), pool| {
            (size + pool.size(), idle + pool.num_idle())
        })
    }
}

#[derive(Clone, Copy)]
enum SqliteRole {
    Writer,
    Reader,
}

/// The one writer connection, or the readers' pool, on the SQLite database at `url`.
async fn sqlite_pool(url: &str, role: SqliteRole) -> Result<AnyPool, sqlx::Error> {
    let (connections, acquire_timeout) = match role {
        SqliteRole::Writer => (1, Duration::from_secs(30)),
        SqliteRole::Reader => (SQLITE_READERS, Duration::from_secs(10)),
    };
    AnyPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(acquire_timeout)
        .after_connect(move |conn, _| Box::pin(async move { sqlite_pragmas(conn, role).await }))
        .connect(url)
        .await
}

/// WAL lets readers run beside the one writer; `query_only` makes a write sent to a
/// reader fail loudly instead of competing for the write lock.
async fn sqlite_pragmas(conn: &mut AnyConnection, role: SqliteRole) -> Result<(), sqlx::Error> {
    let mut pragmas = vec![format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")];
    match role {
        SqliteRole::Writer => {
            pragmas.push("PRAGMA journal_mode = WAL".into());
            pragmas.push("PRAGMA synchronous = NORMAL".into());
        }
        SqliteRole::Reader => pragmas.push("PRAGMA query_only = ON".into()),
    }
    for pragma in pragmas {
        sqlx::query(&pragma).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Reads a column that may be NULL.
pub fn opt<'r, T>(row: &'r AnyRow, column: &str) -> Result<Option<T>, sqlx::Error>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Row;
    row.try_get::<Option<T>, _>(column)
}

/// Creates the directory of a SQLite file; true when the URL names an in-memory database.
fn create_sqlite_dir(url: &str) -> Result<bool, DbError> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" || url.contains("mode=memory") {
        return Ok(true);
    }
    if let Some(dir) = std::path::Path::new(path).parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|source| DbError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
    }
    Ok(false)
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

#[derive(Debug)]
struct EmbeddedMigrations(Dialect);

const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "init",
    include_str!("../migrations/postgres/0001_init.sql"),
)];
const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "init",
    include_str!("../migrations/sqlite/0001_init.sql"),
)];

impl MigrationSource<'static> for EmbeddedMigrations {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, sqlx::error::BoxDynError>> {
        let list = match self.0 {
            Dialect::Postgres => POSTGRES_MIGRATIONS,
            Dialect::Sqlite => SQLITE_MIGRATIONS,
        };
        let migrations = list
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(*description),
                    MigrationType::Simple,
                    Cow::Borrowed(*sql),
                    false,
                )
            })
            .collect();
        Box::pin(async move { Ok(migrations) })
    }
}
