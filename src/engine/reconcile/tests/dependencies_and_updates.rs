//! Plan scenarios of ordering: dependencies, secrets, batches, hooks.

use super::*;

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
