//! Test harness: a real service on SQLite (always) or on the PostgreSQL + Redis named by
//! TMCTL_TEST_DATABASE_URL / TMCTL_TEST_REDIS_URL (see tests/support/start-pg-redis.sh).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use sqlx::Connection;
use tmctl_service::{AppState, ServeConfig};
use tower::ServiceExt;

pub mod csv_rows;

pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestService {
    pub app: AppState,
    pub router: Router,
    _dir: tempfile::TempDir,
}

pub fn config(dir: &std::path::Path) -> ServeConfig {
    let mut config = ServeConfig::new(SocketAddr::from(([127, 0, 0, 1], 0)));
    config.data_dir = dir.to_path_buf();
    config.token_key = Some(b"test key of more than sixteen bytes".to_vec());
    // Tests share one Redis: keep each service's keys apart.
    config.cache_namespace = format!("test-{}", tmctl_service::util::new_id());
    config
}

/// The URL in `var`, or None; under CI its absence is an error, not a skip.
fn test_url(var: &str) -> Option<String> {
    let url = std::env::var(var).ok().filter(|u| !u.is_empty());
    if url.is_none() && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but {var} is not set; run tests/support/start-pg-redis.sh");
    }
    url
}

/// The PostgreSQL URL for tests, or None.
pub fn postgres_url() -> Option<String> {
    test_url("TMCTL_TEST_DATABASE_URL")
}

pub fn redis_url() -> Option<String> {
    test_url("TMCTL_TEST_REDIS_URL")
}

/// A fresh database of its own on the test PostgreSQL server.
pub async fn fresh_postgres_database(admin_url: &str) -> String {
    sqlx::any::install_default_drivers();
    let name = format!("tmctl_test_{}", tmctl_service::util::new_id());
    let mut admin = sqlx::AnyConnection::connect(admin_url).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let mut url = url::Url::parse(admin_url).unwrap();
    url.set_path(&name);
    url.to_string()
}

impl TestService {
    pub async fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, tune: impl FnOnce(&mut ServeConfig)) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path());
        if let Backend::Postgres = backend {
            let admin = postgres_url()?;
            config.database_url = Some(fresh_postgres_database(&admin).await);
            config.redis_url = redis_url();
        }
        tune(&mut config);
        let app = tmctl_service::connect(config).await.unwrap();
        let router = tmctl_service::router(app.clone());
        Some(TestService {
            app,
            router,
            _dir: dir,
        })
    }

    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, bytes.to_vec())
    }

    pub async fn json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = body
            .map(|b| Body::from(b.to_string()))
            .unwrap_or_else(Body::empty);
        let (status, bytes) = self.send(request.body(body).unwrap()).await;
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.json(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.json(Method::POST, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.json(Method::DELETE, path, token, None).await
    }

    /// Registers and logs in; returns the access token.
    pub async fn user(&self, name: &str) -> String {
        let credentials = serde_json::json!({ "username": name, "password": "a long password" });
        let (status, body) = self
            .json(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(credentials.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = self
            .json(Method::POST, "/api/v1/auth/login", None, Some(credentials))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    /// POSTs a multipart upload of `content` as `file_name`.
    pub async fn upload(&self, token: &str, file_name: &str, content: Body) -> (StatusCode, Value) {
        let boundary = "tmctl-test-boundary";
        let head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
        );
        let tail = format!("\r\n--{boundary}--\r\n");
        let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(
            axum::body::Bytes::from(head),
        )])
        .chain(
            content
                .into_data_stream()
                .map(|r| r.map_err(std::io::Error::other)),
        )
        .chain(futures_util::stream::iter(vec![Ok(
            axum::body::Bytes::from(tail),
        )]));
        let request = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/datasets")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from_stream(stream))
            .unwrap();
        let (status, bytes) = self.send(request).await;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    pub async fn count(&self, sql: &str) -> i64 {
        use sqlx::Row;
        sqlx::query(sql)
            .fetch_one(&self.app.db.pool)
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }
}

use futures_util::StreamExt;

pub fn data_file(name: &str) -> Option<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/trademaster")
        .join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(_) => {
            assert!(
                std::env::var("CI").is_err(),
                "missing data file {}",
                path.display()
            );
            None
        }
    }
}

pub async fn wait_for<F, Fut>(mut check: F, what: &str)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Runs `$body(TestService)` once on SQLite and once on PostgreSQL (+ Redis) when configured.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:path) => {
        mod $name {
            use $crate::common::{Backend, TestService};

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $body(TestService::start(Backend::Sqlite).await.unwrap()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(service) = TestService::start(Backend::Postgres).await {
                    $body(service).await;
                }
            }
        }
    };
}
