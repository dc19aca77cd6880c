//! `tmctl serve`: the trading service.

use crate::cli::ServeArgs;

pub fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let runtime = super::runtime()?;
    let mut config = tmctl_service::ServeConfig::from_env(args.listen)?;
    config.data_dir = args.data_dir.clone();
    runtime.block_on(tmctl_service::serve(config))
}
