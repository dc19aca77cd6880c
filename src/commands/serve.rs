//! `tmctl serve`: the trading service.

use crate::cli::ServeArgs;

pub fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut config = tmctl_service::ServeConfig::from_env(args.listen)?;
    config.data_dir = args.data_dir.clone();
    runtime.block_on(tmctl_service::serve(config))
}
