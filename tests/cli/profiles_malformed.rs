//! Malformed profiles: each must be rejected with a message that names the file, the
//! position where known, the field and what is allowed. None may panic.

use crate::support::Workspace;
use tmctl::profile::Variables;

/// A small valid profile; cases edit it with `replace`.
const BASE: &str = "\
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

fn with(from: &str, to: &str) -> String {
    assert!(
        BASE.contains(from),
        "test bug: `{from}` not in the base profile"
    );
    BASE.replacen(from, to, 1)
}

/// Loads `text` as `profiles/case.yaml` and returns the error message.
fn error_of(text: &str) -> String {
    error_with(text, &Variables::empty())
}

fn error_with(text: &str, variables: &Variables) -> String {
    let workspace = Workspace::new();
    workspace.write("profiles/case.yaml", text);
    match workspace.load("case", variables) {
        Ok(_) => panic!("profile was accepted:\n{text}"),
        Err(error) => error.to_string(),
    }
}

fn assert_has(message: &str, parts: &[&str]) {
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

const BACKUP: &str =
    "backup:\n  schedule: \"0 2 * * *\"\n  timezone: UTC\n  database: db\n  keep_daily: 7\n";

#[test]
fn the_base_profile_with_backup_is_valid() {
    let workspace = Workspace::new();
    workspace.write("profiles/case.yaml", &format!("{BASE}{BACKUP}"));
    workspace
        .load("case", &Variables::empty())
        .expect("profile with backup loads");
}

#[test]
fn invalid_cron_expression() {
    let text = format!("{BASE}{}", BACKUP.replace("0 2 * * *", "0 25 * * *"));
    let message = error_of(&text);
    assert_has(
        &message,
        &[
            "backup.schedule",
            "invalid cron expression `0 25 * * *`",
            "0 2 * * *",
        ],
    );
}

#[test]
fn cron_expression_with_too_few_fields() {
    let text = format!("{BASE}{}", BACKUP.replace("0 2 * * *", "0 2 *"));
    let message = error_of(&text);
    assert_has(
        &message,
        &["backup.schedule", "expected 5 fields", "found 3"],
    );
}

#[test]
fn invalid_timezone() {
    let text = format!("{BASE}{}", BACKUP.replace("UTC", "Mars/Olympus"));
    let message = error_of(&text);
    assert_has(
        &message,
        &[
            "backup.timezone",
            "unknown timezone `Mars/Olympus`",
            "Europe/Berlin",
        ],
    );
}

#[test]
fn backup_database_must_exist() {
    let text = format!("{BASE}{}", BACKUP.replace("database: db", "database: pg"));
    let message = error_of(&text);
    assert_has(&message, &["backup.database", "unknown service `pg`"]);
}

#[test]
fn retention_that_keeps_nothing() {
    let text = format!("{BASE}{}", BACKUP.replace("keep_daily: 7", "keep_daily: 0"));
    let message = error_of(&text);
    assert_has(&message, &["backup.keep_daily", "retention keeps nothing"]);
}

#[test]
fn unknown_compression() {
    let text = format!("{BASE}{BACKUP}  compression: lz4\n");
    let message = error_of(&text);
    assert_has(
        &message,
        &["backup.compression", "invalid compression `lz4`", "zstd"],
    );
}

#[test]
fn unknown_network_reference() {
    let message = error_of(&with(
        "    networks: [backend]\n    depends_on",
        "    networks: [backnd]\n    depends_on",
    ));
    assert_has(
        &message,
        &[
            "case.yaml:12",
            "services.api.networks[0]",
            "unknown network `backnd`",
            "declared: backend",
        ],
    );
}

#[test]
fn unknown_volume_reference() {
    let message = error_of(&with("data:/var/lib", "dta:/var/lib"));
    assert_has(
        &message,
        &[
            "services.db.volumes[0]",
            "unknown volume `dta`",
            "declared: data",
        ],
    );
}

#[test]
fn relative_container_path_in_a_mount() {
    let message = error_of(&with("data:/var/lib/postgresql/data", "data:var/lib"));
    assert_has(
        &message,
        &["services.db.volumes[0]", "container path must be absolute"],
    );
}

#[test]
fn invalid_subnet() {
    let message = error_of(&with("  backend: {}", "  backend: { subnet: 10.0.0.0/33 }"));
    assert_has(&message, &["networks.backend.subnet", "not a CIDR subnet"]);
}

fn production(text: &str) -> String {
    text.replace("production: false", "production: true")
}

#[test]
fn production_rejects_well_known_passwords() {
    let text = production(&with(
        "      POSTGRES_USER: tm",
        "      POSTGRES_USER: tm\n      POSTGRES_PASSWORD: postgres",
    ));
    let message = error_of(&text);
    assert_has(
        &message,
        &[
            "case.yaml:22:7",
            "services.db.environment.POSTGRES_PASSWORD",
            "well-known default",
            "secrets:",
        ],
    );
}

#[test]
fn production_rejects_password_defaults() {
    let text = production(&with(
        "      POSTGRES_USER: tm",
        "      POSTGRES_USER: tm\n      POSTGRES_PASSWORD: ${PG_PASS:-changeme}",
    ));
    let message = error_of(&text);
    assert_has(
        &message,
        &[
            "services.db.environment.POSTGRES_PASSWORD",
            "default value of ${PG_PASS}",
            "set PG_PASS",
        ],
    );
}

#[test]
fn production_accepts_a_password_from_the_environment() {
    let text = production(&with(
        "      POSTGRES_USER: tm",
        "      POSTGRES_USER: tm\n      POSTGRES_PASSWORD: ${PG_PASS:-changeme}",
    ));
    let workspace = Workspace::new();
    workspace.write("profiles/case.yaml", &text);
    let variables = Variables::empty().with("PG_PASS", "a-long-random-value-from-a-vault");
    workspace
        .load("case", &variables)
        .expect("environment-provided password is accepted");
}

#[test]
fn production_rejects_empty_passwords() {
    let text = production(&with(
        "      POSTGRES_USER: tm",
        "      POSTGRES_USER: tm\n      REDIS_PASSWORD: \"\"",
    ));
    let message = error_of(&text);
    assert_has(
        &message,
        &[
            "services.db.environment.REDIS_PASSWORD",
            "empty REDIS_PASSWORD",
        ],
    );
}

#[test]
fn production_rejects_a_literal_requirepass() {
    let text = production(&with(
        "    image: postgres:15\n",
        "    image: postgres:15\n    command: [\"redis-server\", \"--requirepass hunter2\"]\n",
    ));
    let message = error_of(&text);
    assert_has(
        &message,
        &["services.db.command[1]", "literal or empty requirepass"],
    );
}

#[test]
fn image_and_build_together() {
    let message = error_of(&with(
        "    build: service\n",
        "    build: service\n    image: nginx:1.22\n",
    ));
    assert_has(
        &message,
        &["services.api.image", "either `image` or `build: service`"],
    );
}

#[test]
fn neither_image_nor_build() {
    let message = error_of(&with("    build: service\n", ""));
    assert_has(&message, &["case.yaml:8:3", "services.api", "no image"]);
}

#[test]
fn unknown_build_target() {
    let message = error_of(&with("build: service", "build: ./Dockerfile"));
    assert_has(
        &message,
        &[
            "services.api.build",
            "unknown variant `./Dockerfile`",
            "service",
        ],
    );
}

#[test]
fn unknown_secret_name() {
    let message = error_of(&with(
        "secrets: [POSTGRES_PASSWORD]",
        "secrets: [DB_PASSWORD]",
    ));
    assert_has(
        &message,
        &[
            "services.db.secrets[0]",
            "unknown variant `DB_PASSWORD`",
            "POSTGRES_PASSWORD",
        ],
    );
}

#[test]
fn unknown_restart_policy() {
    let message = error_of(&with(
        "    replicas: 1\n",
        "    replicas: 1\n    restart: sometimes\n",
    ));
    assert_has(
        &message,
        &[
            "services.api.restart",
            "unknown variant `sometimes`",
            "unless-stopped",
        ],
    );
}

#[test]
fn uppercase_service_name() {
    let text = BASE.replace("  api:", "  Api:").replace("api", "Api");
    let message = error_of(&text);
    assert_has(
        &message,
        &["services.Api", "service name `Api` is not allowed"],
    );
}

#[test]
fn unknown_security_option() {
    let message = error_of(&with(
        "    replicas: 1\n",
        "    replicas: 1\n    security_opt: [privileged]\n",
    ));
    assert_has(
        &message,
        &[
            "services.api.security_opt[0]",
            "unknown security option `privileged`",
        ],
    );
}

#[test]
fn invalid_memory_size() {
    let message = error_of(&with(
        "    replicas: 1\n",
        "    replicas: 1\n    resources: { limits: { memory: lots } }\n",
    ));
    assert_has(
        &message,
        &[
            "services.api.resources.limits.memory",
            "invalid size `lots`",
            "512m",
        ],
    );
}

#[test]
fn reservation_above_limit() {
    let message = error_of(&with(
        "    replicas: 1\n",
        "    replicas: 1\n    resources:\n      limits: { memory: 256m }\n      reservations: { memory: 1g }\n",
    ));
    assert_has(
        &message,
        &[
            "services.api.resources.reservations.memory",
            "reservation 1g is above the limit 256m",
        ],
    );
}

const GATEWAY: &str = "gateway:\n  service: api\n  upstream: { service: api, port: 8000 }\n  ports:\n    http: 127.0.0.1:18081\n";

#[test]
fn gateway_service_must_exist() {
    let text = format!(
        "{BASE}{}",
        GATEWAY.replace("service: api\n", "service: nginx\n")
    );
    let message = error_of(&text);
    assert_has(&message, &["gateway.service", "unknown service `nginx`"]);
}

#[test]
fn https_port_without_tls() {
    let text = format!("{BASE}{GATEWAY}    https: 127.0.0.1:18443\n");
    let message = error_of(&text);
    assert_has(
        &message,
        &["gateway.tls", "TLS is not configured", "self_signed"],
    );
}

#[test]
fn invalid_rate_limit() {
    let text = format!("{BASE}{GATEWAY}  rate_limits:\n    login: {{ rate: 10 per second }}\n");
    let message = error_of(&text);
    assert_has(
        &message,
        &[
            "gateway.rate_limits.login.rate",
            "invalid rate `10 per second`",
            "10r/s",
        ],
    );
}

#[test]
fn gateway_port_clashes_with_a_service_port() {
    let text = format!("{BASE}{}", GATEWAY.replace("18081", "18080"));
    let message = error_of(&text);
    assert_has(
        &message,
        &["host port 127.0.0.1:18080 is also used by the gateway"],
    );
}

#[test]
fn extends_an_unknown_profile() {
    let message = error_of(&format!("extends: prd\n{BASE}"));
    assert_has(
        &message,
        &[
            "case.yaml:1:1",
            "extends",
            "extends unknown profile `prd`",
            "available profiles:",
        ],
    );
}

#[test]
fn extends_loop() {
    let workspace = Workspace::new();
    workspace.write("profiles/a.yaml", "extends: b\nservices: {}\n");
    workspace.write("profiles/b.yaml", "extends: a\nservices: {}\n");
    let message = workspace
        .load("a", &Variables::empty())
        .unwrap_err()
        .to_string();
    assert_has(&message, &["b.yaml", "makes a loop (a -> b -> a)"]);
}

#[test]
fn required_variable_is_missing() {
    let message = error_of(&with(
        "image: postgres:15",
        "image: ${PG_IMAGE:?set PG_IMAGE to the postgres image}",
    ));
    assert_has(
        &message,
        &[
            "case.yaml:19:5",
            "services.db.image",
            "variable PG_IMAGE is not set: set PG_IMAGE to the postgres image",
        ],
    );
}

#[test]
fn unterminated_interpolation() {
    let message = error_of(&with("image: postgres:15", "image: \"${PG_IMAGE\""));
    assert_has(&message, &["services.db.image", "unterminated `${`", "$$"]);
}

#[test]
fn interpolated_replicas_must_still_be_a_number() {
    let variables = Variables::empty().with("REPLICAS", "many");
    let message = error_with(&with("replicas: 1", "replicas: ${REPLICAS:-1}"), &variables);
    assert_has(&message, &["services.api.replicas", "many"]);
}

#[test]
fn empty_file() {
    let message = error_of("# nothing here\n");
    assert_has(&message, &["case.yaml", "the profile is empty"]);
}

#[test]
fn a_list_instead_of_a_mapping() {
    let message = error_of("- services\n- networks\n");
    assert_has(
        &message,
        &["case.yaml:1:1", "must be a mapping", "found a list"],
    );
}

#[test]
fn no_services() {
    let message = error_of("description: nothing\nservices: {}\n");
    assert_has(&message, &["services", "at least one service"]);
}

#[test]
fn malformed_dotenv_beside_the_profile() {
    let workspace = Workspace::new();
    workspace.write("profiles/case.yaml", BASE);
    workspace.write(".env", "TM_A=1\nthis is not a pair\n");
    let message = workspace
        .load("case", &Variables::empty())
        .unwrap_err()
        .to_string();
    assert_has(&message, &[".env:2:1", "is not KEY=VALUE"]);
}

#[test]
fn several_problems_are_reported_together() {
    let text = with("data:/var/lib", "dta:/var/lib")
        .replace("[backend]\n    depends_on", "[backnd]\n    depends_on");
    let message = error_of(&text);
    assert_has(
        &message,
        &[
            "2 problems",
            "unknown volume `dta`",
            "unknown network `backnd`",
        ],
    );
}

/// Every truncation and every single-line deletion of the built-in profiles loads or fails
/// cleanly; none panics.
#[test]
fn no_mangled_built_in_profile_panics() {
    let workspace = Workspace::new();
    let mut attempts = 0;
    for name in ["dev", "prod", "extended"] {
        let text = tmctl::assets::embedded_profile(name).expect("built-in profile");
        let lines: Vec<&str> = text.lines().collect();
        let mut variants: Vec<String> = (0..lines.len())
            .map(|skip| {
                lines
                    .iter()
                    .enumerate()
                    .filter(|(index, _)| *index != skip)
                    .map(|(_, line)| *line)
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .collect();
        variants.extend(
            (0..text.len())
                .step_by(37)
                .filter_map(|cut| text.get(..cut).map(str::to_owned)),
        );
        for variant in variants {
            let file = format!("profiles/{name}.yaml");
            workspace.write(&file, &variant);
            let _ = workspace.load(name, &Variables::empty());
            attempts += 1;
        }
    }
    assert!(attempts > 300, "only {attempts} variants tried");
}
