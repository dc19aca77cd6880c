//! `tmctl backup` against a real dev stack: run, verify, restore, a killed dump, and the
//! scheduler's no-overlap and health behaviour.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::stack::{container_action, free_port, TestStack};
use crate::support::text;
use tmctl::backup::{Catalog, Outcome};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("runtime")
}

fn postgres(stack: &TestStack) -> String {
    format!("{}-postgres-1", stack.project)
}

/// Runs SQL in the stack's database through the Engine API; returns psql's output.
fn sql(stack: &TestStack, statement: &str) -> String {
    let name = postgres(stack);
    runtime().block_on(async {
        let docker = tmctl::engine::docker::connect().await.expect("engine");
        let output = tmctl::engine::ops::exec_capture(
            &docker,
            &name,
            &[
                "psql",
                "-X",
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-U",
                "trademaster",
                "-d",
                "trademaster",
                "-c",
                statement,
            ],
        )
        .await
        .expect("exec");
        assert_eq!(output.exit_code, 0, "{statement}: {}", output.stderr);
        output.stdout.trim().to_owned()
    })
}

/// Row count and a checksum of the content of each table, in table order.
fn fingerprint(stack: &TestStack, tables: &[&str]) -> Vec<String> {
    tables
        .iter()
        .map(|table| {
            sql(
                stack,
                &format!(
                    "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM {table} t"
                ),
            )
        })
        .collect()
}

fn backup_dir(stack: &TestStack) -> PathBuf {
    stack.path().join("backups").join(&stack.project)
}

fn files_ending(dir: &Path, suffix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok())
                .filter_map(|entry| entry.file_name().to_str().map(str::to_owned))
                .filter(|name| name.ends_with(suffix))
                .collect()
        })
        .unwrap_or_default()
}

/// Rows in every table of the public schema.
const TOTAL_ROWS: &str = "SELECT sum((xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', schemaname, tablename), false, true, '')))[1]::text::bigint) FROM pg_tables WHERE schemaname = 'public'";

/// Users registered and a dataset uploaded through the gateway, as a client would.
fn write_through_the_service(stack: &TestStack) {
    let client = reqwest::blocking::Client::new();
    for name in ["alice", "bob", "carol"] {
        let response = client
            .post(stack.url("/api/v1/auth/register"))
            .json(&serde_json::json!({ "username": name, "password": "correct-horse-battery" }))
            .send()
            .expect("register");
        assert!(
            response.status().is_success(),
            "register {name}: {}",
            response.status()
        );
    }
    let rows: Vec<serde_json::Value> = (0..50)
        .map(|day| {
            let price = 100.0 + f64::from(day);
            serde_json::json!({
                "date": format!("2024-01-{:02}", day % 28 + 1),
                "tic": "AAA", "open": price, "high": price + 1.0, "low": price - 1.0,
                "close": price, "adjcp": price,
            })
        })
        .collect();
    let response = client
        .post(stack.url("/api/TradeMaster/upload_csv"))
        .json(&serde_json::json!({
            "file_name": "prices.csv",
            "file": serde_json::to_string(&rows[..28]).expect("rows"),
        }))
        .send()
        .expect("upload_csv");
    let body: serde_json::Value = response.json().expect("upload_csv answer");
    assert_eq!(body["error_code"], 0, "{body}");
}

fn up(stack: &TestStack) {
    stack.tmctl_ok(&["up", "--wait", "--timeout", "180s"]);
}

#[test]
fn backup_restores_what_was_dropped_and_verify_catches_corruption() {
    let stack = TestStack::new("dev");
    up(&stack);
    write_through_the_service(&stack);
    sql(
        &stack,
        "CREATE TABLE trades (id bigint PRIMARY KEY, tic text, price numeric); \
         INSERT INTO trades SELECT g, 'T' || (g % 17), g * 1.5 FROM generate_series(1, 20000) g; \
         CREATE TABLE accounts (name text, balance bigint); \
         INSERT INTO accounts VALUES ('alice', 100), ('bob', 250);",
    );
    let tables = [
        "trades",
        "accounts",
        "users",
        "sessions",
        "datasets",
        "dataset_chunks",
    ];
    let before = fingerprint(&stack, &tables);
    assert!(
        before[2].starts_with("3:"),
        "three users registered: {before:?}"
    );
    let (expected_tables, expected_rows) = (
        sql(
            &stack,
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
        ),
        sql(&stack, TOTAL_ROWS),
    );

    let output = stack.tmctl_ok(&["backup", "run", "--json"]);
    let lines: Vec<serde_json::Value> = output
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines[0]["status"], "started", "{output}");
    let summary = lines.last().expect("a summary");
    assert_eq!(summary["event"], "summary", "{output}");
    let record: tmctl::backup::BackupRecord =
        serde_json::from_value(summary["result"].clone()).expect("record");
    assert_eq!(record.outcome, Outcome::Ok);
    assert_eq!(record.database, "trademaster");
    assert!(record.server_version.starts_with("15"), "{record:?}");
    assert_eq!(
        record.compression, "gzip:3",
        "zstd:3 falls back to gzip on 15"
    );
    let dir = backup_dir(&stack);
    let file = dir.join(record.file.clone().expect("file"));
    assert_eq!(std::fs::metadata(&file).unwrap().len(), record.size);
    assert!(files_ending(&dir, ".part").is_empty());

    let listed = stack.tmctl_ok(&["backup", "list"]);
    assert!(
        listed.contains(&record.id) && listed.contains(" ok "),
        "{listed}"
    );

    let verified = stack.tmctl_ok(&["backup", "verify", "latest"]);
    assert!(
        verified.contains(&format!("{expected_tables} tables, {expected_rows} rows")),
        "{verified}"
    );

    // A destructive change, then the restore brings back exactly what was there.
    sql(
        &stack,
        "DROP TABLE trades; UPDATE accounts SET balance = 0; TRUNCATE users, sessions, datasets CASCADE;",
    );
    assert_ne!(sql(&stack, "SELECT sum(balance) FROM accounts"), "350");
    let restored = stack.tmctl_ok(&["backup", "restore", "latest", "--yes"]);
    assert!(restored.contains("restored backup"), "{restored}");
    assert!(
        restored.contains(&format!("{}-service-1", stack.project)),
        "{restored}"
    );
    assert_eq!(fingerprint(&stack, &tables), before);
    let ps = stack.tmctl_ok(&["ps"]);
    assert!(
        ps.lines()
            .any(|line| line.starts_with("service") && line.contains("healthy")),
        "{ps}"
    );

    // Restore refuses without --yes when stdin is not a terminal.
    let refused = stack.tmctl(&["backup", "restore", "latest"]);
    assert!(!refused.status.success());
    assert!(text(&refused).1.contains("--yes"), "{:?}", text(&refused));

    // A flipped byte fails verification.
    let original = std::fs::read(&file).unwrap();
    let mut corrupted = original.clone();
    let middle = corrupted.len() / 2;
    corrupted[middle] ^= 0xff;
    std::fs::write(&file, &corrupted).unwrap();
    let output = stack.tmctl(&["backup", "verify", "latest"]);
    let (_, stderr) = text(&output);
    assert!(!output.status.success());
    assert!(stderr.contains("checksum mismatch"), "{stderr}");
    std::fs::write(&file, &original).unwrap();

    // The database container killed mid-dump: no final file, the failure is recorded.
    sql(
        &stack,
        "CREATE TABLE bulk AS SELECT g AS id, md5(g::text) AS a, md5((g * 7)::text) AS b \
         FROM generate_series(1, 3000000) g;",
    );
    let dumps_before = files_ending(&dir, ".dump");
    let child = stack
        .command(&["backup", "run"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let part = files_ending(&dir, ".dump.part");
        let size = part
            .first()
            .and_then(|name| std::fs::metadata(dir.join(name)).ok())
            .map(|m| m.len())
            .unwrap_or(0);
        if size > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the dump never started writing");
        std::thread::sleep(Duration::from_millis(20));
    }
    let name = postgres(&stack);
    container_action("kill", &name);
    let output = child.wait_with_output().unwrap();
    let (_, stderr) = text(&output);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("failed"), "{stderr}");
    assert_eq!(files_ending(&dir, ".dump"), dumps_before);
    assert!(files_ending(&dir, ".part").is_empty());
    let catalog = Catalog::load(&dir).unwrap();
    let last = catalog.latest().unwrap();
    assert_eq!(last.outcome, Outcome::Failed);
    assert!(last.error.is_some(), "{last:?}");
    assert_eq!(catalog.latest_good().unwrap().id, record.id);
}

fn spawn_scheduler(stack: &TestStack, port: u16, log: &Path) -> Child {
    stack
        .command(&[
            "backup",
            "schedule",
            "--cron",
            "*/2 * * * * *",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("RUST_LOG", "tmctl=info")
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(log).unwrap()))
        .spawn()
        .unwrap()
}

/// The scheduler's runs from its log: (started, finished) line numbers and durations.
fn runs_in_log(log: &Path) -> (Vec<&'static str>, Vec<u64>) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut events = Vec::new();
    let mut durations = Vec::new();
    for line in text.lines() {
        if line.contains("backup run starting") {
            events.push("start");
        } else if line.contains("run done:") || line.contains("run failed") {
            events.push("end");
            if let Some(ms) = line
                .split(" in ")
                .last()
                .and_then(|tail| tail.strip_suffix(" ms"))
                .and_then(|ms| ms.trim().parse().ok())
            {
                durations.push(ms);
            }
        }
    }
    (events, durations)
}

fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let response = reqwest::blocking::Client::new()
        .get(format!("http://127.0.0.1:{port}{path}"))
        .timeout(Duration::from_secs(5))
        .send()
        .ok()?;
    let status = response.status().as_u16();
    Some((status, response.text().unwrap_or_default()))
}

/// Polls until `check` passes or `limit` runs out.
fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    false
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn scheduler_never_overlaps_and_health_fails_when_backups_stop() {
    let stack = TestStack::new("dev");
    up(&stack);
    sql(
        &stack,
        "CREATE TABLE ticks AS SELECT g AS id FROM generate_series(1, 1000) g;",
    );
    // A session holding an exclusive lock for 5 s makes the first dump wait: a slow dump
    // spanning several 2-second ticks.
    let locker = {
        let name = postgres(&stack);
        std::thread::spawn(move || {
            runtime().block_on(async {
                let docker = tmctl::engine::docker::connect().await.unwrap();
                tmctl::engine::ops::exec_capture(
                    &docker,
                    &name,
                    &[
                        "psql", "-U", "trademaster", "-d", "trademaster", "-c",
                        "BEGIN; LOCK TABLE ticks IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(5); COMMIT;",
                    ],
                )
                .await
                .unwrap()
            })
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    let port = free_port();
    let log = stack.path().join("scheduler.log");
    let _scheduler = KillOnDrop(spawn_scheduler(&stack, port, &log));

    let good_runs = |count: usize| runs_in_log(&log).1.len() >= count;
    assert!(
        eventually(Duration::from_secs(90), || good_runs(3)),
        "three good runs: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert!(locker.join().unwrap().exit_code == 0);
    assert!(
        eventually(Duration::from_secs(20), || get(port, "/health")
            .is_some_and(|(status, _)| status == 200)),
        "healthy while backups succeed"
    );
    let (status, metrics) = get(port, "/metrics").unwrap();
    assert_eq!(status, 200);
    for name in [
        "tmctl_backup_last_success_timestamp_seconds",
        "tmctl_backup_last_duration_seconds",
        "tmctl_backup_last_size_bytes",
        "tmctl_backup_failures_total",
    ] {
        assert!(metrics.contains(name), "{metrics}");
    }

    // Runs never overlap, although the first one outlasted several 2-second ticks.
    let (events, durations) = runs_in_log(&log);
    assert!(
        durations.iter().any(|ms| *ms > 4000),
        "a slow dump: {durations:?}"
    );
    for (index, event) in events.iter().enumerate() {
        let expected = if index % 2 == 0 { "start" } else { "end" };
        assert_eq!(*event, expected, "runs overlap: {events:?}");
    }
    // Pruning after each good run keeps one backup per day: the newest (plus, at most,
    // one that finished a moment ago and awaits its prune).
    let catalog = Catalog::load(&backup_dir(&stack)).unwrap();
    assert!(catalog.backups.len() <= 2, "{:?}", catalog.backups);

    // The database goes away: backups fail, and /health turns failing within two periods.
    let name = postgres(&stack);
    container_action("stop", &name);
    assert!(
        eventually(Duration::from_secs(30), || get(port, "/health")
            .is_some_and(|(status, _)| status == 503)),
        "unhealthy once backups stop succeeding"
    );
    let (_, metrics) = get(port, "/metrics").unwrap();
    let failures: u64 = metrics
        .lines()
        .find_map(|line| line.strip_prefix("tmctl_backup_failures_total "))
        .and_then(|value| value.parse().ok())
        .unwrap();
    assert!(failures > 0, "{metrics}");
}
