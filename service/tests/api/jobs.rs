use crate::common;

use std::collections::HashSet;
use std::time::Duration;

use crate::common::TestService;
use axum::http::{Method, StatusCode};
use serde_json::json;
use tmctl_service::jobs::input::TestInput;
use tmctl_service::jobs::queue::{self, CancelOutcome, Heartbeat, NewJob};
use tmctl_service::jobs::JobInput;

fn new_job(max_attempts: i64) -> NewJob {
    NewJob {
        input: JobInput::Test(TestInput::Training {
            train_job_id: "no-such-job".into(),
        }),
        owner_id: None,
        session_id: None,
        strategy_id: None,
        max_attempts,
        queue_now: true,
    }
}

async fn lease_expiry_and_requeue(svc: TestService) {
    let db = &svc.app.db;
    let id = queue::create(db, new_job(2)).await.unwrap();

    // Two workers race for one job: exactly one wins.
    let (a, b) = tokio::join!(
        queue::lease(db, "worker-a", 200),
        queue::lease(db, "worker-b", 200)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.is_some() as u8 + b.is_some() as u8,
        1,
        "one lease, not {a:?} and {b:?}"
    );
    let (holder, other) = if a.is_some() {
        ("worker-a", "worker-b")
    } else {
        ("worker-b", "worker-a")
    };
    assert_eq!(
        queue::heartbeat(db, &id, holder, 200, Some(0.5))
            .await
            .unwrap(),
        Heartbeat::Kept
    );
    assert_eq!(
        queue::heartbeat(db, &id, other, 200, None).await.unwrap(),
        Heartbeat::Lost
    );

    // The holder goes silent: the lease expires and the job is queued again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(queue::requeue_expired(db).await.unwrap(), (1, 0));
    let retried = queue::lease(db, other, 200)
        .await
        .unwrap()
        .expect("requeued job");
    assert_eq!((retried.id.as_str(), retried.attempts), (id.as_str(), 2));
    // The old holder cannot finish or heartbeat a job it lost.
    assert_eq!(
        queue::heartbeat(db, &id, holder, 200, None).await.unwrap(),
        Heartbeat::Lost
    );
    assert!(!queue::fail(db, &id, holder, "late").await.unwrap());

    // Out of attempts after the second silence: failed, with the reason.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(queue::requeue_expired(db).await.unwrap(), (0, 1));
    let status = queue::status(db, &id).await.unwrap().unwrap();
    assert_eq!(status.state, "failed");
    assert!(status
        .error
        .unwrap()
        .contains("stopped responding on each of 2 attempts"));
    let logs: Vec<String> = queue::logs(db, &id, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.2)
        .collect();
    assert!(
        logs.iter()
            .any(|l| l.contains("lease expired on attempt 1; queued again")),
        "{logs:?}"
    );
}
on_both_backends!(lease_expiry, super::lease_expiry_and_requeue);

async fn many_jobs_two_workers_each_leased_once(svc: TestService) {
    let db = svc.app.db.clone();
    let mut ids = HashSet::new();
    for _ in 0..30 {
        ids.insert(queue::create(&db, new_job(3)).await.unwrap());
    }
    let drain = |name: &'static str| {
        let db = db.clone();
        tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(job) = queue::lease(&db, name, 60_000).await.unwrap() {
                assert!(queue::fail(&db, &job.id, name, "done").await.unwrap());
                got.push(job.id);
            }
            got
        })
    };
    let (a, b) = tokio::join!(drain("worker-a"), drain("worker-b"));
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut all: Vec<String> = a.iter().chain(&b).cloned().collect();
    assert_eq!(all.len(), 30, "a: {}, b: {}", a.len(), b.len());
    all.sort();
    all.dedup();
    assert_eq!(all.into_iter().collect::<HashSet<_>>(), ids);
}
on_both_backends!(two_workers, super::many_jobs_two_workers_each_leased_once);

async fn cancel_and_release(svc: TestService) {
    let db = &svc.app.db;
    let waiting = queue::create(db, new_job(3)).await.unwrap();
    assert_eq!(
        queue::cancel(db, &waiting).await.unwrap(),
        CancelOutcome::Cancelled
    );
    assert!(queue::lease(db, "w", 1000).await.unwrap().is_none());

    let running = queue::create(db, new_job(3)).await.unwrap();
    let job = queue::lease(db, "w", 1000).await.unwrap().unwrap();
    assert_eq!(job.id, running);
    assert_eq!(
        queue::cancel(db, &running).await.unwrap(),
        CancelOutcome::Requested
    );
    assert_eq!(
        queue::heartbeat(db, &running, "w", 1000, None)
            .await
            .unwrap(),
        Heartbeat::CancelRequested
    );
    assert!(queue::mark_cancelled(db, &running, "w").await.unwrap());
    assert_eq!(
        queue::cancel(db, &running).await.unwrap(),
        CancelOutcome::AlreadyFinished
    );

    // Shutdown gives a job back without spending an attempt.
    let released = queue::create(db, new_job(1)).await.unwrap();
    queue::lease(db, "w", 1000).await.unwrap().unwrap();
    assert!(queue::release(db, &released, "w").await.unwrap());
    let again = queue::lease(db, "w2", 1000).await.unwrap().unwrap();
    assert_eq!((again.id.as_str(), again.attempts), (released.as_str(), 1));
}
on_both_backends!(cancel_release, super::cancel_and_release);

/// Through the web API and a real worker: the job runs, and a one-day dataset fails with
/// the honest reason (nothing to split into train, valid and test).
async fn web_job_runs_on_a_worker(svc: TestService) {
    let token = svc.user("alice").await;
    let csv = "date,tic,open,high,low,close\n2020-01-02,A,1,1,1,1\n";
    let (_, dataset) = svc
        .upload(&token, "a.csv", axum::body::Body::from(csv))
        .await;
    let strategy = json!({ "name": "s", "task": "portfolio_management", "agent": "eiie",
        "dataset_id": dataset["id"], "hyperparameters": { "epochs": 2 } });
    let (status, strategy) = svc.post("/api/v1/strategies", Some(&token), strategy).await;
    assert_eq!(status, StatusCode::CREATED, "{strategy}");
    let (status, job) = svc
        .post(
            "/api/v1/jobs",
            Some(&token),
            json!({ "strategy_id": strategy["id"] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{job}");
    assert_eq!(job["state"], "created");
    let id = job["id"].as_str().unwrap().to_string();

    let workers = tmctl_service::Workers::spawn(svc.app.clone(), "test-worker".into(), 2);
    let (status, _) = svc
        .json(
            Method::POST,
            &format!("/api/v1/jobs/{id}/start"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    common::wait_for(
        || async {
            let (_, job) = svc.get(&format!("/api/v1/jobs/{id}"), Some(&token)).await;
            job["state"] == "failed"
        },
        "the job to finish",
    )
    .await;
    workers.shutdown().await;
    let (_, job) = svc.get(&format!("/api/v1/jobs/{id}"), Some(&token)).await;
    assert!(
        job["error"].as_str().unwrap().contains(
            "invalid split: Fractions { train: 0.8, valid: 0.1 } leaves an empty part: 1 dates"
        ),
        "{job}"
    );
    let (_, logs) = svc
        .get(&format!("/api/v1/jobs/{id}/logs"), Some(&token))
        .await;
    let lines = logs["lines"].as_array().unwrap();
    assert!(
        lines[0]["line"]
            .as_str()
            .unwrap()
            .contains("attempt 1 started on worker test-worker"),
        "{logs}"
    );
    let (status, body) = svc
        .get(&format!("/api/v1/jobs/{id}/result"), Some(&token))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // Strategies and jobs are private too.
    let other = svc.user("bob").await;
    for path in [
        format!("/api/v1/jobs/{id}"),
        format!("/api/v1/strategies/{}", strategy["id"].as_str().unwrap()),
    ] {
        let (status, _) = svc.get(&path, Some(&other)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, body) = svc
        .post(
            "/api/v1/jobs",
            Some(&other),
            json!({ "strategy_id": strategy["id"] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // A dataset in use cannot be deleted under a strategy.
    let (status, _) = svc
        .delete(
            &format!("/api/v1/datasets/{}", dataset["id"].as_str().unwrap()),
            Some(&token),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}
on_both_backends!(web_job, super::web_job_runs_on_a_worker);

/// Two worker pools (two replicas) on one database: every job runs exactly once.
async fn two_worker_pools_share_the_queue(svc: TestService) {
    let db = svc.app.db.clone();
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(queue::create(&db, new_job(3)).await.unwrap());
    }
    let a = tmctl_service::Workers::spawn(svc.app.clone(), "replica-a".into(), 2);
    let b = tmctl_service::Workers::spawn(svc.app.clone(), "replica-b".into(), 2);
    common::wait_for(
        || async {
            let counts = queue::counts_by_state(&db).await.unwrap();
            counts.iter().any(|(s, n)| s == "failed" && *n == 12)
        },
        "all jobs to run",
    )
    .await;
    a.shutdown().await;
    b.shutdown().await;
    for id in ids {
        let status = queue::status(&db, &id).await.unwrap().unwrap();
        assert_eq!(status.attempts, 1, "job {id} ran {} times", status.attempts);
    }
}
on_both_backends!(two_pools, super::two_worker_pools_share_the_queue);
