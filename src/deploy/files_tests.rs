//! Plans for the monitoring services' delivered files: copied before a new container
//! starts, staged and reloaded through the reload endpoint when they change, untouched when
//! in place.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde_json::Value;

use crate::engine::desired::{DeliveredFile, DesiredInput, DesiredState, FileSet};
use crate::engine::observe::{Observed, ObservedContainer};
use crate::engine::plan::ReloadKind;
use crate::engine::reconcile::{reconcile, Options};
use crate::profile::{ProfileStore, Variables};
use crate::secrets::Secrets;

fn prometheus_files(rules: &str) -> FileSet {
    FileSet {
        directory: "/etc/prometheus".into(),
        files: vec![
            DeliveredFile {
                path: "prometheus.yml".into(),
                contents: b"global: {}\n".to_vec(),
                mode: 0o644,
            },
            DeliveredFile {
                path: "rules/tmctl.yml".into(),
                contents: rules.as_bytes().to_vec(),
                mode: 0o644,
            },
        ],
        reload: ReloadKind::HttpPost {
            port: 9090,
            path: "/-/reload".into(),
        },
    }
}

fn desired(rules: &str) -> DesiredState {
    let mut profile = ProfileStore::new(None, PathBuf::from("/nonexistent-tmctl-plan-tests"))
        .load("extended", &Variables::empty())
        .expect("built-in profile")
        .profile;
    profile
        .without(&["grafana".to_owned()])
        .expect("grafana is optional");
    DesiredState::build(DesiredInput {
        project: "tm-m",
        profile: &profile,
        secrets: Secrets::from_pairs(&[("POSTGRES_PASSWORD", "pg")]),
        service_image: "tmctl:test",
        image_ids: &HashMap::new(),
        gateway: None,
        files: BTreeMap::from([("prometheus".to_owned(), prometheus_files(rules))]),
    })
}

/// Everything running as `desired` wants, Prometheus holding the files of `digest`.
fn running(desired: &DesiredState, digest: Option<String>) -> Observed {
    let containers = desired
        .containers()
        .into_iter()
        .map(|(service, number, name)| ObservedContainer {
            id: format!("id-{name}"),
            name: name.clone(),
            service: service.name.clone(),
            number,
            hash: service.hash.clone(),
            config: serde_json::to_value(&service.record).unwrap_or(Value::Null),
            image: String::new(),
            state: "running".into(),
            status: String::new(),
            created: 0,
            files_digest: (service.name == "prometheus")
                .then(|| digest.clone())
                .flatten(),
        })
        .collect();
    Observed::with_infrastructure_of(desired, containers)
}

#[test]
fn a_new_prometheus_gets_its_files_before_it_starts() {
    let desired = desired("groups: []\n");
    let plan = reconcile(&desired, &Observed::default(), Options::default()).to_text();
    let line = |text: &str| {
        plan.lines()
            .find(|line| line.contains(text))
            .unwrap_or_else(|| panic!("no `{text}` in:\n{plan}"))
            .to_owned()
    };
    let copy = line("copy files tm-m-prometheus-1");
    let start = line("start tm-m-prometheus-1");
    let copy_id = copy.split_whitespace().next().unwrap();
    assert!(start.contains(copy_id), "start waits for the copy: {start}");
}

#[test]
fn changed_rules_are_staged_and_reloaded_through_the_endpoint() {
    let old = desired("groups: []\n");
    let new = desired("groups: [{name: x, rules: []}]\n");
    let observed = running(&new, Some(prometheus_files("groups: []\n").digest()));
    assert_ne!(
        old.service("prometheus").unwrap().files,
        new.service("prometheus").unwrap().files
    );
    assert_eq!(
        reconcile(&new, &observed, Options::default()).to_text(),
        "\
#1 stage files tm-m-prometheus-1 — files changed
#2 reload (/-/reload) tm-m-prometheus-1 after #1 — files changed
"
    );
    let in_place = running(
        &new,
        Some(prometheus_files("groups: [{name: x, rules: []}]\n").digest()),
    );
    let plan = reconcile(&new, &in_place, Options::default());
    assert!(plan.steps.is_empty(), "{}", plan.to_text());
}
