//! In its own test binary so that the peak memory measured is this upload's alone.

#[macro_use]
mod common;

use axum::body::Body;
use axum::http::StatusCode;
use common::TestService;

/// 128 MiB streamed through the upload: stored in 1 MiB chunks, nothing buffered whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_streamed_upload() {
    let svc = TestService::start(common::Backend::Sqlite).await.unwrap();
    let token = svc.user("alice").await;
    let row = "2020-01-02 10:00:00,AAPL,101.25,102.5,100.75,101.5,101.5,0.0012,-0.0031\n";
    let header = "date,tic,open,high,low,close,adjcp,zopen,zclose\n";
    let rows_per_piece = 8192;
    let piece = row.repeat(rows_per_piece);
    let pieces = (128 * 1024 * 1024) / piece.len();
    let stream = futures_util::stream::iter(
        std::iter::once(axum::body::Bytes::from(header))
            .chain((0..pieces).map(move |_| axum::body::Bytes::from(piece.clone())))
            .map(Ok::<_, std::io::Error>),
    );
    let started = std::time::Instant::now();
    let (status, info) = svc
        .upload(&token, "big.csv", Body::from_stream(stream))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{info}");
    assert_eq!(info["row_count"], (pieces * rows_per_piece) as u64);
    let size = info["size_bytes"].as_u64().unwrap();
    let peak_kb = peak_rss_kb();
    eprintln!(
        "uploaded {} MB in {:.2}s, peak RSS {} MB",
        size / 1_000_000,
        started.elapsed().as_secs_f64(),
        peak_kb / 1024
    );
    // Holding the upload whole would take the peak past its size.
    if peak_kb > 0 {
        assert!(
            peak_kb * 1024 < size,
            "peak RSS {peak_kb} kB: the upload was buffered"
        );
    }
}

/// Peak resident memory of this process in kB (0 where /proc is missing).
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
        })
        .unwrap_or(0)
}
