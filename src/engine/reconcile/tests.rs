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
    Observed {
        containers,
        networks: desired.networks.iter().map(|n| n.name.clone()).collect(),
        volumes: desired.volumes.iter().map(|v| v.name.clone()).collect(),
        missing_directories: vec![],
    }
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

#[test]
fn fresh_project_creates_everything_in_dependency_order() {
    let desired = desired(&profile("dev"));
    let observed = Observed::default();
    assert_eq!(
        plan_text(&desired, &observed),
        "\
#1 create network tm-t_backend — missing
#2 create network tm-t_frontend — missing
#3 create volume tm-t_pgdata — missing
#4 create volume tm-t_redisdata — missing
#5 create tm-t-postgres-1 after #1,#2,#3,#4 — missing
#6 start tm-t-postgres-1 after #5 — missing
#7 wait until healthy tm-t-postgres-1 after #6 — needed by service
#8 create tm-t-redis-1 after #1,#2,#3,#4 — missing
#9 start tm-t-redis-1 after #8 — missing
#10 wait until healthy tm-t-redis-1 after #9 — needed by service
#11 create tm-t-service-1 after #1,#2,#3,#4 — missing
#12 start tm-t-service-1 after #7,#10,#11 — missing
#13 wait until healthy tm-t-service-1 after #12 — needed by gateway
#14 create tm-t-gateway-1 after #1,#2,#3,#4 — missing
#15 write gateway config (upstreams: tm-t-service-1) tm-t-gateway-1 after #14 — missing
#16 start tm-t-gateway-1 after #13,#14,#15 — missing
"
    );
}

#[test]
fn nothing_changed_means_an_empty_plan() {
    let desired = desired(&profile("dev"));
    let plan = reconcile(&desired, &running(&desired), Options::default());
    assert!(plan.steps.is_empty(), "{}", plan.to_text());
    assert!(!plan.changes_something());
}

#[test]
fn wait_adds_one_final_wait_per_container_and_changes_nothing() {
    let desired = desired(&profile("dev"));
    let plan = reconcile(&desired, &running(&desired), Options { wait: true });
    assert_eq!(plan.steps.len(), 4, "{}", plan.to_text());
    assert!(!plan.changes_something());
}

#[test]
fn an_environment_change_of_the_service_rolls_it_behind_the_gateway() {
    let before = desired(&profile("dev"));
    let observed = running(&before);
    let mut edited = profile("dev");
    edited
        .services
        .get_mut("service")
        .expect("service")
        .environment
        .insert(
            "RUST_LOG".into(),
            crate::profile::EnvValue::Text("debug".into()),
        );
    let after = desired(&edited);
    assert_eq!(
        plan_text(&after, &observed),
        "\
#1 create tm-t-service-1-next — config changed: environment.RUST_LOG
#2 wait until healthy tm-t-postgres-1 — needed by service
#3 wait until healthy tm-t-redis-1 — needed by service
#4 start tm-t-service-1-next after #1,#2,#3 — config changed: environment.RUST_LOG
#5 wait until healthy tm-t-service-1-next after #4 — needed by gateway
#6 stage gateway config (upstreams: tm-t-service-1, tm-t-service-1-next) tm-t-gateway-1 after #5 — upstream servers changed
#7 reload gateway router tm-t-gateway-1 after #6 — upstream servers changed
#8 stage gateway config (upstreams: tm-t-service-1-next) tm-t-gateway-1 after #7 — upstream servers changed
#9 reload gateway router, drain old workers tm-t-gateway-1 after #8 — upstream servers changed
#10 stop (grace 10s) tm-t-service-1 after #9 — config changed: environment.RUST_LOG
#11 remove tm-t-service-1 after #10 — config changed: environment.RUST_LOG
#12 rename to tm-t-service-1 tm-t-service-1-next after #11 — config changed: environment.RUST_LOG
#13 stage gateway config (upstreams: tm-t-service-1) tm-t-gateway-1 after #9,#12 — upstream servers changed
#14 reload gateway router tm-t-gateway-1 after #13 — upstream servers changed
"
    );
}

#[test]
fn a_new_image_id_is_an_image_change() {
    let dev = profile("dev");
    let observed = running(&desired(&dev));
    let mut after = desired(&dev);
    after.set_image_ids(&HashMap::from([(
        "tmctl:test".to_owned(),
        "sha256:two".to_owned(),
    )]));
    let plan = reconcile(&after, &observed, Options::default());
    let causes: Vec<String> = plan.steps.iter().map(|s| s.cause.to_string()).collect();
    assert!(
        causes.iter().any(|cause| cause == "image changed"),
        "{}",
        plan.to_text()
    );
    assert!(plan
        .to_text()
        .contains("#1 create tm-t-service-1-next — image changed"));
}

#[test]
fn scaling_up_adds_replicas_to_the_gateway_once_they_are_ready() {
    let dev = profile("dev");
    let observed = running(&desired(&dev));
    let mut scaled = dev.clone();
    scaled
        .services
        .get_mut("service")
        .expect("service")
        .replicas = 3;
    assert_eq!(
        plan_text(&desired(&scaled), &observed),
        "\
#1 create tm-t-service-2 — missing
#2 wait until healthy tm-t-postgres-1 — needed by service
#3 wait until healthy tm-t-redis-1 — needed by service
#4 start tm-t-service-2 after #1,#2,#3 — missing
#5 wait until healthy tm-t-service-2 after #4 — needed by gateway
#6 create tm-t-service-3 — missing
#7 start tm-t-service-3 after #2,#3,#6 — missing
#8 wait until healthy tm-t-service-3 after #7 — needed by gateway
#9 stage gateway config (upstreams: tm-t-service-1, tm-t-service-2, tm-t-service-3) tm-t-gateway-1 after #5,#8 — upstream servers changed
#10 reload gateway router tm-t-gateway-1 after #9 — upstream servers changed
"
    );
}

#[test]
fn scaling_down_drains_the_gateway_before_stopping_replicas() {
    let mut three = profile("dev");
    three.services.get_mut("service").expect("service").replicas = 3;
    let observed = running(&desired(&three));
    assert_eq!(
        plan_text(&desired(&profile("dev")), &observed),
        "\
#1 stage gateway config (upstreams: tm-t-service-1) tm-t-gateway-1 — upstream servers changed
#2 reload gateway router, drain old workers tm-t-gateway-1 after #1 — upstream servers changed
#3 stop (grace 10s) tm-t-service-2 after #2 — scale: service wants 1 replica(s)
#4 remove tm-t-service-2 after #3 — scale: service wants 1 replica(s)
#5 stop (grace 10s) tm-t-service-3 after #2 — scale: service wants 1 replica(s)
#6 remove tm-t-service-3 after #5 — scale: service wants 1 replica(s)
"
    );
}

#[test]
fn an_orphan_goes_before_anything_starts() {
    let dev = profile("dev");
    let desired = desired(&dev);
    let mut observed = running(&desired);
    observed
        .containers
        .push(container("webapi", 1, "tm-t-webapi-1", "old", &Value::Null));
    assert_eq!(
        plan_text(&desired, &observed),
        "\
#1 stop (grace 10s) tm-t-webapi-1 — orphan: service no longer in the profile
#2 remove tm-t-webapi-1 after #1 — orphan: service no longer in the profile
"
    );
}

#[test]
fn a_leftover_replacement_leaves_the_gateway_and_goes() {
    let desired = desired(&profile("dev"));
    let mut observed = running(&desired);
    observed.containers.push(container(
        "service",
        1,
        "tm-t-service-1-next",
        "stale",
        &Value::Null,
    ));
    let expected = "\
#1 stage gateway config (upstreams: tm-t-service-1) tm-t-gateway-1 — upstream servers changed
#2 reload gateway router, drain old workers tm-t-gateway-1 after #1 — upstream servers changed
#3 stop (grace 10s) tm-t-service-1-next after #2 — leftover of an interrupted update
#4 remove tm-t-service-1-next after #3 — leftover of an interrupted update
";
    assert_eq!(plan_text(&desired, &observed), expected);
    assert_eq!(leftover_cleanup(&desired, &observed).to_text(), expected);
}

#[test]
fn an_up_to_date_leftover_whose_old_replica_is_gone_takes_its_slot() {
    let desired = desired(&profile("dev"));
    let mut observed = running(&desired);
    let service = desired.service("service").expect("service");
    observed.containers.retain(|c| c.name != "tm-t-service-1");
    observed.containers.push(container(
        "service",
        1,
        "tm-t-service-1-next",
        &service.hash,
        &service.record,
    ));
    assert_eq!(
        plan_text(&desired, &observed),
        "\
#1 rename to tm-t-service-1 tm-t-service-1-next — leftover replacement already up to date
#2 stage gateway config (upstreams: tm-t-service-1) tm-t-gateway-1 after #1 — upstream servers changed
#3 reload gateway router tm-t-gateway-1 after #2 — upstream servers changed
"
    );
}

#[test]
fn a_stateful_change_is_stop_first_and_announced_as_an_outage() {
    let dev = profile("dev");
    let observed = running(&desired(&dev));
    let mut edited = dev.clone();
    let postgres = edited.services.get_mut("postgres").expect("postgres");
    assert_eq!(postgres.update.order, UpdateOrder::StopFirst);
    postgres.command = Some(vec!["postgres".into(), "-c".into(), "work_mem=8MB".into()]);
    let plan = reconcile(&desired(&edited), &observed, Options::default());
    assert_eq!(
        plan.to_text(),
        "\
#1 stop (grace 30s) tm-t-postgres-1 — config changed: command [outage]
#2 remove tm-t-postgres-1 after #1 — config changed: command [outage]
#3 create tm-t-postgres-1 after #2 — config changed: command
#4 start tm-t-postgres-1 after #3 — config changed: command
#5 wait until healthy tm-t-postgres-1 after #4 — needed by service
"
    );
    assert_eq!(plan.outages(), vec!["postgres"]);
}

#[test]
fn a_gateway_only_change_copies_the_config_and_reloads() {
    let dev = profile("dev");
    let observed = running(&desired(&dev));
    assert_eq!(
        plan_text(&desired_with(&dev, "gzip on;", "pg"), &observed),
        "\
#1 stage gateway config (upstreams: tm-t-service-1) tm-t-gateway-1 — files changed
#2 reload gateway router tm-t-gateway-1 after #1 — files changed
#3 reload gateway tm-t-gateway-1 after #2 — files changed
"
    );
}

#[test]
fn new_tls_material_reaches_the_gateway_without_a_restart() {
    let prod = profile("prod");
    let observed = running(&desired_with(&prod, "cert: A", "pg"));
    let plan = reconcile(
        &desired_with(&prod, "cert: B", "pg"),
        &observed,
        Options::default(),
    );
    assert_eq!(
        plan.to_text(),
        "\
#1 stage gateway config (upstreams: tm-t-service-1, tm-t-service-2) tm-t-gateway-1 — files changed
#2 reload gateway router tm-t-gateway-1 after #1 — files changed
#3 reload gateway tm-t-gateway-1 after #2 — files changed
"
    );
}

#[test]
fn dependents_start_only_after_their_dependencies_are_healthy() {
    let prod = profile("prod");
    let plan = reconcile(&desired(&prod), &Observed::default(), Options::default());
    let step = |text: &str| {
        plan.steps
            .iter()
            .find(|s| format!("{} {}", s.action.describe(), s.action.target()) == text)
            .unwrap_or_else(|| panic!("no step `{text}` in\n{}", plan.to_text()))
    };
    let waited_for = |start: &str| -> Vec<String> {
        step(start)
            .after
            .iter()
            .filter_map(|id| plan.step(*id))
            .filter(|s| s.action.describe().starts_with("wait"))
            .map(|s| s.action.target().to_owned())
            .collect()
    };
    assert_eq!(
        waited_for("start tm-t-service-1"),
        vec!["tm-t-postgres-1", "tm-t-redis-1"]
    );
    assert_eq!(waited_for("start tm-t-backup-1"), vec!["tm-t-postgres-1"]);
    assert_eq!(
        waited_for("start tm-t-gateway-1"),
        vec!["tm-t-service-1", "tm-t-service-2"]
    );
    assert_eq!(
        step("wait until healthy tm-t-postgres-1").cause.to_string(),
        "needed by backup, service"
    );
}

#[test]
fn a_rotated_secret_replaces_the_services_that_use_it() {
    let dev = profile("dev");
    let observed = running(&desired(&dev));
    let plan = reconcile(
        &desired_with(&dev, "", "rotated"),
        &observed,
        Options::default(),
    );
    let text = plan.to_text();
    assert!(
        text.contains("#1 stop (grace 30s) tm-t-postgres-1 — config changed: secret POSTGRES_PASSWORD [outage]"),
        "{text}"
    );
    assert!(
        text.contains(
            "start tm-t-service-1-next after #5,#6,#7 — config changed: secret POSTGRES_PASSWORD"
        ),
        "the new replica starts once the new postgres is healthy:\n{text}"
    );
    assert!(
        !text.contains("stop (grace 10s) tm-t-redis") && !text.contains("create tm-t-redis"),
        "redis does not use the secret:\n{text}"
    );
}

#[test]
fn a_stopped_container_is_started_again() {
    let desired = desired(&profile("dev"));
    let mut observed = running(&desired);
    for container in &mut observed.containers {
        if container.service == "redis" {
            container.state = "exited".into();
        }
    }
    assert_eq!(
        plan_text(&desired, &observed),
        "\
#1 start tm-t-redis-1 — not running
#2 wait until healthy tm-t-redis-1 after #1 — needed by service
"
    );
}

#[test]
fn replicas_are_replaced_in_batches_of_the_update_parallelism() {
    let mut four = profile("dev");
    let service = four.services.get_mut("service").expect("service");
    service.replicas = 4;
    service.update.parallelism = 2;
    let observed = running(&desired(&four));
    service_env(&mut four, "RUST_LOG", "debug");
    let plan = reconcile(&desired(&four), &observed, Options::default());
    let text = plan.to_text();
    let first_batch_drain = plan
        .steps
        .iter()
        .find(|s| s.action.describe() == "reload gateway router, drain old workers")
        .expect("a drain")
        .id;
    let third_create = plan
        .steps
        .iter()
        .find(|s| s.action.target() == "tm-t-service-3-next" && s.action.describe() == "start")
        .expect("third replica's start");
    let renames: Vec<usize> = plan
        .steps
        .iter()
        .filter(|s| s.action.describe().starts_with("rename") && s.id < third_create.id)
        .map(|s| s.id)
        .collect();
    assert_eq!(renames.len(), 2, "{text}");
    assert!(
        renames.iter().all(|id| third_create.after.contains(id)),
        "the second batch starts after the first one finished:\n{text}"
    );
    assert!(first_batch_drain < third_create.id, "{text}");
    assert!(text.contains(
        "stage gateway config (upstreams: tm-t-service-1-next, tm-t-service-2-next, tm-t-service-3, tm-t-service-4)"
    ), "{text}");
    assert!(
        text.contains(
            "stage gateway config (upstreams: tm-t-service-1, tm-t-service-2, tm-t-service-3, tm-t-service-4)"
        ),
        "the final config names every replica by its own name:\n{text}"
    );
}

#[test]
fn missing_bind_sources_are_created_first() {
    let prod = profile("prod");
    let desired = desired(&prod);
    let mut observed = running(&desired);
    let backups = desired
        .directories
        .iter()
        .find(|d| d.path.ends_with("backups"))
        .expect("the backup directory")
        .path
        .clone();
    observed.missing_directories = vec![backups.clone()];
    let plan = reconcile(&desired, &observed, Options::default());
    assert_eq!(plan.steps[0].action.target(), backups);
    assert!(plan.steps[0]
        .action
        .describe()
        .starts_with("create directory"));
}

fn service_env(profile: &mut Profile, key: &str, value: &str) {
    profile
        .services
        .get_mut("service")
        .expect("service")
        .environment
        .insert(key.into(), crate::profile::EnvValue::Text(value.into()));
}

#[test]
fn a_replacement_is_created_only_after_a_leftover_of_its_name_is_gone() {
    let dev = profile("dev");
    let observed_before = running(&desired(&dev));
    let mut edited = dev.clone();
    service_env(&mut edited, "RUST_LOG", "debug");
    let after = desired(&edited);
    let mut observed = observed_before;
    let service = after.service("service").expect("service");
    observed.containers.push(container(
        "service",
        1,
        "tm-t-service-1-next",
        &service.hash,
        &service.record,
    ));
    let plan = reconcile(&after, &observed, Options::default());
    let find = |describe: &str| {
        plan.steps
            .iter()
            .find(|s| s.action.describe() == describe && s.action.target() == "tm-t-service-1-next")
            .unwrap_or_else(|| panic!("no {describe} of the leftover in\n{}", plan.to_text()))
    };
    let removed = find("remove").id;
    assert!(
        find("create").after.contains(&removed),
        "{}",
        plan.to_text()
    );
}

#[test]
fn pre_deploy_hooks_run_before_any_new_replica_starts_and_post_deploy_ones_last() {
    let dev = profile("dev");
    let observed = running(&desired(&dev));
    let mut edited = dev.clone();
    service_env(&mut edited, "RUST_LOG", "debug");
    let service = edited.services.get_mut("service").expect("service");
    service.hooks.pre_deploy = vec![crate::profile::HookCommand::Shell("tmctl migrate".into())];
    service.hooks.post_deploy = vec![crate::profile::HookCommand::Argv(vec![
        "tmctl".into(),
        "warm-cache".into(),
    ])];
    let plan = reconcile(&desired(&edited), &observed, Options::default());
    let text = plan.to_text();
    let hook = plan
        .steps
        .iter()
        .find(|s| s.action.describe() == "run pre-deploy hook `sh -c tmctl migrate`")
        .unwrap_or_else(|| panic!("no pre-deploy hook in\n{text}"));
    assert_eq!(hook.action.target(), "tm-t-service-pre-deploy-hook-1");
    let start = plan
        .steps
        .iter()
        .find(|s| s.action.describe() == "start" && s.action.target() == "tm-t-service-1-next")
        .expect("start of the new replica");
    assert!(start.after.contains(&hook.id), "{text}");
    let last = plan.steps.last().expect("steps");
    assert_eq!(
        last.action.describe(),
        "run post-deploy hook `tmctl warm-cache`",
        "{text}"
    );
    assert!(
        reconcile(
            &desired(&edited),
            &running(&desired(&edited)),
            Options::default()
        )
        .steps
        .is_empty(),
        "hooks run only when the service changes"
    );
}
