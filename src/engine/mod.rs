//! The Docker Engine side of tmctl: desired state from a profile, observed state by label,
//! a plan between them, and its execution.

pub mod apply;
pub mod docker;
pub mod labels;
pub mod lock;
pub mod observe;
pub mod ops;
pub mod plan;
pub mod port_holder;
pub mod spec;
pub mod tls;
