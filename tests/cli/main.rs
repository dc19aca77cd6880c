mod alert_rules;
mod commands;
mod doc_links;
mod dynamics;
mod examples;
mod profiles_malformed;
mod profiles_policies;
mod render;
#[path = "../support/mod.rs"]
mod support;
mod tooling;
