//! Plan scenarios: observed state + desired state → the exact steps, no Engine needed.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::Value;

use super::{leftover_cleanup, reconcile, Options};
use crate::engine::desired::{DeliveredFile, DesiredInput, DesiredState, FileSet, GatewayFiles};
use crate::engine::observe::{Observed, ObservedContainer};
use crate::engine::plan::ReloadKind;
use crate::profile::{Profile, ProfileStore, UpdateOrder, Variables};
use crate::secrets::Secrets;

const PROJECT: &str = "tm-t";

fn profile(name: &str) -> Profile {
    ProfileStore::new(None, PathBuf::from("/nonexistent-tmctl-plan-tests"))
        .load(name, &Variables::empty())
        .unwrap_or_else(|error| panic!("built-in profile {name}: {error}"))
        .profile
}

/// A gateway whose nginx.conf lists the servers, plus `extra` (a template or TLS change).
fn gateway(profile: &Profile, extra: &'static str) -> Option<GatewayFiles> {
    let settings = profile.gateway.as_ref()?;
    Some(GatewayFiles::new(
        &settings.service,
        "/etc/nginx",
        &settings.upstream.service,
        settings.upstream.port,
        Box::new(move |servers: &[String]| {
            Ok(FileSet {
                directory: "/etc/nginx".into(),
                files: vec![DeliveredFile {
                    path: "nginx.conf".into(),
                    contents: format!("{}\n{extra}", servers.join("\n")).into_bytes(),
                    mode: 0o644,
                }],
                reload: ReloadKind::Nginx,
            })
        }),
    ))
}

fn desired_with(profile: &Profile, gateway_extra: &'static str, secret: &str) -> DesiredState {
    DesiredState::build(DesiredInput {
        project: PROJECT,
        profile,
        secrets: Secrets::from_pairs(&[
            ("POSTGRES_PASSWORD", secret),
            ("REDIS_PASSWORD", "redis"),
            ("TMCTL_TOKEN_KEY", "key"),
        ]),
        service_image: "tmctl:test",
        image_ids: &HashMap::from([("tmctl:test".to_owned(), "sha256:one".to_owned())]),
        gateway: gateway(profile, gateway_extra),
        files: Default::default(),
    })
}

fn desired(profile: &Profile) -> DesiredState {
    desired_with(profile, "", "pg")
}

/// Everything of `desired` running as wanted, files in place.
fn running(desired: &DesiredState) -> Observed {
    let gateway_digest = desired
        .final_gateway_files()
        .and_then(Result::ok)
        .map(|files| files.digest());
    let containers = desired
        .containers()
        .into_iter()
        .map(|(service, number, name)| {
            let is_gateway = desired
                .gateway
                .as_ref()
                .is_some_and(|g| g.service == service.name);
            container(&service.name, number, &name, &service.hash, &service.record).with_files(
                if is_gateway {
                    gateway_digest.clone()
                } else {
                    None
                },
            )
        })
        .collect();
    Observed::with_infrastructure_of(desired, containers)
}

fn container(
    service: &str,
    number: u32,
    name: &str,
    hash: &str,
    record: &impl serde::Serialize,
) -> ObservedContainer {
    ObservedContainer {
        id: format!("id-{name}"),
        name: name.to_owned(),
        service: service.to_owned(),
        number,
        hash: hash.to_owned(),
        config: serde_json::to_value(record).unwrap_or(Value::Null),
        image: String::new(),
        state: "running".into(),
        status: String::new(),
        created: 0,
        files_digest: None,
    }
}

trait WithFiles {
    fn with_files(self, digest: Option<String>) -> Self;
}

impl WithFiles for ObservedContainer {
    fn with_files(mut self, digest: Option<String>) -> Self {
        self.files_digest = digest;
        self
    }
}

fn plan_text(desired: &DesiredState, observed: &Observed) -> String {
    reconcile(desired, observed, Options::default()).to_text()
}

mod dependencies_and_updates;
mod scenarios;
