#[macro_use]
#[path = "../common/mod.rs"]
mod common;
mod auth;
mod datasets;
mod flows;
mod jobs;
mod ops;
mod serve;
mod sqlite_soak;
mod tm_api;
