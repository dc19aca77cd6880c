pub mod engine;
pub mod images;
