//! Plan scenarios of a single change.

use super::*;

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
