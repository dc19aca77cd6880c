//! Malformed profiles: each must be rejected with a message that names the file, the
//! position where known, the field and what is allowed. None may panic.

use crate::support::Workspace;
use tmctl::profile::Variables;

/// A small valid profile; cases edit it with `replace`.
pub(crate) const BASE: &str = "\
description: test profile
production: false
networks:
  backend: {}
volumes:
  data: {}
services:
  api:
    build: service
    replicas: 1
    ports: [\"127.0.0.1:18080:8000\"]
    networks: [backend]
    depends_on:
      db: { condition: service_healthy }
    healthcheck:
      test: [\"CMD\", \"true\"]
      interval: 5s
  db:
    image: postgres:15
    environment:
      POSTGRES_USER: tm
    secrets: [POSTGRES_PASSWORD]
    volumes: [\"data:/var/lib/postgresql/data\"]
    networks: [backend]
    healthcheck:
      test: [\"CMD-SHELL\", \"pg_isready\"]
";

pub(crate) fn with(from: &str, to: &str) -> String {
    assert!(
        BASE.contains(from),
        "test bug: `{from}` not in the base profile"
    );
    BASE.replacen(from, to, 1)
}

/// Loads `text` as `profiles/case.yaml` and returns the error message.
pub(crate) fn error_of(text: &str) -> String {
    error_with(text, &Variables::empty())
}

pub(crate) fn error_with(text: &str, variables: &Variables) -> String {
    let workspace = Workspace::new();
    workspace.write("profiles/case.yaml", text);
    match workspace.load("case", variables) {
        Ok(_) => panic!("profile was accepted:\n{text}"),
        Err(error) => error.to_string(),
    }
}

pub(crate) fn assert_has(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "expected `{part}` in:\n{message}");
    }
}

#[test]
fn the_base_profile_is_valid() {
    let workspace = Workspace::new();
    workspace.write("profiles/case.yaml", BASE);
    workspace
        .load("case", &Variables::empty())
        .expect("base profile loads");
}

#[test]
fn yaml_syntax_error_names_line_and_column() {
    let message = error_of(&with(
        "networks: [backend]\n    depends_on",
        "networks: [backend\n    depends_on",
    ));
    assert_has(&message, &["profiles/case.yaml:", "not valid YAML"]);
}

#[test]
fn tab_indentation_is_a_syntax_error() {
    let message = error_of(&with("    replicas: 1", "\treplicas: 1"));
    assert_has(&message, &["case.yaml:", "not valid YAML"]);
}

#[test]
fn unknown_top_level_field() {
    let message = error_of(&format!("{BASE}servics: {{}}\n"));
    assert_has(
        &message,
        &["case.yaml:", "unknown field `servics`", "expected one of"],
    );
}

#[test]
fn unknown_service_field_names_its_path_and_line() {
    let message = error_of(&with("    replicas: 1", "    replicaz: 1"));
    assert_has(
        &message,
        &["case.yaml:10:5", "services.api", "unknown field `replicaz`"],
    );
}

#[test]
fn replicas_must_be_a_whole_number() {
    let message = error_of(&with("replicas: 1", "replicas: two"));
    assert_has(
        &message,
        &["case.yaml:10:5", "services.api.replicas", "whole number"],
    );
}

#[test]
fn negative_replicas_are_rejected() {
    let message = error_of(&with("replicas: 1", "replicas: -1"));
    assert_has(&message, &["services.api.replicas", "-1"]);
}

#[test]
fn too_many_replicas_are_rejected() {
    let message = error_of(&with("replicas: 1", "replicas: 500"));
    assert_has(&message, &["services.api.replicas", "500 replicas", "64"]);
}

#[test]
fn port_without_host_ip_is_rejected() {
    let message = error_of(&with("127.0.0.1:18080:8000", "18080:8000"));
    assert_has(
        &message,
        &[
            "case.yaml:11",
            "services.api.ports[0]",
            "`18080:8000`",
            "explicit host IP",
        ],
    );
}

#[test]
fn port_out_of_range_is_rejected() {
    let message = error_of(&with("127.0.0.1:18080:8000", "127.0.0.1:70000:8000"));
    assert_has(
        &message,
        &["services.api.ports[0]", "`127.0.0.1:70000:8000`"],
    );
}

#[test]
fn bad_duration_names_the_units() {
    let message = error_of(&with("interval: 5s", "interval: 5 seconds"));
    assert_has(
        &message,
        &[
            "case.yaml:17:7",
            "services.api.healthcheck.interval",
            "`5 seconds`",
            "1m30s",
        ],
    );
}

#[test]
fn healthcheck_test_needs_cmd_or_cmd_shell() {
    let message = error_of(&with(
        "test: [\"CMD\", \"true\"]",
        "test: [\"RUN\", \"true\"]",
    ));
    assert_has(
        &message,
        &[
            "case.yaml:16:7",
            "services.api.healthcheck.test",
            "CMD or CMD-SHELL",
        ],
    );
}

#[test]
fn unknown_depends_on_target() {
    let message = error_of(&with("      db: { condition", "      dbx: { condition"));
    assert_has(
        &message,
        &[
            "case.yaml:14:7",
            "services.api.depends_on.dbx",
            "unknown service `dbx`",
            "defined services: api, db",
        ],
    );
}

#[test]
fn dependency_cycle_is_named() {
    let text = format!("{BASE}    depends_on: [api]\n");
    let message = error_of(&text);
    assert_has(&message, &["dependency cycle:", "api -> db -> api"]);
}

#[test]
fn a_service_cannot_depend_on_itself() {
    let message = error_of(&with(
        "      db: { condition: service_healthy }",
        "      api: { condition: service_started }",
    ));
    assert_has(
        &message,
        &["services.api.depends_on.api", "cannot depend on itself"],
    );
}

#[test]
fn unknown_dependency_condition() {
    let message = error_of(&with(
        "condition: service_healthy",
        "condition: service_ready",
    ));
    assert_has(
        &message,
        &[
            "services.api.depends_on.db.condition",
            "unknown variant `service_ready`",
            "service_healthy",
        ],
    );
}

#[test]
fn healthy_condition_needs_a_healthcheck() {
    let text = BASE.replace(
        "    healthcheck:\n      test: [\"CMD-SHELL\", \"pg_isready\"]\n",
        "",
    );
    let message = error_of(&text);
    assert_has(
        &message,
        &[
            "services.api.depends_on.db.condition",
            "needs a healthcheck on `db`",
        ],
    );
}

#[test]
fn two_services_on_one_host_port() {
    let text = with(
        "    volumes: [\"data:",
        "    ports: [\"127.0.0.1:18080:5432\"]\n    volumes: [\"data:",
    );
    let message = error_of(&text);
    assert_has(
        &message,
        &[
            "services.db.ports[0]",
            "host port 127.0.0.1:18080 is also used by service `api`",
        ],
    );
}

#[test]
fn all_interfaces_clash_with_loopback_on_the_same_port() {
    let text = with(
        "    volumes: [\"data:",
        "    ports: [\"0.0.0.0:18080:5432\"]\n    volumes: [\"data:",
    );
    let message = error_of(&text);
    assert_has(
        &message,
        &["services.db.ports[0]", "0.0.0.0:18080", "also used by"],
    );
}

#[test]
fn replicas_with_a_fixed_host_port() {
    let message = error_of(&with("replicas: 1", "replicas: 3"));
    assert_has(
        &message,
        &[
            "case.yaml:11",
            "services.api.ports[0]",
            "3 replicas",
            "fixed host port 127.0.0.1:18080",
            "replicas would collide",
        ],
    );
}

#[test]
fn start_first_update_with_a_fixed_port() {
    let message = error_of(&with(
        "    replicas: 1\n",
        "    replicas: 1\n    update: { order: start-first }\n",
    ));
    assert_has(
        &message,
        &[
            "services.api.update.order",
            "start-first cannot work with fixed host ports",
        ],
    );
}

#[test]
fn unknown_update_order() {
    let message = error_of(&with(
        "    replicas: 1\n",
        "    replicas: 1\n    update: { order: rolling }\n",
    ));
    assert_has(
        &message,
        &[
            "services.api.update.order",
            "unknown variant `rolling`",
            "start-first",
        ],
    );
}
