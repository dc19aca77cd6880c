//! Crontab schedules with crontab's meaning, evaluated in an explicit timezone.
//!
//! Accepts 5 fields (`min hour dom month dow`), 6 fields with seconds first, and the
//! `@daily`-style macros. Day of week follows crontab: 0 and 7 are Sunday, 1 is Monday.
//! When both day of month and day of week are restricted, a day matching either fires,
//! as crontab does.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

const DAY_NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

#[derive(Debug, Clone)]
pub struct CronSchedule {
    pub expression: String,
    pub timezone: Tz,
    /// One schedule, or two whose union is the crontab OR of day-of-month and day-of-week.
    schedules: Vec<cron::Schedule>,
}

impl CronSchedule {
    /// Parses `expression` evaluated in `timezone` (an IANA name such as `UTC` or
    /// `Europe/Berlin`). Errors explain the expected form.
    pub fn parse(expression: &str, timezone: &str) -> Result<Self, String> {
        let zone = Tz::from_str(timezone.trim()).map_err(|_| {
            format!("unknown timezone `{timezone}`: use an IANA name such as UTC or Europe/Berlin")
        })?;
        let fields = expand_macro(expression.trim())?;
        let fields: Vec<&str> = fields.split_whitespace().collect();
        let (seconds, rest) = match fields.len() {
            5 => ("0", &fields[..]),
            6 => (fields[0], &fields[1..]),
            count => {
                return Err(format!(
                    "invalid cron expression `{expression}`: expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, found {count}"
                ))
            }
        };
        let (minute, hour, day_of_month, month, day_of_week) =
            (rest[0], rest[1], rest[2], rest[3], rest[4]);
        let day_of_week = translate_day_of_week(day_of_week)
            .map_err(|why| format!("invalid cron expression `{expression}`: {why}"))?;
        let variants = if day_of_month != "*" && day_of_week != "*" {
            vec![
                (day_of_month.to_owned(), "*".to_owned()),
                ("*".to_owned(), day_of_week),
            ]
        } else {
            vec![(day_of_month.to_owned(), day_of_week)]
        };
        let mut schedules = Vec::new();
        for (dom, dow) in variants {
            let text = format!("{seconds} {minute} {hour} {dom} {month} {dow}");
            let schedule = cron::Schedule::from_str(&text).map_err(|error| {
                format!("invalid cron expression `{expression}`: {error}; e.g. `0 2 * * *` runs daily at 02:00")
            })?;
            schedules.push(schedule);
        }
        let parsed = CronSchedule {
            expression: expression.trim().to_owned(),
            timezone: zone,
            schedules,
        };
        if parsed.next_after(Utc::now()).is_none() {
            return Err(format!("cron expression `{expression}` never fires"));
        }
        Ok(parsed)
    }

    /// The first run strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = after.with_timezone(&self.timezone);
        self.schedules
            .iter()
            .filter_map(|schedule| schedule.after(&local).next())
            .min()
            .map(|time| time.with_timezone(&Utc))
    }

    /// The next `count` runs after `after`, in the schedule's timezone.
    pub fn upcoming(&self, after: DateTime<Utc>, count: usize) -> Vec<DateTime<Tz>> {
        let mut runs = Vec::with_capacity(count);
        let mut cursor = after;
        while runs.len() < count {
            let Some(next) = self.next_after(cursor) else {
                break;
            };
            runs.push(next.with_timezone(&self.timezone));
            cursor = next;
        }
        runs
    }

    /// The gap between the runs following `after`: the schedule's period there.
    pub fn period_after(&self, after: DateTime<Utc>) -> Option<chrono::Duration> {
        let first = self.next_after(after)?;
        let second = self.next_after(first)?;
        Some(second - first)
    }
}

fn expand_macro(expression: &str) -> Result<String, String> {
    if !expression.starts_with('@') {
        return Ok(expression.to_owned());
    }
    let fields = match expression {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        other => {
            return Err(format!(
                "unknown cron macro `{other}`: use @yearly, @monthly, @weekly, @daily or @hourly"
            ))
        }
    };
    Ok(fields.to_owned())
}

fn day_number(token: &str) -> Result<u32, String> {
    let upper = token.to_ascii_uppercase();
    if let Some(index) = DAY_NAMES.iter().position(|name| *name == upper) {
        return Ok(index as u32);
    }
    match token.parse::<u32>() {
        Ok(number) if number <= 7 => Ok(number % 7),
        _ => Err(format!(
            "day of week `{token}` must be 0-7 (0 and 7 are Sunday) or SUN-SAT"
        )),
    }
}

/// Rewrites a crontab day-of-week field into day names, which mean the same in every
/// cron dialect.
fn translate_day_of_week(field: &str) -> Result<String, String> {
    if field == "*" || field == "?" {
        return Ok("*".to_owned());
    }
    let mut days = [false; 7];
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step.parse().ok().filter(|step| *step > 0).ok_or_else(|| {
                    format!("step `{step}` in day of week must be a positive number")
                })?;
                (range, step)
            }
            None => (item, 1),
        };
        let (first, last) = if range == "*" {
            (0, 6)
        } else if let Some((from, to)) = range.split_once('-') {
            let from = day_number(from)?;
            // `7` as the end of a range means Sunday at the end of the week.
            let to = if to == "7" { 7 } else { day_number(to)? };
            if to < from {
                return Err(format!("day-of-week range `{range}` runs backwards"));
            }
            (from, to)
        } else {
            let day = day_number(range)?;
            let last = if item.contains('/') { 6 } else { day };
            (day, last)
        };
        let mut day = first;
        while day <= last {
            days[(day % 7) as usize] = true;
            day += step;
        }
    }
    let names: Vec<&str> = DAY_NAMES
        .iter()
        .zip(days)
        .filter_map(|(name, on)| on.then_some(*name))
        .collect();
    Ok(names.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone, Timelike, Weekday};

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn daily_at_two_runs_at_two() {
        let schedule = CronSchedule::parse("0 2 * * *", "UTC").unwrap();
        let next = schedule.next_after(at(2026, 11, 25, 3, 0)).unwrap();
        assert_eq!(next, at(2026, 11, 26, 2, 0));
        assert_eq!(schedule.period_after(next).unwrap().num_hours(), 24);
    }

    #[test]
    fn crontab_day_of_week_numbers() {
        // 2026-11-25 is a Wednesday. `1` is Monday in crontab.
        let monday = CronSchedule::parse("0 0 * * 1", "UTC").unwrap();
        assert_eq!(
            monday.next_after(at(2026, 11, 25, 0, 0)).unwrap().weekday(),
            Weekday::Mon
        );
        for sunday in ["0 0 * * 0", "0 0 * * 7", "0 0 * * SUN"] {
            let schedule = CronSchedule::parse(sunday, "UTC").unwrap();
            assert_eq!(
                schedule
                    .next_after(at(2026, 11, 25, 0, 0))
                    .unwrap()
                    .weekday(),
                Weekday::Sun
            );
        }
        let weekend = CronSchedule::parse("0 0 * * 6-7", "UTC").unwrap();
        let days: Vec<Weekday> = weekend
            .upcoming(at(2026, 11, 25, 0, 0), 2)
            .iter()
            .map(|t| t.weekday())
            .collect();
        assert_eq!(days, vec![Weekday::Sat, Weekday::Sun]);
    }

    #[test]
    fn restricted_day_of_month_and_week_fire_on_either() {
        // The 1st of the month, or any Friday.
        let schedule = CronSchedule::parse("0 0 1 * 5", "UTC").unwrap();
        let runs = schedule.upcoming(at(2026, 11, 25, 0, 0), 2);
        assert_eq!((runs[0].day(), runs[0].weekday()), (27, Weekday::Fri));
        assert_eq!((runs[1].day(), runs[1].month()), (1, 12));
    }

    #[test]
    fn timezone_shifts_the_run() {
        let schedule = CronSchedule::parse("0 2 * * *", "Europe/Berlin").unwrap();
        let next = schedule.next_after(at(2026, 11, 25, 3, 0)).unwrap();
        assert_eq!(next.hour(), 1); // 02:00 CET is 01:00 UTC
    }

    #[test]
    fn six_fields_and_macros() {
        let every_two_seconds = CronSchedule::parse("*/2 * * * * *", "UTC").unwrap();
        let period = every_two_seconds
            .period_after(at(2026, 1, 1, 0, 0))
            .unwrap();
        assert_eq!(period.num_seconds(), 2);
        assert!(CronSchedule::parse("@daily", "UTC").is_ok());
    }

    #[test]
    fn errors_explain_the_form() {
        let error = CronSchedule::parse("0 2 * *", "UTC").unwrap_err();
        assert!(error.contains("expected 5 fields"), "{error}");
        let error = CronSchedule::parse("0 25 * * *", "UTC").unwrap_err();
        assert!(error.contains("invalid cron expression"), "{error}");
        let error = CronSchedule::parse("0 2 * * 9", "UTC").unwrap_err();
        assert!(error.contains("0-7"), "{error}");
        let error = CronSchedule::parse("0 2 * * *", "Mars/Olympus").unwrap_err();
        assert!(error.contains("unknown timezone"), "{error}");
    }
}
