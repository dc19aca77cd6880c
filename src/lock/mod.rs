//! Locks: the project's lock on the Engine (one mutating command at a time for everyone
//! using that Engine), and a file lock for a local directory (the backup catalog).

pub mod engine;
pub mod file;
