#[path = "../algo_support/mod.rs"]
mod algo_support;
mod data;
mod learning;
mod plot;
mod shared;
