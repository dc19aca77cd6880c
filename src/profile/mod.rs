//! Profiles: the desired state of a stack, read from YAML and checked before anything runs.

pub mod env;
pub mod error;
pub mod interpolate;
pub mod load;
pub mod model;
pub mod monitoring;
pub mod normalize;
pub mod path;
mod production;
pub mod units;
pub mod validate;
mod validate_monitoring;
pub mod without;

pub use env::Variables;
pub use error::{Diagnostic, ProfileError};
pub use load::{LoadedProfile, Origin, ProfileDocument, ProfileListing, ProfileStore};
pub use model::*;
