//! SQLite under concurrency: 8 clients replay the original TradeMaster client's flows
//! (upload_csv → train → train_status → test → test_status, then labeling → MDM_status →
//! save_market_dynamics_labeling → run_dynamics_test → dynamics_testing_status)
//! at once against one service with its job workers, and no request or job may fail.
//! `TMCTL_SOAK_SECS` sets the duration (20 s here; `bench/sqlite_soak.sh` runs 5 minutes).

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::common::{self, Backend, TestService};

const CLIENTS: usize = 8;

/// A random-walk market of one tic as TradeMaster CSV (the loader adds the features).
fn market_csv(days: usize, seed: u64) -> String {
    let mut csv = String::from("date,tic,open,high,low,close,adjcp\n");
    let mut close = 100.0f64;
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    for day in 0..days {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let step = ((state >> 33) as f64 / (1u64 << 31) as f64 - 0.5) * 0.04;
        let open = close;
        close *= 1.0 + step;
        let (high, low) = (open.max(close) * 1.003, open.min(close) * 0.997);
        let date = format!(
            "{:04}-{:02}-{:02}",
            2010 + day / 336,
            day % 336 / 28 + 1,
            day % 28 + 1
        );
        let _ = writeln!(csv, "{date},SYN,{open},{high},{low},{close},{close}");
    }
    csv
}

#[derive(Default)]
struct Tally {
    requests: u64,
    flows: u64,
    /// Answers with error_code 1 (or a non-200 status), with their route.
    failures: Vec<String>,
}

async fn call(svc: &TestService, tally: &Mutex<Tally>, route: &str, body: Value) -> Value {
    let (status, answer) = svc
        .post(&format!("/api/TradeMaster/{route}"), None, body)
        .await;
    let mut tally = tally.lock().await;
    tally.requests += 1;
    if !status.is_success() || answer["error_code"] != 0 {
        tally.failures.push(format!("{route}: {status} {answer}"));
    }
    answer
}

/// Polls a status route until its end flag; false when it never came.
async fn wait_end(
    svc: &TestService,
    tally: &Mutex<Tally>,
    route: &str,
    session_id: &str,
    end: &str,
) -> bool {
    for _ in 0..1200 {
        let answer = call(svc, tally, route, json!({ "session_id": session_id })).await;
        if answer[end] == true {
            return true;
        }
        if answer["error_code"] != 0 {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tally
        .lock()
        .await
        .failures
        .push(format!("{route} never ended"));
    false
}

/// The label with the most rows in the session's labeling, from MDM_status's analysis.
async fn busiest_label(svc: &TestService, session_id: &str) -> u64 {
    let (_, answer) = svc
        .post(
            "/api/TradeMaster/MDM_status",
            None,
            json!({ "session_id": session_id }),
        )
        .await;
    let analysis = BASE64
        .decode(
            answer["market_dynamic_labeling_analysis"]
                .as_str()
                .unwrap_or(""),
        )
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .unwrap_or(Value::Null);
    let labels = analysis["tics"][0]["labels"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    labels
        .iter()
        .max_by_key(|l| l["rows"].as_u64().unwrap_or(0))
        .and_then(|l| l["label"].as_u64())
        .unwrap_or(0)
}

/// One client's flows, repeated until `until`.
async fn client(svc: Arc<TestService>, tally: Arc<Mutex<Tally>>, n: usize, until: Instant) {
    let rows = common::csv_rows::rows_of(&market_csv(160, n as u64));
    let file = serde_json::to_string(&rows).unwrap_or_default();
    let name = format!("SYN{n}");
    while Instant::now() < until {
        let answer = call(
            &svc,
            &tally,
            "upload_csv",
            json!({ "file_name": format!("{name}.csv"), "file": file }),
        )
        .await;
        let Some(session_id) = answer["session_id"].as_str().map(str::to_string) else {
            continue;
        };
        let dataset = format!("custom:{name}");
        call(
            &svc,
            &tally,
            "train",
            json!({
                "session_id": session_id, "task_name": "algorithmic_trading",
                "dataset_name": dataset, "agent_name": "algorithmic_trading:dqn",
                "optimizer_name": "adam", "loss_name": "mse",
                "hyperparameters": { "epochs": 1, "learning_starts": 16 }, "seed": n
            }),
        )
        .await;
        if !wait_end(&svc, &tally, "train_status", &session_id, "train_end").await {
            continue;
        }
        call(&svc, &tally, "test", json!({ "session_id": session_id })).await;
        wait_end(&svc, &tally, "test_status", &session_id, "test_end").await;
        call(
            &svc,
            &tally,
            "start_market_dynamics_labeling",
            json!({
                "session_id": session_id, "dataset_name": dataset,
                "number_of_market_style": "3", "min_length_limit": "12", "filter_strength": "1",
                "max_length_expectation": "48", "key_indicator": "adjcp", "timestamp": "date",
                "tic": "tic", "labeling_method": "slope", "merging_metric": "DTW_distance",
                "merging_threshold": "0.03", "merging_dynamic_constraint": "1"
            }),
        )
        .await;
        if !wait_end(&svc, &tally, "MDM_status", &session_id, "MDM_end").await {
            continue;
        }
        let session = json!({ "session_id": session_id });
        call(
            &svc,
            &tally,
            "save_market_dynamics_labeling",
            session.clone(),
        )
        .await;
        let test = json!({ "session_id": session_id, "dynamics_test_label": busiest_label(&svc, &session_id).await });
        call(&svc, &tally, "run_dynamics_test", test.clone()).await;
        let status = "dynamics_testing_status";
        for _ in 0..1200 {
            let answer = call(&svc, &tally, status, test.clone()).await;
            if answer["dynamics_testing_end"] == true || answer["error_code"] != 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tally.lock().await.flows += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_clients_replay_the_compat_flows_on_sqlite() {
    let secs: u64 = std::env::var("TMCTL_SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let svc = Arc::new(TestService::start(Backend::Sqlite).await.unwrap());
    let workers = tmctl_service::Workers::spawn(svc.app.clone(), "soak".into(), 2);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| tokio::spawn(client(svc.clone(), tally.clone(), n, until)))
        .collect();
    for handle in clients {
        handle.await.unwrap();
    }
    let elapsed = started.elapsed();
    workers.shutdown().await;
    let failed_jobs = svc
        .count("SELECT COUNT(*) FROM jobs WHERE state IN ('failed', 'cancelled')")
        .await;
    let succeeded = svc
        .count("SELECT COUNT(*) FROM jobs WHERE state = 'succeeded'")
        .await;
    let tally = tally.lock().await;
    eprintln!(
        "sqlite soak: {CLIENTS} clients, {:.0} s: {} requests ({:.0}/s), {} complete flows, {succeeded} jobs succeeded, {failed_jobs} failed, {} failed answers",
        elapsed.as_secs_f64(),
        tally.requests,
        tally.requests as f64 / elapsed.as_secs_f64(),
        tally.flows,
        tally.failures.len()
    );
    let database_errors: Vec<&String> = tally
        .failures
        .iter()
        .filter(|f| {
            let f = f.to_lowercase();
            [
                "database",
                "sqlite",
                "locked",
                "i/o error",
                "internal error",
            ]
            .iter()
            .any(|word| f.contains(word))
        })
        .collect();
    assert!(
        database_errors.is_empty(),
        "database errors: {database_errors:#?}"
    );
    assert!(
        tally.failures.is_empty(),
        "failed answers: {:#?}",
        tally.failures
    );
    assert_eq!(failed_jobs, 0, "jobs failed or were cancelled");
    // The clients really ran: every one finished a flow, each flow runs 4 jobs.
    assert!(
        tally.flows >= CLIENTS as u64,
        "only {} flows finished",
        tally.flows
    );
    assert!(
        succeeded >= 3 * CLIENTS as i64,
        "only {succeeded} jobs succeeded"
    );
}
