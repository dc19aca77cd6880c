use crate::common;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn http(addr: std::net::SocketAddr, request: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

/// A real listener: requests are served over TCP, and the shutdown signal ends the server,
/// its workers and its pool promptly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_over_tcp_and_shuts_down_on_signal() {
    let dir = tempfile::tempdir().unwrap();
    let app = tmctl_service::connect(common::config(dir.path()))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tmctl_service::serve_on(listener, app.clone(), async {
        let _ = stopped.await;
    }));

    let answer = http(
        addr,
        "GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let body = r#"{"username":"alice","password":"a long password"}"#;
    let register = format!(
        "POST /api/v1/auth/register HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    assert!(http(addr, &register).await.starts_with("HTTP/1.1 201"));
    let login = register.replace("/register", "/login");
    assert!(http(addr, &login).await.starts_with("HTTP/1.1 200"));

    stop.send(()).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(10), server).await;
    assert!(
        matches!(ended, Ok(Ok(Ok(())))),
        "server did not stop cleanly: {ended:?}"
    );
    assert!(app.db.pool.is_closed());
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still listening"
    );
}
