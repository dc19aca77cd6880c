//! Two `tmctl serve` processes on one PostgreSQL (and Redis): a job created through one is
//! readable through the other, and when the process running it is killed with SIGKILL the
//! other finishes it once the lease has expired.

use crate::csv_rows;
use crate::support;

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const LEASE_SECS: u64 = 4;
/// Long enough (about 16 s on this machine) that A is still training when it is killed.
const EPOCHS: u64 = 250;
const ON_WORKER: &str = "attempt 1 started on worker ";
const TOKEN_KEY: &str = "token key shared by both replicas";

/// One `tmctl serve` process, killed when dropped.
struct Replica {
    child: Child,
    addr: SocketAddr,
    log: std::path::PathBuf,
}

impl Replica {
    fn start(name: &str, dir: &Path, database_url: &str, redis_url: Option<&str>) -> Replica {
        let addr = free_loopback_port();
        let log = dir.join(format!("{name}.log"));
        let log_file = std::fs::File::create(&log).expect("replica log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_tmctl"));
        command
            .args(["serve", "--listen", &addr.to_string(), "--data-dir"])
            .arg(dir.join(name))
            .env("DATABASE_URL", database_url)
            .env("TMCTL_TOKEN_KEY", TOKEN_KEY)
            .env("TMCTL_WORKERS", "1")
            .env("TMCTL_JOB_LEASE_SECS", LEASE_SECS.to_string())
            .env("TMCTL_CACHE_NAMESPACE", dir.file_name().unwrap())
            .env("RUST_LOG", "info")
            .env_remove("REDIS_URL")
            .stdout(Stdio::null())
            .stderr(log_file);
        if let Some(url) = redis_url {
            command.env("REDIS_URL", url);
        }
        let child = command.spawn().expect("start tmctl serve");
        let mut replica = Replica { child, addr, log };
        replica.wait_until_healthy();
        replica
    }

    fn wait_until_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("replica exited with {status}:\n{}", self.log_text());
            }
            let health = client().get(format!("http://{}/health", self.addr)).send();
            if health.is_ok_and(|answer| answer.status().is_success()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("replica never answered /health:\n{}", self.log_text());
    }

    fn post(&self, route: &str, body: Value) -> Value {
        let answer = client()
            .post(format!("http://{}/api/TradeMaster/{route}", self.addr))
            .json(&body)
            .send()
            .unwrap_or_else(|e| panic!("{route} through {}: {e}", self.addr));
        assert!(answer.status().is_success(), "{route}: {}", answer.status());
        answer.json().expect("JSON answer")
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client")
}

fn free_loopback_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address")
}

fn test_env(name: &str) -> Option<String> {
    let value = std::env::var(name).ok().filter(|v| !v.is_empty());
    if value.is_none() && std::env::var_os("CI").is_some() {
        panic!("{name} is required under CI; tests/run-all.sh starts a throwaway server");
    }
    value
}

/// A database of its own on the test server, created with psql.
fn fresh_database(admin_url: &str) -> String {
    let name = format!(
        "tmctl_replicas_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );
    let created = Command::new("psql")
        .args([admin_url, "-q", "-c", &format!("CREATE DATABASE {name}")])
        .output()
        .expect("run psql");
    assert!(created.status.success(), "{}", support::text(&created).1);
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("database URL with a path");
    format!("{base}/{name}")
}

fn btc_rows() -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/trademaster/algorithmic_trading_BTC_data.csv");
    let Ok(csv) = std::fs::read_to_string(&path) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "missing {}",
            path.display()
        );
        return None;
    };
    let rows = csv_rows::rows_of(&csv);
    Some(serde_json::to_string(&rows).expect("rows as JSON"))
}

/// Polls train_status through `replica` until `done` holds for the answer.
fn poll_train_status(
    replica: &Replica,
    session_id: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut last = Value::Null;
    while Instant::now() < deadline {
        last = replica.post("train_status", json!({ "session_id": session_id }));
        if done(&last) {
            return last;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} never happened; last train_status: {}", info(&last));
}

fn info(answer: &Value) -> &str {
    answer["info"].as_str().unwrap_or_default()
}

#[test]
fn a_job_survives_the_sigkill_of_the_replica_running_it() {
    let Some(admin_url) = test_env("TMCTL_TEST_DATABASE_URL") else {
        eprintln!("skipping: TMCTL_TEST_DATABASE_URL is not set");
        return;
    };
    if !support::require_tool("psql") {
        return;
    }
    let redis_url = test_env("TMCTL_TEST_REDIS_URL");
    let Some(rows) = btc_rows() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database(&admin_url);

    // Only A runs at first, so A leases the job.
    let mut a = Replica::start("a", dir.path(), &database_url, redis_url.as_deref());
    let uploaded = a.post(
        "upload_csv",
        json!({ "file_name": "BTC.csv", "file": rows }),
    );
    assert_eq!(uploaded["error_code"], 0, "{}", info(&uploaded));
    let session_id = uploaded["session_id"]
        .as_str()
        .expect("session id")
        .to_string();
    let trained = a.post(
        "train",
        json!({
            "session_id": session_id, "task_name": "algorithmic_trading",
            "dataset_name": "custom:BTC", "agent_name": "algorithmic_trading:dqn",
            "optimizer_name": "adam", "loss_name": "mse",
            "start_date": "2019-01-01", "end_date": "2020-06-30",
            "hyperparameters": { "epochs": EPOCHS, "learning_starts": 32 }, "seed": 5
        }),
    );
    assert_eq!(trained["error_code"], 0, "{}", info(&trained));
    let running = poll_train_status(&a, &session_id, "A starting the job", |answer| {
        info(answer).contains(ON_WORKER)
    });
    assert!(
        info(&running).contains(&format!("-{}-", a.pid())),
        "attempt 1 is not on A (pid {}): {}",
        a.pid(),
        info(&running)
    );

    // B sees the job A is running, and does not take it while A's heartbeats renew the lease.
    let b = Replica::start("b", dir.path(), &database_url, redis_url.as_deref());
    let seen = b.post("train_status", json!({ "session_id": session_id }));
    assert_eq!(seen["error_code"], 0, "{}", info(&seen));
    assert!(info(&seen).contains(ON_WORKER), "{}", info(&seen));
    std::thread::sleep(Duration::from_secs(LEASE_SECS) * 3 / 2);
    let still = b.post("train_status", json!({ "session_id": session_id }));
    assert_eq!(
        still["train_end"],
        false,
        "the job ended before A could be killed; raise EPOCHS: {}",
        info(&still)
    );
    assert!(!info(&still).contains("lease expired"), "{}", info(&still));

    a.child.kill().expect("SIGKILL A");
    a.child.wait().expect("reap A");
    let killed = Instant::now();

    let retried = poll_train_status(&b, &session_id, "B taking the job over", |answer| {
        info(answer).contains("attempt 2 started")
    });
    let taken_over_after = killed.elapsed();
    assert!(
        info(&retried).contains("lease expired on attempt 1; queued again"),
        "{}",
        info(&retried)
    );
    // A renewed its lease at most a third of a lease before the kill.
    assert!(
        taken_over_after >= Duration::from_secs(LEASE_SECS) * 2 / 3,
        "B took the job {taken_over_after:?} after the kill, before A's lease ran out"
    );

    let finished = poll_train_status(&b, &session_id, "B finishing the job", |answer| {
        answer["train_end"] == true
    });
    let log = info(&finished);
    assert_eq!(finished["error_code"], 0, "{log}\n{}", b.log_text());
    let attempt_two = log
        .lines()
        .find(|line| line.contains("attempt 2 started on worker "))
        .unwrap_or_default();
    assert!(
        attempt_two.contains(&format!("-{}-", b.pid())),
        "attempt 2 is not on B (pid {}): {log}",
        b.pid()
    );
    assert!(!log.contains("attempt 3"), "{log}");
    assert!(log.contains("training finished"), "{log}");
    assert!(
        finished["result_plot"]
            .as_str()
            .is_some_and(|p| p.len() > 100),
        "no plot: {log}"
    );
    eprintln!(
        "B took the job over {taken_over_after:?} after A was killed, finished it {:?} after",
        killed.elapsed()
    );
}
