//! The monitoring stand-ins honour their official images' contract: Alertmanager and the
//! exporters start from the image's entrypoint as nobody and serve metrics on their port.

use std::time::Duration;

use crate::images_support::{bootstrapped, Container};
use tmctl::engine::docker::connect;

/// Nothing listens there: the exporter reports the database as down.
const NO_DATABASE: &str =
    "DATA_SOURCE_NAME=postgresql://nobody@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=1";

/// (image, port, a metric the page must show, environment, arguments)
type Case = (
    &'static str,
    u16,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

const IMAGES: [Case; 4] = [
    (
        "prom/alertmanager:v0.25.0",
        9093,
        "alertmanager_build_info",
        &[],
        &[],
    ),
    (
        "prometheuscommunity/postgres-exporter:v0.11.1",
        9187,
        "pg_up",
        &[NO_DATABASE],
        &[],
    ),
    (
        "oliver006/redis_exporter:v1.45.0",
        9121,
        "redis_up",
        &[],
        &[],
    ),
    (
        "prom/node-exporter:v1.5.0",
        9100,
        "node_cpu_seconds_total",
        &[],
        &[],
    ),
];

#[tokio::test]
async fn monitoring_stand_ins_serve_metrics_as_nobody() {
    bootstrapped().await;
    let docker = connect().await.unwrap();
    for (image, port, metric, env, args) in IMAGES {
        let test = image
            .split(['/', ':'])
            .nth(1)
            .unwrap_or("exporter")
            .replace('_', "-");
        let cmd = (!args.is_empty()).then_some(args);
        let container = Container::run(&docker, image, &test, env, cmd).await;
        let url = format!("http://127.0.0.1:{port}/metrics");
        let fetch = ["wget", "-q", "-O", "-", url.as_str()];
        let answered = container
            .wait_for(
                &[
                    "sh",
                    "-c",
                    &format!("wget -q -O - {url} | grep -q {metric}"),
                ],
                &[],
                Duration::from_secs(30),
            )
            .await;
        let (_, page) = container.exec(&fetch, &[], None).await;
        assert!(
            answered,
            "{image}: no {metric} on {url}: {}\nlogs:\n{}",
            page.chars().take(500).collect::<String>(),
            container.logs().await
        );
        assert_eq!(
            container.main_process_uid().await,
            "65534",
            "{image} runs as nobody"
        );
    }
}

/// The nginx exporter serves only once it reached nginx (in the stack: the gateway's
/// stub_status); alone it starts, retries and runs as nobody.
#[tokio::test]
async fn nginx_exporter_stand_in_starts_and_retries_as_nobody() {
    bootstrapped().await;
    let docker = connect().await.unwrap();
    let args: &[&str] = &["-nginx.retries=100", "-nginx.retry-interval=1s"];
    let container = Container::run(
        &docker,
        "nginx/nginx-prometheus-exporter:0.11.0",
        "nginx-exporter",
        &[],
        Some(args),
    )
    .await;
    let mut logs = String::new();
    for _ in 0..20 {
        logs = container.logs().await;
        if logs.contains("Could not create Nginx Client") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        logs.contains("NGINX Prometheus Exporter version=0.11.0"),
        "{logs}"
    );
    assert!(logs.contains("Could not create Nginx Client"), "{logs}");
    assert_eq!(container.main_process_uid().await, "65534");
}
