//! `tmctl images ...`: building, pulling, bootstrapping, listing and moving the images a
//! profile needs.

pub mod archive;
pub mod bootstrap;
pub mod catalog;
mod context;
pub mod ensure;
mod error;
pub mod inventory;
pub mod labels;
pub mod progress;
pub mod prune;
pub mod pull;
mod run;
pub mod service_image;

pub use error::ImageError;
