//! Bootstraps the stand-in images from Debian packages (or reuses them) and checks that each
//! honours the contract of the official image it stands in for.

use std::time::Duration;

use crate::images_support::{bootstrapped, Container};
use tmctl::engine::docker::connect;
use tmctl::images::bootstrap::Outcome;
use tmctl::images::catalog::StandIn;
use tmctl::images::inventory::{list, Origin};

#[tokio::test]
async fn every_stand_in_is_present_and_labelled_as_bootstrapped() {
    let results = bootstrapped().await;
    let docker = connect().await.unwrap();
    for standin in StandIn::ALL {
        let result = results
            .iter()
            .find(|b| b.image == standin.image())
            .unwrap_or_else(|| panic!("no bootstrap result for {}", standin.image()));
        assert_ne!(
            result.outcome,
            Outcome::AlreadyPresent,
            "{} came from elsewhere",
            standin.image()
        );
        assert!(
            result.size > 10_000_000,
            "{} is suspiciously small",
            standin.image()
        );
    }
    let images: Vec<&str> = StandIn::ALL.iter().map(|s| s.image()).collect();
    let statuses = list(&docker, &images).await.unwrap();
    for status in statuses {
        let present = status
            .present
            .unwrap_or_else(|| panic!("{} missing", status.image));
        assert_eq!(present.origin, Origin::Bootstrapped, "{}", status.image);
    }
}

#[tokio::test]
async fn postgres_initialises_the_database_and_accepts_the_password_over_tcp() {
    let pg = Container::stand_in(
        "postgres:15",
        "postgres",
        &[
            "POSTGRES_USER=trader",
            "POSTGRES_PASSWORD=s3cret pw",
            "POSTGRES_DB=trademaster",
        ],
        None,
    )
    .await;
    pg.expect(
        "postgres never became ready",
        "pg_isready -h 127.0.0.1 -U $POSTGRES_USER -d $POSTGRES_DB",
        &["POSTGRES_USER=trader", "POSTGRES_DB=trademaster"],
        Duration::from_secs(90),
    )
    .await;

    let query = |sql: &'static str| {
        let pg = &pg;
        async move {
            pg.exec(
                &[
                    "psql",
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "trader",
                    "-d",
                    "trademaster",
                    "-tAc",
                    sql,
                ],
                &["PGPASSWORD=s3cret pw"],
                Some("postgres"),
            )
            .await
        }
    };
    let (code, out) = query("select 1").await;
    assert_eq!((code, out.trim()), (0, "1"), "psql over TCP failed: {out}");
    assert_eq!(query("show listen_addresses").await.1.trim(), "*");
    assert_eq!(
        query("select rolpassword like 'SCRAM-SHA-256$%' from pg_authid where rolname = 'trader'")
            .await
            .1
            .trim(),
        "t"
    );
    let (_, hba) = pg
        .exec(
            &[
                "sh",
                "-c",
                "grep -v '^#' \"$PGDATA/pg_hba.conf\" | grep . | tail -1",
            ],
            &[],
            None,
        )
        .await;
    assert_eq!(hba.trim(), "host all all all scram-sha-256");
    assert_eq!(
        pg.main_process_uid().await,
        "999",
        "postgres must not run as root"
    );
    for tool in ["pg_dump", "pg_restore", "psql", "pg_isready"] {
        let (code, out) = pg.exec(&[tool, "--version"], &[], None).await;
        assert_eq!(code, 0, "{tool}: {out}");
        assert!(out.contains(" 15."), "{tool} is not version 15: {out}");
    }
}

#[tokio::test]
async fn postgres_refuses_to_initialise_without_a_password() {
    let pg = Container::stand_in("postgres:15", "postgres-nopw", &[], None).await;
    let logs = pg
        .log_with("POSTGRES_PASSWORD", 40, Duration::from_millis(250))
        .await;
    assert!(
        logs.contains("POSTGRES_PASSWORD is not set"),
        "logs:\n{logs}"
    );
}

#[tokio::test]
async fn redis_answers_ping_only_with_the_password() {
    let redis = Container::stand_in(
        "redis:7",
        "redis",
        &[],
        Some(&["redis-server", "--requirepass", "x"]),
    )
    .await;
    redis
        .expect(
            "redis never answered",
            "redis-cli ping 2>&1 | grep -q NOAUTH",
            &[],
            Duration::from_secs(30),
        )
        .await;
    let (_, without) = redis.exec(&["redis-cli", "ping"], &[], None).await;
    assert!(
        without.contains("NOAUTH"),
        "unauthenticated PING: {without}"
    );
    let (code, with) = redis
        .exec(&["sh", "-c", "redis-cli ping"], &["REDISCLI_AUTH=x"], None)
        .await;
    assert_eq!((code, with.trim()), (0, "PONG"));
    let (_, version) = redis.exec(&["redis-server", "--version"], &[], None).await;
    assert!(version.contains("v=7."), "{version}");
    assert_eq!(
        redis.main_process_uid().await,
        "999",
        "redis must not run as root"
    );
}

#[tokio::test]
async fn nginx_serves_with_its_default_config() {
    let nginx = Container::stand_in("nginx:1.22", "nginx", &[], None).await;
    let (code, out) = nginx
        .exec(&["nginx", "-t", "-c", "/etc/nginx/nginx.conf"], &[], None)
        .await;
    assert_eq!(code, 0, "nginx -t: {out}");
    assert!(out.contains("syntax is ok"), "{out}");
    nginx
        .expect(
            "nginx did not serve its page",
            "curl -fsS http://127.0.0.1/ | grep -q 'nginx is running'",
            &[],
            Duration::from_secs(20),
        )
        .await;
    let (_, version) = nginx.exec(&["nginx", "-v"], &[], None).await;
    assert!(version.contains("nginx/1.22"), "{version}");
}

#[tokio::test]
async fn prometheus_starts_and_promtool_is_present() {
    let prom = Container::stand_in("prom/prometheus:v2.42.0", "prometheus", &[], None).await;
    let (code, out) = prom.exec(&["promtool", "--version"], &[], None).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("version 2.42"), "{out}");
    let (code, out) = prom
        .exec(
            &[
                "promtool",
                "check",
                "config",
                "/etc/prometheus/prometheus.yml",
            ],
            &[],
            None,
        )
        .await;
    assert_eq!(code, 0, "{out}");
    let logs = prom
        .log_with(
            "Server is ready to receive web requests",
            60,
            Duration::from_millis(500),
        )
        .await;
    assert!(
        logs.contains("Server is ready to receive web requests"),
        "logs:\n{logs}"
    );
    assert_eq!(
        prom.main_process_uid().await,
        "65534",
        "prometheus runs as nobody"
    );
}
