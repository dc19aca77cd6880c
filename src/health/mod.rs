//! `tmctl health` and `tmctl heal`: probes of a running project, their verdict, and the
//! policy that restarts unhealthy replicas.

pub mod check;
pub mod collect;
pub mod format;
pub mod heal;
pub mod healer;
pub mod http;
pub mod probes;
pub mod resp;
pub mod verdict;

pub use check::{Conditions, ProbeSettings};
pub use collect::{collect, Report};
pub use verdict::{Impact, Level, Outcome, ProbeResult};
