mod commands;
mod dynamics;
mod profiles_malformed;
mod profiles_policies;
mod render;
#[path = "../support/mod.rs"]
mod support;
