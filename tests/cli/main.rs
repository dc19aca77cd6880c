mod alert_rules;
mod commands;
mod dynamics;
mod profiles_malformed;
mod render;
#[path = "../support/mod.rs"]
mod support;
