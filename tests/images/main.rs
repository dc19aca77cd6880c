mod bootstrap;
mod engine;
mod ensure;
#[path = "../images_support/mod.rs"]
mod images_support;
mod lifecycle;
