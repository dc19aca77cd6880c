//! What every request handler and worker shares.

use std::sync::Arc;

use crate::cache::Cache;
use crate::config::ServeConfig;
use crate::db::Db;
use crate::metrics::Metrics;
use crate::tokens::TokenKeys;

pub type AppState = Arc<App>;

pub struct App {
    pub config: ServeConfig,
    pub db: Db,
    pub cache: Cache,
    pub tokens: TokenKeys,
    pub metrics: Metrics,
    /// Wakes idle workers of this replica when a job is queued here.
    pub job_queued: tokio::sync::Notify,
}
