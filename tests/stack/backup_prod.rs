//! The prod profile's `backup` service: `tmctl backup schedule` in the service image,
//! reaching the Engine through the mounted socket, writing to the mounted directory.

use std::time::{Duration, Instant};

use crate::support::stack::{free_port, TestStack};
use tmctl::backup::Catalog;

#[test]
fn prod_backup_service_schedules_backups_into_the_mounted_directory() {
    let https = free_port().to_string();
    let stack = TestStack::new("prod")
        .env("TM_HTTP_BIND", "127.0.0.1")
        .env("TM_HTTPS_BIND", "127.0.0.1")
        .env("TM_HTTPS_PORT", &https)
        .env("TM_SERVICE_REPLICAS", "1")
        .env("TM_BACKUP_SCHEDULE", "*/10 * * * * *");
    let backups = stack.path().join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    let stack = stack.env("TM_BACKUP_DIR", backups.to_str().unwrap());
    stack.tmctl_ok(&["up", "--wait", "--timeout", "240s"]);

    let ps = stack.tmctl_ok(&["ps"]);
    assert!(
        ps.lines()
            .any(|line| line.starts_with("backup") && line.contains("healthy")),
        "{ps}"
    );
    // The scheduler catches up at start (no backup yet), found its project by label.
    let dir = backups.join(&stack.project);
    let deadline = Instant::now() + Duration::from_secs(60);
    let good = loop {
        if let Some(good) = Catalog::load(&dir)
            .ok()
            .and_then(|catalog| catalog.latest_good().cloned())
        {
            break good;
        }
        assert!(
            Instant::now() < deadline,
            "no backup from the backup service"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(dir.join(good.file.as_deref().unwrap()).exists());
    let listed = stack.tmctl_ok(&["backup", "list"]);
    assert!(listed.contains(&good.id), "{listed}");
}
