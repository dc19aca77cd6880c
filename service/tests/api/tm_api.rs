use crate::common;

use crate::common::TestService;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};

/// Posts a raw body without Content-Type, as the original clients may.
async fn post_raw(svc: &TestService, route: &str, body: &str) -> (StatusCode, Value) {
    let request = Request::post(format!("/api/TradeMaster/{route}"))
        .body(Body::from(body.to_string()))
        .unwrap();
    let (status, bytes) = svc.send(request).await;
    (status, serde_json::from_slice(&bytes).unwrap())
}

async fn post(svc: &TestService, route: &str, body: Value) -> Value {
    let (status, value) = post_raw(svc, route, &body.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{route}: {value}");
    value
}

async fn upload_csv_then_download_csv(svc: TestService) {
    let Some(csv) = common::data_file("algorithmic_trading_FX_data.csv") else {
        return;
    };
    let rows = common::csv_rows::rows_of(&csv);
    let file = serde_json::to_string(&rows).unwrap();
    let answer = post(
        &svc,
        "upload_csv",
        json!({ "file_name": "FX_data.csv", "file": file }),
    )
    .await;
    assert_eq!(answer["error_code"], 0, "{answer}");
    assert_eq!(answer["upload_finished"], true);
    let session_id = answer["session_id"].as_str().unwrap();

    let answer = post(&svc, "download_csv", json!({ "session_id": session_id })).await;
    assert_eq!(answer["error_code"], 0, "{answer}");
    assert_eq!(answer["filename"], "FX_data");
    assert!(
        answer["data"].as_str().unwrap() == csv,
        "download_csv differs from the uploaded rows"
    );

    // The upload shows up for labeling as custom:<name>.
    let answer = post(
        &svc,
        "evaluation_getParameters",
        json!({ "session_id": session_id }),
    )
    .await;
    assert_eq!(
        answer["dataset_name"],
        json!(["custom:FX_data"]),
        "{answer}"
    );
    assert_eq!(answer["number_of_market_style"]["custom:FX_data"], 3);

    // Numbers as JSON numbers come back as the same numbers.
    let numeric = json!([
        { "date": "2020-01-02", "tic": "A", "open": 1.5, "high": 2, "low": 1, "close": 1.25 },
        { "date": "2020-01-03", "tic": "A", "open": 1.5, "high": 2, "low": 1, "close": 1.75 }
    ]);
    let answer = post(
        &svc,
        "upload_csv",
        json!({ "file_name": "n.csv", "file": numeric.to_string(), "session_id": session_id }),
    )
    .await;
    assert_eq!(answer["error_code"], 0, "{answer}");
    let answer = post(&svc, "download_csv", json!({ "session_id": session_id })).await;
    assert_eq!(
        answer["data"],
        "date,tic,open,high,low,close\n2020-01-02,A,1.5,2,1,1.25\n2020-01-03,A,1.5,2,1,1.75\n"
    );
}
on_both_backends!(csv_round_trip, super::upload_csv_then_download_csv);

async fn upload_csv_errors(svc: TestService) {
    let good =
        json!([{ "date": "2020-01-02", "tic": "A", "open": 1, "high": 1, "low": 1, "close": 1 }])
            .to_string();
    let (status, answer) = post_raw(&svc, "upload_csv", "{\"file_name\": ").await;
    assert_eq!(
        (status, answer["error_code"].clone()),
        (StatusCode::OK, json!(1))
    );
    assert!(
        answer["info"].as_str().unwrap().contains("not valid JSON"),
        "{answer}"
    );

    let answer = post(&svc, "upload_csv", json!({ "file": good })).await;
    assert_eq!(answer["error_code"], 1);
    assert_eq!(answer["info"], "missing required field file_name");

    let answer = post(
        &svc,
        "upload_csv",
        json!({ "file_name": "x.csv", "file": good, "session_id": "nope" }),
    )
    .await;
    assert_eq!(answer["error_code"], 1);
    assert!(
        answer["info"]
            .as_str()
            .unwrap()
            .contains("unknown session_id \"nope\""),
        "{answer}"
    );

    let (status, answer) = post_raw(
        &svc,
        "upload_csv",
        &json!({ "file_name": "x.xlsx", "file": good }).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer, json!({ "error": "Only support csv file" }));

    let answer = post(
        &svc,
        "upload_csv",
        json!({ "file_name": "../x.csv", "file": good }),
    )
    .await;
    assert_eq!(answer["error_code"], 1);
    assert!(
        answer["info"].as_str().unwrap().contains("plain name"),
        "{answer}"
    );

    let no_close =
        json!([{ "date": "2020-01-02", "tic": "A", "open": 1, "high": 1, "low": 1 }]).to_string();
    let answer = post(
        &svc,
        "upload_csv",
        json!({ "file_name": "x.csv", "file": no_close }),
    )
    .await;
    assert_eq!(answer["error_code"], 1);
    assert!(
        answer["info"]
            .as_str()
            .unwrap()
            .contains("required column(s) close"),
        "{answer}"
    );

    let bad_price =
        json!([{ "date": "2020-01-02", "tic": "A", "open": 1, "high": 1, "low": 1, "close": "x" }])
            .to_string();
    let answer = post(
        &svc,
        "upload_csv",
        json!({ "file_name": "x.csv", "file": bad_price }),
    )
    .await;
    assert!(
        answer["info"]
            .as_str()
            .unwrap()
            .contains("row 1 (line 2): close \"x\""),
        "{answer}"
    );

    let answer = post(
        &svc,
        "upload_csv",
        json!({ "file_name": "x.csv", "file": "[]" }),
    )
    .await;
    assert!(
        answer["info"].as_str().unwrap().contains("empty"),
        "{answer}"
    );

    assert_eq!(svc.count("SELECT COUNT(*) FROM datasets").await, 0);
    assert_eq!(svc.count("SELECT COUNT(*) FROM dataset_chunks").await, 0);
    assert_eq!(
        svc.count("SELECT COUNT(*) FROM sessions").await,
        0,
        "failed uploads left sessions"
    );

    let answer = post(&svc, "download_csv", json!({ "session_id": "nope" })).await;
    assert_eq!(answer["error_code"], 1);
}
on_both_backends!(upload_errors, super::upload_csv_errors);

async fn jobs_refuse_what_they_cannot_run(svc: TestService) {
    let params = svc.get("/api/TradeMaster/getParameters", None).await.1;
    assert_eq!(params["error_code"], 0);
    for key in [
        "task_name",
        "dataset_name",
        "optimizer_name",
        "loss_name",
        "agent_name",
    ] {
        assert!(params[key].is_array(), "{key}: {params}");
    }
    let train = json!({
        "task_name": "portfolio_management", "dataset_name": "portfolio_management:dj30",
        "agent_name": "portfolio_management:eiie", "optimizer_name": "adam", "loss_name": "mse"
    });
    let answer = post(&svc, "train", train).await;
    assert_eq!(answer["error_code"], 1);
    assert!(
        answer["info"]
            .as_str()
            .unwrap()
            .contains("dataset_name \"portfolio_management:dj30\" is not available"),
        "{answer}"
    );

    let answer = post(
        &svc,
        "train",
        json!({ "task_name": "portfolio_management" }),
    )
    .await;
    assert_eq!(answer["info"], "missing required field dataset_name");

    let answer = post(&svc, "train_status", json!({ "session_id": "unknown" })).await;
    assert_eq!(answer["error_code"], 1);
    assert!(answer["info"]
        .as_str()
        .unwrap()
        .contains("unknown session_id"));

    let labeling = json!({
        "dataset_name": "custom:none", "number_of_market_style": "3", "min_length_limit": "24",
        "filter_strength": "1", "max_length_expectation": "144", "key_indicator": "adjcp",
        "timestamp": "date", "tic": "tic", "labeling_method": "slope", "merging_metric": "DTW_distance",
        "merging_threshold": "0.03", "merging_dynamic_constraint": "1"
    });
    let answer = post(&svc, "start_market_dynamics_labeling", labeling.clone()).await;
    assert_eq!(answer["error_code"], 1);
    assert!(
        answer["info"]
            .as_str()
            .unwrap()
            .contains("upload_csv first"),
        "{answer}"
    );
    let mut bad = labeling;
    bad["min_length_limit"] = json!("many");
    let answer = post(&svc, "start_market_dynamics_labeling", bad).await;
    assert_eq!(
        answer["info"],
        "field min_length_limit must be a number, got \"many\""
    );

    let health = svc.get("/api/TradeMaster/healthcheck", None).await.1;
    assert_eq!(health["error_code"], 0);
    assert_eq!(health["info"], "health check");
    assert_eq!(
        svc.count("SELECT COUNT(*) FROM jobs").await,
        0,
        "no job may be queued that cannot run"
    );
}
on_both_backends!(refused_jobs, super::jobs_refuse_what_they_cannot_run);
