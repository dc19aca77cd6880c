//! `tmctl heal`: restart replicas that stay unhealthy.

use super::Context;
use crate::cli::HealArgs;

pub fn run(_context: &Context, _args: &HealArgs) -> anyhow::Result<()> {
    anyhow::bail!("tmctl heal is not available yet")
}
