use crate::common::TestService;
use axum::http::StatusCode;
use serde_json::json;
use tmctl_service::tokens::{Claims, TokenKeys, TokenKind};

async fn register_login_refresh_logout(svc: TestService) {
    let creds = json!({ "username": "alice", "password": "a long password" });
    let (status, body) = svc.post("/api/v1/auth/register", None, creds.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = svc.post("/api/v1/auth/register", None, creds.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let stored = svc
        .count("SELECT COUNT(*) FROM users WHERE password_hash LIKE '$argon2id$%'")
        .await;
    assert_eq!(stored, 1);

    let (status, body) = svc
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "username": "alice", "password": "wrong password" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    let (status, tokens) = svc.post("/api/v1/auth/login", None, creds.clone()).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["expires_in"], 1800);
    assert_eq!(tokens["refresh_expires_in"], 7 * 24 * 3600);
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let (status, me) = svc.get("/api/v1/auth/me", Some(access)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["username"], "alice");

    // A refresh token is not an access token, and vice versa.
    let (status, _) = svc.get("/api/v1/auth/me", Some(refresh)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, renewed) = svc
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": refresh }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    // The used refresh token is spent.
    let (status, body) = svc
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": refresh }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    let access2 = renewed["access_token"].as_str().unwrap();
    let refresh2 = renewed["refresh_token"].as_str().unwrap();
    let (status, _) = svc
        .post(
            "/api/v1/auth/logout",
            Some(access2),
            json!({ "refresh_token": refresh2 }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = svc.get("/api/v1/auth/me", Some(access2)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revoked"),
        "{body}"
    );
    let (status, _) = svc
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": refresh2 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The first access token was not logged out.
    let (status, _) = svc.get("/api/v1/auth/me", Some(access)).await;
    assert_eq!(status, StatusCode::OK);
}
on_both_backends!(auth_flow, super::register_login_refresh_logout);

async fn bad_tokens_are_refused(svc: TestService) {
    let token = svc.user("bob").await;
    let (status, body) = svc.get("/api/v1/datasets", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _) = svc.get("/api/v1/datasets", Some("garbage")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let forged = TokenKeys::new(b"some other key, 16+ bytes".to_vec());
    let claims = |exp: i64| Claims {
        sub: "x".into(),
        kind: TokenKind::Access,
        jti: "j".into(),
        exp,
    };
    let now = tmctl_service::util::now_ms() / 1000;
    let (status, body) = svc
        .get("/api/v1/datasets", Some(&forged.sign(&claims(now + 60))))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("signature"),
        "{body}"
    );
    let ours = TokenKeys::new(b"test key of more than sixteen bytes".to_vec());
    let (status, body) = svc
        .get("/api/v1/datasets", Some(&ours.sign(&claims(now - 1))))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
    let (status, _) = svc.get("/api/v1/datasets", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
}
on_both_backends!(bad_tokens, super::bad_tokens_are_refused);

async fn login_is_rate_limited(svc: TestService) {
    svc.user("carol").await;
    let wrong = json!({ "username": "carol", "password": "not the password" });
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let (status, _) = svc.post("/api/v1/auth/login", None, wrong.clone()).await;
        statuses.push(status);
    }
    assert!(statuses.contains(&StatusCode::UNAUTHORIZED));
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // Even the right password is refused while the limit holds.
    let right = json!({ "username": "carol", "password": "a long password" });
    let (status, body) = svc.post("/api/v1/auth/login", None, right).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}
on_both_backends!(rate_limit, super::login_is_rate_limited);

async fn malformed_bodies_are_400(svc: TestService) {
    let request = axum::http::Request::post("/api/v1/auth/register")
        .body(axum::body::Body::from("{not json"))
        .unwrap();
    let (status, body) = svc.send(request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&body).contains("invalid JSON"));
    let (status, body) = svc
        .post("/api/v1/auth/register", None, json!({ "username": "dave" }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("password"),
        "{body}"
    );
}
on_both_backends!(malformed, super::malformed_bodies_are_400);
