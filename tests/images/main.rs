#[path = "../images_support/mod.rs"]
mod images_support;
mod bootstrap;
mod engine;
mod ensure;
mod lifecycle;
