//! The original TradeMaster clients' flows, end to end over HTTP with a real worker:
//! upload → train → test, and upload → label → save → dynamics test.

use crate::common;

use std::time::Duration;

use crate::common::{Backend, TestService};
use axum::body::Body;
use axum::http::Request;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Value};
use tower::ServiceExt;

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
/// A short stretch of the BTC file keeps the debug-build tests quick.
const START: &str = "2019-01-01";
const END: &str = "2020-06-30";

async fn post(svc: &TestService, route: &str, body: Value) -> Value {
    let (status, value) = svc
        .post(&format!("/api/TradeMaster/{route}"), None, body)
        .await;
    assert!(status.is_success(), "{route}: {status} {value}");
    value
}

/// Uploads a shared data file as `<name>.csv`; returns its session.
async fn upload(svc: &TestService, data_file: &str, name: &str) -> Option<String> {
    let csv = common::data_file(data_file)?;
    let file = serde_json::to_string(&common::csv_rows::rows_of(&csv)).unwrap();
    let answer = post(
        svc,
        "upload_csv",
        json!({ "file_name": format!("{name}.csv"), "file": file }),
    )
    .await;
    assert_eq!(answer["error_code"], 0, "{answer}");
    Some(answer["session_id"].as_str().unwrap().to_string())
}

async fn upload_btc(svc: &TestService) -> Option<String> {
    upload(svc, "algorithmic_trading_BTC_data.csv", "BTC").await
}

/// Polls a status route until `end_field` is true; returns the last answer.
async fn wait_end(svc: &TestService, route: &str, body: Value, end_field: &str) -> Value {
    for _ in 0..1200 {
        let answer = post(svc, route, body.clone()).await;
        if answer[end_field] == true {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{route} never reported {end_field}");
}

fn assert_png(answer: &Value, field: &str) {
    let png = BASE64
        .decode(answer[field].as_str().unwrap_or_default())
        .unwrap_or_default();
    assert!(png.starts_with(PNG_MAGIC), "{field} is not a PNG: {answer}");
}

async fn train_dqn(svc: &TestService, session_id: &str) {
    let answer = post(
        svc,
        "train",
        json!({
            "session_id": session_id, "task_name": "algorithmic_trading",
            "dataset_name": "custom:BTC", "agent_name": "algorithmic_trading:dqn",
            "optimizer_name": "adam", "loss_name": "mse",
            "start_date": START, "end_date": END,
            "hyperparameters": { "epochs": 1, "learning_starts": 32 }, "seed": 3
        }),
    )
    .await;
    assert_eq!(answer["error_code"], 0, "{answer}");
    assert_eq!(answer["session_id"], session_id);
    let status = wait_end(
        svc,
        "train_status",
        json!({ "session_id": session_id }),
        "train_end",
    )
    .await;
    assert_eq!(status["error_code"], 0, "{status}");
    let info = status["info"].as_str().unwrap();
    assert!(info.contains("epoch 1/1"), "{info}");
    assert!(info.contains("training finished"), "{info}");
    assert_png(&status, "result_plot");
}

/// The `total_return` a test log line reports for `name`.
fn total_return(info: &str, name: &str) -> f64 {
    let line = info
        .lines()
        .find(|l| l.starts_with(&format!("{name}: total_return ")))
        .unwrap_or_else(|| panic!("no metrics line for {name} in {info}"));
    line[name.len() + 15..]
        .split(',')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

async fn upload_train_test(svc: TestService) {
    let workers = tmctl_service::Workers::spawn(svc.app.clone(), "flow-worker".into(), 1);
    let Some(session_id) = upload_btc(&svc).await else {
        return;
    };
    train_dqn(&svc, &session_id).await;

    let answer = post(&svc, "test", json!({ "session_id": session_id })).await;
    assert_eq!(answer["error_code"], 0, "{answer}");
    let status = wait_end(
        &svc,
        "test_status",
        json!({ "session_id": session_id }),
        "test_end",
    )
    .await;
    assert_eq!(status["error_code"], 0, "{status}");
    let info = status["info"].as_str().unwrap();
    for metric in [
        "total_return",
        "sharpe_ratio",
        "volatility",
        "max_drawdown",
        "calmar_ratio",
        "sortino_ratio",
    ] {
        assert!(info.contains(metric), "{metric} missing from {info}");
    }
    // Doing nothing keeps the cash: the metrics are computed, not invented.
    assert_eq!(total_return(info, "do_nothing"), 0.0, "{info}");
    let agent = total_return(info, "dqn");
    let hold = total_return(info, "buy_and_hold");
    assert!(
        agent.is_finite() && hold.is_finite() && hold != 0.0,
        "{info}"
    );
    assert_png(&status, "result_plot");
    workers.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_train_test_on_sqlite() {
    upload_train_test(TestService::start(Backend::Sqlite).await.unwrap()).await;
}

async fn upload_label_dynamics_test(svc: TestService) {
    let workers = tmctl_service::Workers::spawn(svc.app.clone(), "flow-worker".into(), 1);
    let Some(session_id) = upload_btc(&svc).await else {
        return;
    };
    train_dqn(&svc, &session_id).await;

    let answer = post(
        &svc,
        "start_market_dynamics_labeling",
        json!({
            "session_id": session_id, "dataset_name": "custom:BTC",
            "number_of_market_style": "3", "min_length_limit": "24", "filter_strength": "1",
            "max_length_expectation": "144", "key_indicator": "adjcp", "timestamp": "date",
            "tic": "tic", "labeling_method": "slope", "merging_metric": "DTW_distance",
            "merging_threshold": "0.03", "merging_dynamic_constraint": "1",
            "startDate": START, "endDate": END
        }),
    )
    .await;
    assert_eq!(answer["error_code"], 0, "{answer}");
    let status = wait_end(
        &svc,
        "MDM_status",
        json!({ "session_id": session_id }),
        "MDM_end",
    )
    .await;
    assert_eq!(status["error_code"], 0, "{status}");
    assert_png(&status, "market_dynamic_labeling_visulization");
    let analysis: Value = serde_json::from_slice(
        &BASE64
            .decode(status["market_dynamic_labeling_analysis"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let labels = analysis["tics"][0]["labels"].as_array().unwrap();
    assert_eq!(analysis["tics"][0]["tic"], "BTC", "{analysis}");
    let rows: u64 = labels.iter().map(|l| l["rows"].as_u64().unwrap()).sum();
    assert_eq!(rows, analysis["tics"][0]["rows"].as_u64().unwrap());
    let busiest = labels
        .iter()
        .max_by_key(|l| l["rows"].as_u64().unwrap())
        .unwrap()["label"]
        .as_u64()
        .unwrap();

    let answer = post(
        &svc,
        "save_market_dynamics_labeling",
        json!({ "session_id": session_id }),
    )
    .await;
    assert_eq!(answer["error_code"], 0, "{answer}");

    let request = json!({ "session_id": session_id, "dynamics_test_label": busiest });
    let answer = post(&svc, "run_dynamics_test", request.clone()).await;
    assert_eq!(answer["error_code"], 0, "{answer}");
    let status = wait_end(
        &svc,
        "dynamics_testing_status",
        request,
        "dynamics_testing_end",
    )
    .await;
    assert_eq!(status["error_code"], 0, "{status}");
    let info = status["info"].as_str().unwrap();
    assert!(info.contains("radar scores"), "{info}");
    assert_png(&status, "radar_plot");
    workers.shutdown().await;
}

/// EIIE on the 29 Dow Jones stocks of 2021: train, then test against the portfolio baselines.
async fn portfolio_train_test(svc: TestService) {
    let workers = tmctl_service::Workers::spawn(svc.app.clone(), "flow-worker".into(), 1);
    let Some(session_id) = upload(&svc, "portfolio_management_dj30_test.csv", "dj30").await else {
        return;
    };
    let answer = post(
        &svc,
        "train",
        json!({
            "session_id": session_id, "task_name": "portfolio_management",
            "dataset_name": "custom:dj30", "agent_name": "eiie",
            "optimizer_name": "adam", "loss_name": "mse",
            "hyperparameters": { "epochs": 1 }
        }),
    )
    .await;
    assert_eq!(answer["error_code"], 0, "{answer}");
    let status = wait_end(
        &svc,
        "train_status",
        json!({ "session_id": session_id }),
        "train_end",
    )
    .await;
    assert_eq!(status["error_code"], 0, "{status}");
    assert!(
        status["info"].as_str().unwrap().contains("29 tic(s)"),
        "{status}"
    );
    assert_png(&status, "result_plot");

    post(&svc, "test", json!({ "session_id": session_id })).await;
    let status = wait_end(
        &svc,
        "test_status",
        json!({ "session_id": session_id }),
        "test_end",
    )
    .await;
    assert_eq!(status["error_code"], 0, "{status}");
    let info = status["info"].as_str().unwrap();
    assert_eq!(total_return(info, "do_nothing"), 0.0, "{info}");
    for name in ["eiie", "buy_and_hold", "ucrp"] {
        assert!(total_return(info, name).is_finite(), "{info}");
    }
    assert_png(&status, "result_plot");
    workers.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portfolio_train_test_on_sqlite() {
    portfolio_train_test(TestService::start(Backend::Sqlite).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_label_dynamics_test_on_sqlite() {
    upload_label_dynamics_test(TestService::start(Backend::Sqlite).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_parameters_lists_the_catalog() {
    let svc = TestService::start(Backend::Sqlite).await.unwrap();
    let (_, params) = svc.get("/api/TradeMaster/getParameters", None).await;
    let catalog = tmctl_service::algo::catalog();
    let agents = catalog.qualified_agents();
    assert_eq!(params["agent_name"], json!(agents), "{params}");
    assert!(agents.contains(&"algorithmic_trading:dqn".to_string()));
    assert_eq!(
        params["task_name"],
        json!(["portfolio_management", "algorithmic_trading"])
    );
    assert_eq!(params["optimizer_name"], json!(catalog.optimizers));
    assert_eq!(params["loss_name"], json!(catalog.losses));
    assert_eq!(params["dataset_name"], json!([]));
}

/// `/api/v1/catalog`: every agent with its hyperparameters and their defaults, no login.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_route_lists_agents_with_their_hyperparameters() {
    let svc = TestService::start(Backend::Sqlite).await.unwrap();
    let (status, catalog) = svc.get("/api/v1/catalog", None).await;
    assert_eq!(status.as_u16(), 200, "{catalog}");
    assert_eq!(
        catalog,
        serde_json::to_value(tmctl_service::algo::catalog()).unwrap()
    );
    let dqn = catalog["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|task| task["agents"].as_array().unwrap())
        .find(|agent| agent["name"] == "dqn")
        .expect("dqn listed");
    assert!(
        dqn["default_hyperparameters"]["learning_rate"].is_f64(),
        "{dqn}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_of_another_task_is_refused() {
    let svc = TestService::start(Backend::Sqlite).await.unwrap();
    let answer = post(
        &svc,
        "train",
        json!({
            "task_name": "algorithmic_trading", "dataset_name": "custom:BTC",
            "agent_name": "portfolio_management:eiie", "optimizer_name": "adam", "loss_name": "mse"
        }),
    )
    .await;
    assert_eq!(answer["error_code"], 1, "{answer}");
    let info = answer["info"].as_str().unwrap();
    for allowed in [
        "algorithmic_trading:dqn",
        "algorithmic_trading:buy_and_hold",
        "algorithmic_trading:blind_bid",
        "algorithmic_trading:do_nothing",
    ] {
        assert!(info.contains(allowed), "{info}");
    }
    assert!(info.contains("portfolio_management:eiie"), "{info}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_names_the_serving_host() {
    let svc = TestService::start(Backend::Sqlite).await.unwrap();
    let host = tmctl_service::util::hostname();
    for uri in [
        "/health",
        "/api/TradeMaster/getParameters",
        "/no/such/route",
    ] {
        let response = svc
            .router
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(
            response.headers()["x-served-by"].to_str().unwrap(),
            host,
            "{uri}"
        );
    }
}

/// Polls a web API job until it ends; returns its last status.
async fn wait_job(svc: &TestService, token: &str, id: &str) -> Value {
    for _ in 0..1200 {
        let (_, job) = svc.get(&format!("/api/v1/jobs/{id}"), Some(token)).await;
        if ["succeeded", "failed", "cancelled"].contains(&job["state"].as_str().unwrap_or("")) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("job {id} never ended");
}

/// Web API: a strategy's train job, then its test job on the newest training.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_strategy_train_then_test() {
    let svc = TestService::start(Backend::Sqlite).await.unwrap();
    let Some(csv) = common::data_file("algorithmic_trading_BTC_data.csv") else {
        return;
    };
    let workers = tmctl_service::Workers::spawn(svc.app.clone(), "web-worker".into(), 1);
    let token = svc.user("carol").await;
    let (_, dataset) = svc.upload(&token, "BTC.csv", Body::from(csv)).await;
    let strategy = json!({ "name": "hold", "task": "algorithmic_trading",
        "agent": "buy_and_hold", "dataset_id": dataset["id"], "hyperparameters": {} });
    let (_, strategy) = svc.post("/api/v1/strategies", Some(&token), strategy).await;
    let mut ids = Vec::new();
    for kind in ["train", "test"] {
        let (_, job) = svc
            .post(
                "/api/v1/jobs",
                Some(&token),
                json!({ "strategy_id": strategy["id"], "kind": kind, "start": true }),
            )
            .await;
        let id = job["id"].as_str().unwrap().to_string();
        let job = wait_job(&svc, &token, &id).await;
        assert_eq!(job["state"], "succeeded", "{kind}: {job}");
        ids.push(id);
    }
    let (_, result) = svc
        .get(&format!("/api/v1/jobs/{}/result", ids[1]), Some(&token))
        .await;
    // The agent is buy and hold, so it matches its own baseline exactly.
    let metrics = &result["metrics"];
    assert!(metrics["total_return"].is_f64(), "{result}");
    assert_eq!(
        metrics["total_return"], metrics["baselines"]["buy_and_hold"]["total_return"],
        "{result}"
    );
    assert_ne!(metrics["total_return"], json!(0.0), "{result}");
    workers.shutdown().await;
}

/// Every agent of the catalog trains and tests through the compat routes on the shared
/// data (BTC for trading, dj30 for portfolios) and returns metrics and plots.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_agent_trains_and_tests_through_the_routes() {
    let svc = TestService::start(Backend::Sqlite).await.unwrap();
    let workers = tmctl_service::Workers::spawn(svc.app.clone(), "flow-worker".into(), 1);
    let catalog = tmctl_service::algo::catalog();
    let mut tried = 0;
    for task in &catalog.tasks {
        let (file, name, dates) = match task.name.as_str() {
            "algorithmic_trading" => (
                "algorithmic_trading_BTC_data.csv",
                "BTC",
                Some((START, END)),
            ),
            _ => ("portfolio_management_dj30_test.csv", "dj30", None),
        };
        for agent in &task.agents {
            let Some(session_id) = upload(&svc, file, name).await else {
                return;
            };
            let mut request = json!({
                "session_id": session_id, "task_name": task.name,
                "dataset_name": format!("custom:{name}"),
                "agent_name": format!("{}:{}", task.name, agent.name),
                "optimizer_name": "adam", "loss_name": "mse", "seed": 1,
            });
            if let Some((start, end)) = dates {
                request["start_date"] = json!(start);
                request["end_date"] = json!(end);
            }
            if agent.learns {
                let mut hyperparameters = json!({ "epochs": 1 });
                if agent
                    .default_hyperparameters
                    .get("learning_starts")
                    .is_some()
                {
                    hyperparameters["learning_starts"] = json!(32);
                }
                request["hyperparameters"] = hyperparameters;
            }
            let answer = post(&svc, "train", request).await;
            assert_eq!(answer["error_code"], 0, "{}: {answer}", agent.name);
            let status = wait_end(
                &svc,
                "train_status",
                json!({ "session_id": session_id }),
                "train_end",
            )
            .await;
            assert_eq!(status["error_code"], 0, "{}: {status}", agent.name);
            assert_png(&status, "result_plot");

            post(&svc, "test", json!({ "session_id": session_id })).await;
            let status = wait_end(
                &svc,
                "test_status",
                json!({ "session_id": session_id }),
                "test_end",
            )
            .await;
            assert_eq!(status["error_code"], 0, "{}: {status}", agent.name);
            let info = status["info"].as_str().unwrap();
            assert!(
                total_return(info, &agent.name).is_finite(),
                "{}: {info}",
                agent.name
            );
            assert_eq!(total_return(info, "do_nothing"), 0.0, "{info}");
            assert_png(&status, "result_plot");
            tried += 1;
        }
    }
    assert!(tried >= 7, "only {tried} agents tried");
    workers.shutdown().await;
}
