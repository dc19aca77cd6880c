//! Malformed profiles, continued: backup policy, networks and volumes, production safety,
//! update policies and hooks.

use crate::profiles_malformed::{assert_has, error_of, error_with, with, BASE};
use crate::support::Workspace;
use tmctl::profile::Variables;

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
