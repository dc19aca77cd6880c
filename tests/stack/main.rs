#[path = "../support/mod.rs"]
mod support;
#[path = "../../service/tests/common/csv_rows.rs"]
mod csv_rows;
mod engine_dev;
mod health;
mod heal;
mod backup;
mod backup_prod;
mod serve_replicas;
mod releases;
