//! Engine connection errors. Its own test binary, because it changes DOCKER_HOST.

use tmctl::engine::docker::{connect, EngineError};

#[tokio::test]
async fn unreachable_engine_is_one_line_naming_docker_host_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("no-engine.sock");
    std::env::set_var("DOCKER_HOST", format!("unix://{}", socket.display()));
    let err = connect().await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, EngineError::Unreachable { .. }), "{message}");
    assert!(
        message.contains(&format!("DOCKER_HOST=unix://{}", socket.display())),
        "{message}"
    );
    assert!(message.contains("correct DOCKER_HOST"), "{message}");
    assert!(!message.contains('\n'), "{message}");

    std::env::set_var("DOCKER_HOST", "ftp://example");
    let err = connect().await.unwrap_err();
    assert!(matches!(err, EngineError::InvalidHost { .. }), "{err}");
    std::env::remove_var("DOCKER_HOST");
}
