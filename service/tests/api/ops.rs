use crate::common;

use crate::common::{Backend, TestService};
use axum::http::{Method, StatusCode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_ready_and_metrics() {
    let svc = TestService::start(Backend::Sqlite).await.unwrap();
    let (status, health) = svc.get("/health", None).await;
    assert_eq!(
        (status, health["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, ready) = svc.get("/ready", None).await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(ready["cache_backend"], "memory");
    svc.get("/api/TradeMaster/healthcheck", None).await;
    let (status, _) = svc.get("/api/v1/datasets/abc", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, text) = svc.get("/metrics", None).await;
    assert_eq!(status, StatusCode::OK);
    let text = text.as_str().unwrap();
    for expected in [
        "tmctl_http_requests_total{method=\"GET\",route=\"/api/TradeMaster/healthcheck\",status=\"200\"} 1",
        "tmctl_http_requests_total{method=\"GET\",route=\"/api/v1/datasets/{id}\",status=\"401\"} 1",
        "tmctl_http_request_duration_seconds_bucket{method=\"GET\",route=\"/health\",le=\"+Inf\"} 1",
        "tmctl_jobs{state=\"queued\"} 0",
        "tmctl_job_queue_depth 0",
        "tmctl_db_pool_connections{state=\"open\"}",
        "tmctl_cache_up{backend=\"memory\"} 1",
    ] {
        assert!(text.contains(expected), "/metrics lacks {expected}:\n{text}");
    }
}

/// Redis configured but not reachable: /ready says so, everything else still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_degrades_without_failing() {
    let svc = TestService::start_with(Backend::Sqlite, |c| {
        c.redis_url = Some("redis://127.0.0.1:1/0".into())
    })
    .await
    .unwrap();
    let (status, ready) = svc.get("/ready", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    assert_eq!(ready["database"], "ok");
    assert!(
        ready["cache"].as_str().unwrap().starts_with("error"),
        "{ready}"
    );
    let token = svc.user("alice").await;
    let (status, _) = svc
        .json(Method::POST, "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Revocation still holds: the database knows it.
    let (status, _) = svc.get("/api/v1/auth/me", Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, params) = svc.get("/api/TradeMaster/getParameters", None).await;
    assert_eq!(
        (status, params["error_code"].as_i64()),
        (StatusCode::OK, Some(0))
    );
}

/// A service on PostgreSQL whose cache is a real Redis, or None when none is configured.
async fn with_redis() -> Option<TestService> {
    let svc = TestService::start(Backend::Postgres).await?;
    (svc.app.cache.backend() == "redis").then_some(svc)
}

/// With real Redis: the cache answers, getParameters is cached there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_backs_the_cache_when_configured() {
    let Some(svc) = with_redis().await else {
        return;
    };
    let (status, ready) = svc.get("/ready", None).await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    svc.get("/api/TradeMaster/getParameters", None).await;
    assert!(svc.app.cache.get("tm:getParameters").await.is_some());
    // Keys live under the service's namespace.
    let client = redis::Client::open(common::redis_url().unwrap()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{}:tm:getParameters", svc.app.config.cache_namespace);
    let exists: bool = redis::cmd("EXISTS")
        .arg(&key)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(exists, "{key} not in redis");
}

/// The near copy: a value read through `get_near` is answered from this process until its
/// near TTL passes, then read from Redis again (where another replica changed it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_copies_of_redis_values_expire() {
    let Some(svc) = with_redis().await else {
        return;
    };
    let cache = &svc.app.cache;
    let near = std::time::Duration::from_millis(300);
    cache
        .set("near-test", "first", std::time::Duration::from_secs(60))
        .await;
    assert_eq!(
        cache.get_near("near-test", near).await.as_deref(),
        Some("first")
    );
    // Another replica writes straight to Redis.
    let client = redis::Client::open(common::redis_url().unwrap()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{}:near-test", svc.app.config.cache_namespace);
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg("second")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        cache.get_near("near-test", near).await.as_deref(),
        Some("first")
    );
    tokio::time::sleep(near * 2).await;
    assert_eq!(
        cache.get_near("near-test", near).await.as_deref(),
        Some("second")
    );
    // A delete through this replica drops its near copy at once.
    cache.delete("near-test").await;
    assert_eq!(cache.get_near("near-test", near).await, None);
}

/// Redis stops while the service runs: requests go on from the database, /ready says
/// "not ready", and when Redis is back so is readiness.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_going_down_at_runtime() {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let start_redis = || {
        std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
    };
    let Ok(mut redis) = start_redis() else {
        assert!(
            std::env::var("CI").is_err(),
            "redis-server is needed under CI"
        );
        return;
    };
    let url = format!("redis://127.0.0.1:{port}/0");
    let svc = TestService::start_with(Backend::Sqlite, |c| c.redis_url = Some(url))
        .await
        .unwrap();
    common::wait_for(
        || async { svc.get("/ready", None).await.0 == StatusCode::OK },
        "redis to come up",
    )
    .await;
    let token = svc.user("alice").await;

    redis.kill().unwrap();
    redis.wait().unwrap();
    let (status, ready) = svc.get("/ready", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{ready}");
    let (status, _) = svc.get("/api/v1/auth/me", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = svc.get("/api/TradeMaster/getParameters", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = svc
        .json(Method::POST, "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = svc.get("/api/v1/auth/me", Some(&token)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "revocation must hold without redis"
    );

    let mut redis = start_redis().unwrap();
    common::wait_for(
        || async { svc.get("/ready", None).await.0 == StatusCode::OK },
        "readiness after redis returns",
    )
    .await;
    redis.kill().unwrap();
    redis.wait().unwrap();
}
