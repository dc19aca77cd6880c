//! GFS retention: which backups `prune` keeps. Pure, so it can be checked on any calendar.
//!
//! Only good backups count. Walking them newest first, the newest backup of each of the
//! last `keep_daily` days that have one is kept, likewise for ISO weeks and calendar
//! months (in the schedule's timezone). The newest good backup is always kept. Failed
//! runs are never kept: their records are dropped.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike};
use chrono_tz::Tz;

use super::catalog::BackupRecord;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub keep_daily: u32,
    pub keep_weekly: u32,
    pub keep_monthly: u32,
}

/// What prune does with each record, by id.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PruneDecision {
    /// Kept ids with why (`latest`, `daily`, `weekly`, `monthly`), newest first.
    pub keep: BTreeMap<String, Vec<&'static str>>,
    /// Ids to delete (files and records), oldest first.
    pub delete: Vec<String>,
}

type BucketKey = (i32, u32);
/// A retention rule: its name, how many buckets it keeps, and the bucket of a time.
type Rule = (&'static str, u32, fn(DateTime<Tz>) -> BucketKey);

fn day(time: DateTime<Tz>) -> BucketKey {
    (time.year(), time.ordinal())
}

fn week(time: DateTime<Tz>) -> BucketKey {
    let week = time.iso_week();
    (week.year(), week.week())
}

fn month(time: DateTime<Tz>) -> BucketKey {
    (time.year(), time.month())
}

pub fn select(records: &[BackupRecord], retention: Retention, timezone: Tz) -> PruneDecision {
    let mut good: Vec<&BackupRecord> = records.iter().filter(|r| r.is_good()).collect();
    good.sort_by_key(|record| std::cmp::Reverse(record.started_at));
    let mut keep: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
    if let Some(newest) = good.first() {
        keep.entry(newest.id.clone()).or_default().push("latest");
    }
    let rules: [Rule; 3] = [
        ("daily", retention.keep_daily, day),
        ("weekly", retention.keep_weekly, week),
        ("monthly", retention.keep_monthly, month),
    ];
    for (reason, count, bucket) in rules {
        let mut last: Option<BucketKey> = None;
        let mut kept = 0;
        for record in &good {
            if kept >= count {
                break;
            }
            let key = bucket(record.started_at.with_timezone(&timezone));
            if last != Some(key) {
                last = Some(key);
                kept += 1;
                keep.entry(record.id.clone()).or_default().push(reason);
            }
        }
    }
    let mut delete: Vec<&BackupRecord> = records
        .iter()
        .filter(|record| !keep.contains_key(&record.id))
        .collect();
    delete.sort_by_key(|record| record.started_at);
    PruneDecision {
        keep,
        delete: delete.into_iter().map(|record| record.id.clone()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::catalog::Outcome;
    use chrono::{Duration, TimeZone, Utc};

    fn record(time: DateTime<Utc>, outcome: Outcome) -> BackupRecord {
        let id = time.format("%Y%m%dT%H%M%SZ").to_string();
        BackupRecord {
            file: (outcome == Outcome::Ok).then(|| format!("{id}.dump")),
            id,
            started_at: time,
            duration_ms: 1000,
            outcome,
            size: 1,
            sha256: None,
            database: "trademaster".to_owned(),
            server_version: "15".to_owned(),
            tmctl_version: "0.1.0".to_owned(),
            compression: "gzip:3".to_owned(),
            error: None,
        }
    }

    fn id(y: i32, m: u32, d: u32) -> String {
        format!("{y:04}{m:02}{d:02}T020000Z")
    }

    /// 400 daily runs at 02:00 UTC ending Wednesday 2026-11-25; the newest run and the
    /// one on 2026-10-31 failed, and 2026-11-22 (a Sunday) ran twice (failed, then good).
    fn synthetic() -> Vec<BackupRecord> {
        let last = Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap();
        let failed = [last, Utc.with_ymd_and_hms(2026, 10, 31, 2, 0, 0).unwrap()];
        let mut records: Vec<BackupRecord> = (0..400)
            .map(|back| last - Duration::days(back))
            .map(|time| {
                let outcome = if failed.contains(&time) {
                    Outcome::Failed
                } else {
                    Outcome::Ok
                };
                record(time, outcome)
            })
            .collect();
        records.push(record(
            Utc.with_ymd_and_hms(2026, 11, 22, 1, 0, 0).unwrap(),
            Outcome::Failed,
        ));
        records
    }

    fn keep(keep_daily: u32, keep_weekly: u32, keep_monthly: u32) -> Retention {
        Retention {
            keep_daily,
            keep_weekly,
            keep_monthly,
        }
    }

    #[test]
    fn gfs_over_400_days_keeps_the_expected_set() {
        let records = synthetic();
        let decision = select(&records, keep(7, 4, 6), Tz::UTC);
        let mut expected: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        let add =
            |expected: &mut BTreeMap<String, Vec<&str>>, y, m, d, reasons: &[&'static str]| {
                expected.insert(id(y, m, d), reasons.to_vec());
            };
        // Newest good is the 24th (the 25th failed): latest, daily, weekly, monthly.
        add(
            &mut expected,
            2026,
            11,
            24,
            &["latest", "daily", "weekly", "monthly"],
        );
        for d in 19..=23 {
            add(&mut expected, 2026, 11, d, &["daily"]);
        }
        add(&mut expected, 2026, 11, 18, &["daily"]);
        // Weeks: 2026-W48 (24th), W47 ends Sunday 22nd, W46 ends 15th, W45 ends 8th.
        expected.get_mut(&id(2026, 11, 22)).unwrap().push("weekly");
        add(&mut expected, 2026, 11, 15, &["weekly"]);
        add(&mut expected, 2026, 11, 8, &["weekly"]);
        // Months: November (24th), October's newest good is the 30th (31st failed),
        // then the last day of September, August, July and June.
        add(&mut expected, 2026, 10, 30, &["monthly"]);
        add(&mut expected, 2026, 9, 30, &["monthly"]);
        add(&mut expected, 2026, 8, 31, &["monthly"]);
        add(&mut expected, 2026, 7, 31, &["monthly"]);
        add(&mut expected, 2026, 6, 30, &["monthly"]);
        assert_eq!(decision.keep, expected);
        assert_eq!(decision.delete.len(), records.len() - expected.len());
        for record in records.iter().filter(|r| !r.is_good()) {
            assert!(decision.delete.contains(&record.id), "{} kept", record.id);
        }
    }

    #[test]
    fn the_newest_good_backup_survives_zero_retention() {
        let records = synthetic();
        let decision = select(&records, keep(0, 0, 0), Tz::UTC);
        assert_eq!(
            decision.keep.keys().cloned().collect::<Vec<_>>(),
            vec![id(2026, 11, 24)]
        );
    }

    #[test]
    fn only_failed_runs_keep_nothing() {
        let time = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let records = vec![record(time, Outcome::Failed)];
        let decision = select(&records, keep(3, 3, 3), Tz::UTC);
        assert!(decision.keep.is_empty());
        assert_eq!(decision.delete, vec![records[0].id.clone()]);
    }
}
