//! `tmctl serve`: the trading service.

use crate::cli::ServeArgs;

pub fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(tmctl_service::serve(tmctl_service::ServeConfig {
        listen: args.listen,
    }))
}
