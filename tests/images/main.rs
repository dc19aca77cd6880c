mod bootstrap;
mod engine;
mod ensure;
mod exporters;
#[path = "../images_support/mod.rs"]
mod images_support;
mod lifecycle;
