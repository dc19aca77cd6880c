//! The extended profile end to end on the real Engine, Grafana left out (no image here):
//! every Prometheus target up, every dashboard query answered, the backup alert and the
//! PostgreSQL alert firing in Alertmanager, and the latter resolving. One stack for all
//! of it, with short scrape, evaluation and `for:` intervals from the profile's variables.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::stack::{free_port, TestStack};
use crate::support::text;

struct Monitoring {
    prometheus: String,
    alertmanager: String,
    client: reqwest::blocking::Client,
}

impl Monitoring {
    fn get(&self, url: &str) -> Option<Value> {
        let response = self.client.get(url).send().ok()?;
        response
            .status()
            .is_success()
            .then(|| response.json().ok())
            .flatten()
    }

    /// The result vector of an instant query (empty on any error).
    fn query(&self, expr: &str) -> Vec<Value> {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/api/v1/query", self.prometheus),
            &[("query", expr)],
        )
        .expect("query URL");
        self.get(url.as_str())
            .and_then(|body| body["data"]["result"].as_array().cloned())
            .unwrap_or_default()
    }

    /// Alertmanager's active (or suppressed) alerts by name.
    fn alerts(&self) -> BTreeSet<String> {
        self.get(&format!("{}/api/v2/alerts", self.alertmanager))
            .and_then(|body| body.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|alert| alert["labels"]["alertname"].as_str().map(str::to_owned))
            .collect()
    }
}

/// Polls `check` every 500 ms until it is true; the time it took, or a panic naming `what`.
fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    loop {
        if check() {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Stops or starts a container through the Engine API.
fn set_running(name: &str, running: bool) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let docker = tmctl::engine::docker::connect().await.expect("engine");
        let result = if running {
            tmctl::engine::ops::start(&docker, name)
                .await
                .map_err(|e| e.to_string())
        } else {
            docker
                .stop_container(name, None)
                .await
                .map_err(|e| e.to_string())
        };
        result.unwrap_or_else(|error| panic!("{name} running={running}: {error}"));
    });
}

#[test]
fn extended_stack_targets_dashboards_and_alerts_work_end_to_end() {
    let (https, prometheus, alertmanager) = (free_port(), free_port(), free_port());
    let stack = TestStack::new("extended")
        .env("TM_HTTP_BIND", "127.0.0.1")
        .env("TM_HTTPS_BIND", "127.0.0.1")
        .env("TM_HTTPS_PORT", &https.to_string())
        .env("TM_PROMETHEUS_PORT", &prometheus.to_string())
        .env("TM_ALERTMANAGER_PORT", &alertmanager.to_string())
        .env("TM_SERVICE_REPLICAS", "1")
        .env("TM_SCRAPE_INTERVAL", "2s")
        .env("TM_EVALUATION_INTERVAL", "2s")
        .env("TM_ALERT_FOR_OUTAGE", "10s")
        .env("TM_BACKUP_SCHEDULE", "* * * * *");
    let backups = stack.path().join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    // node-exporter (nobody) reads tmctl's probe results from here, through /host.
    let metrics = stack.path().join("metrics");
    std::fs::create_dir_all(&metrics).unwrap();
    std::fs::set_permissions(stack.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let stack = stack
        .env("TM_BACKUP_DIR", backups.to_str().unwrap())
        .env("TM_METRICS_DIR", metrics.to_str().unwrap());

    let started = Instant::now();
    stack.tmctl_ok(&["up", "--without", "grafana", "--wait", "--timeout", "240s"]);
    let up_took = started.elapsed();
    let monitoring = Monitoring {
        prometheus: format!("http://127.0.0.1:{prometheus}"),
        alertmanager: format!("http://127.0.0.1:{alertmanager}"),
        client: reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap(),
    };

    // Every target up: the service replica, the backup scheduler, Prometheus itself,
    // Alertmanager and the four exporters.
    let wanted: BTreeSet<&str> = [
        "alertmanager",
        "backup",
        "nginx",
        "node",
        "postgres",
        "prometheus",
        "redis",
        "service",
    ]
    .into();
    let mut targets = Vec::new();
    let targets_took = wait_for("every target up == 1", Duration::from_secs(60), || {
        let up = monitoring.query("up");
        let jobs: BTreeSet<&str> = up
            .iter()
            .filter(|sample| sample["value"][1] == "1")
            .filter_map(|sample| sample["metric"]["job"].as_str())
            .collect();
        targets = up
            .iter()
            .map(|s| {
                format!(
                    "{} {} up={}",
                    s["metric"]["job"], s["metric"]["instance"], s["value"][1]
                )
            })
            .collect();
        jobs == wanted && up.iter().all(|sample| sample["value"][1] == "1")
    });
    eprintln!(
        "every target up {:.1?} after `up` started from nothing (`up` took {up_took:.1?}):",
        up_took + targets_took
    );
    for target in &targets {
        eprintln!("  {target}");
    }

    let health = stack.tmctl(&["health"]);
    let (report, _) = text(&health);
    for probe in ["prometheus", "alertmanager"] {
        assert!(
            report
                .lines()
                .any(|line| line.starts_with(probe) && line.contains(" ok ")),
            "{report}"
        );
    }
    assert!(
        report
            .lines()
            .any(|line| line.starts_with("grafana") && line.contains("not deployed")),
        "{report}"
    );

    // Traffic through the gateway (TLS, inside its container): good answers and 404s.
    let traffic = "for i in $(seq 20); do curl -sk -o /dev/null https://127.0.0.1/ready; curl -sk -o /dev/null https://127.0.0.1/api/v1/no-such-route; done";
    // Global flags first: the ones `TestStack` appends land after `--`, as `sh`'s `$0...`.
    let project = stack.project.clone();
    stack.tmctl_ok(&[
        "--profile",
        "extended",
        "--project",
        &project,
        "exec",
        "gateway",
        "--",
        "sh",
        "-c",
        traffic,
    ]);

    // tmctl's own probe results, as cron would write them, reach Prometheus.
    let textfile = metrics.join("tmctl.prom");
    stack.tmctl(&[
        "health",
        "--prometheus",
        "--textfile",
        textfile.to_str().unwrap(),
    ]);
    let written = std::fs::read_to_string(&textfile).expect("probe results written");
    assert!(written.contains("tmctl_probe_up{"), "{written}");

    // Every dashboard panel's query returns data.
    let out = stack.path().join("rendered");
    stack.tmctl_ok(&["render", "--out", out.to_str().unwrap()]);
    let mut queries = Vec::new();
    for entry in std::fs::read_dir(out.join("dashboards")).expect("dashboards") {
        let path = entry.unwrap().path();
        let dashboard: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for panel in dashboard["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().unwrap() {
                queries.push((
                    format!("{} / {}", dashboard["title"], panel["title"]),
                    target["expr"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    assert!(queries.len() >= 30, "{} queries", queries.len());
    let dashboards_took = wait_for(
        "every dashboard query answered",
        Duration::from_secs(60),
        || {
            queries
                .iter()
                .all(|(_, expr)| !monitoring.query(expr).is_empty())
        },
    );
    eprintln!(
        "{} dashboard queries answered after {dashboards_took:.1?}",
        queries.len()
    );

    // The database refuses connections: the next run of the one-minute schedule fails
    // and the backup alert fires (the exporter stays connected to `postgres`).
    let allow = |allowed: bool| {
        let sql = format!(
            "psql -v ON_ERROR_STOP=1 -U trademaster -d postgres -c 'ALTER DATABASE trademaster ALLOW_CONNECTIONS {allowed}'"
        );
        let project = project.as_str();
        stack.tmctl_ok(&[
            "--profile",
            "extended",
            "--project",
            project,
            "exec",
            "postgres",
            "--",
            "sh",
            "-c",
            &sql,
        ]);
    };
    allow(false);
    let backup_fired = wait_for(
        "TmctlBackupFailed in Alertmanager",
        Duration::from_secs(100),
        || monitoring.alerts().contains("TmctlBackupFailed"),
    );
    allow(true);
    eprintln!("TmctlBackupFailed firing {backup_fired:.1?} after the database refused connections");

    // PostgreSQL stopped: its alert fires within 2 minutes, and resolves once it is back.
    let postgres = format!("{}-postgres-1", stack.project);
    set_running(&postgres, false);
    let fired = wait_for(
        "TmctlPostgresDown in Alertmanager",
        Duration::from_secs(120),
        || monitoring.alerts().contains("TmctlPostgresDown"),
    );
    set_running(&postgres, true);
    let resolved = wait_for(
        "TmctlPostgresDown resolved",
        Duration::from_secs(120),
        || !monitoring.alerts().contains("TmctlPostgresDown"),
    );
    eprintln!("TmctlPostgresDown firing {fired:.1?} after the stop, resolved {resolved:.1?} after the start");
}

const GRAFANA_IMAGE: &str = "grafana/grafana:10.4.2";

fn image_present(image: &str) -> bool {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let docker = tmctl::engine::docker::connect().await.expect("engine");
        docker.inspect_image(image).await.is_ok()
    })
}

fn extended_on_free_ports() -> TestStack {
    let stack = TestStack::new("extended");
    let backups = stack.path().join("backups");
    std::fs::create_dir_all(&backups).expect("backups directory");
    stack
        .env("TM_HTTP_BIND", "127.0.0.1")
        .env("TM_HTTPS_BIND", "127.0.0.1")
        .env("TM_HTTPS_PORT", &free_port().to_string())
        .env("TM_PROMETHEUS_PORT", &free_port().to_string())
        .env("TM_ALERTMANAGER_PORT", &free_port().to_string())
        .env("TM_GRAFANA_PORT", &free_port().to_string())
        .env("TM_SERVICE_REPLICAS", "1")
        .env("TM_BACKUP_DIR", backups.to_str().expect("utf-8 path"))
}

#[test]
fn without_the_grafana_image_up_changes_nothing_and_names_the_remedies() {
    if image_present(GRAFANA_IMAGE) {
        eprintln!("skipped: {GRAFANA_IMAGE} is present, so `up` would not stop for it");
        return;
    }
    let stack = extended_on_free_ports();
    let output = stack.tmctl(&["up", "--timeout", "60s"]);
    let (stdout, stderr) = text(&output);
    assert!(!output.status.success(), "{stdout}\n{stderr}");
    for remedy in [
        "tmctl images load",
        "tmctl images save",
        "--without grafana",
    ] {
        assert!(stderr.contains(remedy), "no `{remedy}` in:\n{stderr}");
    }
    let ps = stack.tmctl_ok(&["ps", "--json"]);
    let containers: Value = serde_json::from_str(&ps).expect("ps --json");
    assert_eq!(
        containers.as_array().map(Vec::len),
        Some(0),
        "up created containers before stopping: {ps}"
    );
    let plan = stack.tmctl(&["plan", "--without", "grafana"]);
    let (plan_out, plan_err) = text(&plan);
    assert!(
        !plan_out.contains("grafana") && plan_out.contains("prometheus"),
        "{plan_out}\n{plan_err}"
    );
}

#[test]
fn with_the_grafana_image_its_datasource_and_dashboards_are_provisioned() {
    if !image_present(GRAFANA_IMAGE) {
        eprintln!(
            "skipped: {GRAFANA_IMAGE} is not on this Engine (`tmctl images load FILE` it to run this test)"
        );
        return;
    }
    let port = free_port();
    let stack = extended_on_free_ports().env("TM_GRAFANA_PORT", &port.to_string());
    stack.tmctl_ok(&["up", "--wait", "--timeout", "240s"]);
    let secrets = std::fs::read_to_string(
        stack
            .path()
            .join(".tmctl")
            .join(&stack.project)
            .join("secrets.env"),
    )
    .expect("secrets.env");
    let password = secrets
        .lines()
        .find_map(|line| line.strip_prefix("GF_SECURITY_ADMIN_PASSWORD="))
        .expect("grafana password")
        .trim_matches('\'')
        .trim_matches('"')
        .to_owned();
    let client = reqwest::blocking::Client::new();
    let get = |path: &str| -> Value {
        client
            .get(format!("http://127.0.0.1:{port}{path}"))
            .basic_auth("admin", Some(&password))
            .send()
            .and_then(|response| response.json())
            .unwrap_or(Value::Null)
    };
    let datasource = get("/api/datasources/uid/prometheus");
    assert_eq!(datasource["type"], "prometheus", "{datasource}");
    let found = get("/api/search?tag=tmctl");
    let uids: BTreeSet<&str> = found
        .as_array()
        .map(|list| list.iter().filter_map(|d| d["uid"].as_str()).collect())
        .unwrap_or_default();
    for uid in [
        "tmctl-overview",
        "tmctl-api",
        "tmctl-jobs",
        "tmctl-postgres",
        "tmctl-redis",
        "tmctl-backups",
    ] {
        assert!(
            uids.contains(uid),
            "dashboard {uid} not provisioned: {found}"
        );
    }
}
