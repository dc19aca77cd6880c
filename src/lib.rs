//! tmctl: deploys and operates the TradeMaster stack on a Docker Engine.

pub mod assets;
pub mod audit;
pub mod backup;
pub mod cli;
pub mod commands;
pub mod deploy;
pub mod doctor;
pub mod engine;
pub mod health;
pub mod hex;
pub mod images;
pub mod lock;
pub mod operator;
pub mod output;
pub mod profile;
pub mod redact;
pub mod releases;
pub mod render;
pub mod schedule;
pub mod secrets;
pub mod state;
pub mod version;
