//! `tmctl version [--json]`: tmctl, the Engine, and the image each service of the project runs.

use super::{runtime, Context};
use crate::engine::docker::connect;
use crate::images::inventory::short_id;
use crate::output::table;
use crate::version;

pub fn run(context: &Context) -> anyhow::Result<()> {
    let project = context.project()?;
    let versions = runtime()?.block_on(async {
        let docker = connect().await.map_err(|error| error.to_string());
        version::collect(docker, &project).await
    });
    if context.global.json {
        super::print_json(&versions)?;
        return Ok(());
    }
    println!("tmctl {}", versions.tmctl);
    match (&versions.engine, &versions.engine_error) {
        (Some(engine), _) => println!(
            "Docker Engine {} (API {}, {}/{})",
            engine.version, engine.api_version, engine.os, engine.arch
        ),
        (None, Some(error)) => println!("Docker Engine: {error}"),
        (None, None) => println!("Docker Engine: unknown"),
    }
    if versions.services.is_empty() {
        println!("{project}: no containers");
    } else {
        let rows: Vec<Vec<String>> = versions
            .services
            .iter()
            .map(|service| {
                let id = service.image_id.as_deref().unwrap_or("-");
                vec![
                    service.service.clone(),
                    service.containers.to_string(),
                    service.image.clone(),
                    short_id(id),
                ]
            })
            .collect();
        println!(
            "{}",
            table(&["SERVICE", "CONTAINERS", "IMAGE", "IMAGE ID"], &rows)
        );
    }
    Ok(())
}
