//! Backups of the stack's PostgreSQL database: pg_dump through the Engine API to files on
//! the host, a catalog of runs, checks, restore, GFS pruning and a scheduler.

pub mod catalog;
pub mod error;
pub mod exec;
pub mod retention;
pub mod run;
pub mod target;

pub use catalog::{BackupRecord, Catalog, Outcome};
pub use error::BackupError;
pub mod prune;
pub mod restore;
pub mod scheduler;
pub mod verify;
