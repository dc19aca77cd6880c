mod backup;
mod backup_prod;
#[path = "../../service/tests/common/csv_rows.rs"]
mod csv_rows;
mod engine_dev;
mod heal;
mod health;
mod monitoring;
mod releases;
mod serve_replicas;
#[path = "../support/mod.rs"]
mod support;
mod tooling;
