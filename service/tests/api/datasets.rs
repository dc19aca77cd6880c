use crate::common;

use crate::common::TestService;
use axum::body::Body;
use axum::http::{Request, StatusCode};

const SMALL: &str = "date,tic,open,high,low,close,adjcp\n2020-01-02,AAPL,1,2,0.5,1.5,1.5\n2020-01-03,AAPL,1,2,0.5,1.6,1.6\n";

async fn no_dataset_rows(svc: &TestService) {
    assert_eq!(
        svc.count("SELECT COUNT(*) FROM datasets").await,
        0,
        "a failed upload left a dataset row"
    );
    assert_eq!(
        svc.count("SELECT COUNT(*) FROM dataset_chunks").await,
        0,
        "a failed upload left chunks"
    );
}

async fn upload_then_download_is_identical(svc: TestService) {
    let Some(csv) = common::data_file("portfolio_management_dj30_test.csv") else {
        return;
    };
    let token = svc.user("alice").await;
    let (status, info) = svc
        .upload(&token, "dj30_test.csv", Body::from(csv.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{info}");
    assert_eq!(info["size_bytes"], csv.len());
    assert_eq!(info["row_count"], csv.lines().count() - 1);
    assert_eq!(info["tics"].as_array().unwrap().len(), 29);
    let id = info["id"].as_str().unwrap();
    assert!(
        svc.count("SELECT COUNT(*) FROM dataset_chunks").await >= 2,
        "2.4 MB must span several chunks"
    );

    let request = Request::get(format!("/api/v1/datasets/{id}/download"))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let (status, bytes) = svc.send(request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        bytes == csv.as_bytes(),
        "downloaded bytes differ from the upload"
    );

    let (status, list) = svc.get("/api/v1/datasets", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["datasets"].as_array().unwrap().len(), 1);

    // Another user sees nothing of it.
    let other = svc.user("mallory").await;
    for path in [
        format!("/api/v1/datasets/{id}"),
        format!("/api/v1/datasets/{id}/download"),
    ] {
        let (status, body) = svc.get(&path, Some(&other)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    let (status, _) = svc
        .delete(&format!("/api/v1/datasets/{id}"), Some(&other))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = svc.get("/api/v1/datasets", Some(&other)).await;
    assert_eq!(list["datasets"].as_array().unwrap().len(), 0);

    let (status, _) = svc
        .delete(&format!("/api/v1/datasets/{id}"), Some(&token))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    no_dataset_rows(&svc).await;
}
on_both_backends!(round_trip, super::upload_then_download_is_identical);

async fn invalid_uploads_are_refused_whole(svc: TestService) {
    let token = svc.user("alice").await;
    let cases: Vec<(&str, String, StatusCode, &str)> = vec![
        (
            "missing_col.csv",
            SMALL
                .replace(",adjcp", "")
                .replace("close\n", "\n")
                .replace(",close", ""),
            StatusCode::UNPROCESSABLE_ENTITY,
            "lacks the required column(s) close",
        ),
        (
            "price.csv",
            SMALL.replace("1.6,1.6", "n/a,1.6"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "row 2 (line 3): close \"n/a\" is not a number",
        ),
        (
            "dates.csv",
            SMALL.replace("2020-01-03", "2019-12-31"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "row 2 (line 3): date 2019-12-31 comes before",
        ),
        (
            "baddate.csv",
            SMALL.replace("2020-01-03", "03/01/2020"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "row 2 (line 3): date \"03/01/2020\" is not a date",
        ),
        (
            "empty.csv",
            String::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "the file is empty",
        ),
        (
            "header.csv",
            "date,tic,open,high,low,close\n".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no data rows",
        ),
        (
            "../x.csv",
            SMALL.into(),
            StatusCode::BAD_REQUEST,
            "must be a plain name",
        ),
        (
            "prices.txt",
            SMALL.into(),
            StatusCode::BAD_REQUEST,
            "must end with .csv",
        ),
    ];
    for (name, content, expected, message) in cases {
        let (status, body) = svc.upload(&token, name, Body::from(content)).await;
        assert_eq!(status, expected, "{name}: {body}");
        let text = body["error"]["message"].as_str().unwrap_or_default();
        assert!(text.contains(message), "{name}: {text:?} lacks {message:?}");
        no_dataset_rows(&svc).await;
    }
    let (status, body) = svc.upload("not-a-token", "ok.csv", Body::from(SMALL)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    no_dataset_rows(&svc).await;
}
on_both_backends!(validation, super::invalid_uploads_are_refused_whole);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_over_the_limit_get_413() {
    let svc = TestService::start_with(common::Backend::Sqlite, |c| c.max_upload_bytes = 4096)
        .await
        .unwrap();
    let token = svc.user("alice").await;
    let mut big = String::from("date,tic,open,high,low,close\n");
    while big.len() < 10_000 {
        big.push_str("2020-01-02,AAPL,1,2,0.5,1.5\n");
    }
    let (status, body) = svc.upload(&token, "big.csv", Body::from(big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("4096 bytes"),
        "{body}"
    );
    no_dataset_rows(&svc).await;
}
