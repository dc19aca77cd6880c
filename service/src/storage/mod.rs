//! The SQL of users, tokens, TradeMaster sessions, strategies and settings. With the job
//! queue (`jobs::queue`) and the dataset store (`datasets::store`), these are the only
//! modules that write SQL; everything else calls their functions.
//!
//! Statements that change rows go to [`crate::db::Db::writer`], plain reads to
//! [`crate::db::Db::reader`] (the same pool on PostgreSQL; on SQLite one writer
//! connection and separate read-only readers).

pub mod sessions;
pub mod settings;
pub mod strategies;
pub mod users;
