mod auth;
#[path = "../common/mod.rs"]
mod common;
mod datasets;
mod flows;
mod jobs;
mod large_upload;
mod ops;
mod serve;
mod tm_api;
