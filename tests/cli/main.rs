#[path = "../support/mod.rs"]
mod support;
mod commands;
mod dynamics;
mod profiles_malformed;
mod render;
