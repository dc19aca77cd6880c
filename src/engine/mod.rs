//! The Docker Engine side of tmctl: desired state from a profile, observed state by label,
//! a pure reconciliation into a plan of single Engine operations, and its execution.

pub mod create_body;
pub mod deployed_files;
pub mod desired;
pub mod docker;
pub mod events;
pub mod exec;
pub mod execute;
pub mod labels;
pub mod logs;
pub mod observe;
pub mod ops;
pub mod plan;
pub mod port_holder;
pub mod project_store;
pub mod reconcile;
pub mod reload;
pub mod spec;
pub mod status;
pub mod tls;
