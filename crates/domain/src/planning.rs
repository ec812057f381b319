//! Time slots in a place's own time: a local 09:00 stays 09:00 across daylight-saving
//! changes (slots are computed in the zone, never kept as UTC minutes). A local time that
//! does not exist (the spring gap) moves forward by the gap, as a wall clock would show
//! it; an ambiguous one (the autumn repeat) takes the first. Campaign cadences and
//! calendars, and posting queues, all take their slots from here.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use crate::input::FieldError;

/// An IANA zone, or a refusal naming `field`.
pub fn zone(name: &str, field: &str) -> Result<Tz, FieldError> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| FieldError::new(field, format!("unknown time zone {name:?}: an IANA name, e.g. Europe/Berlin")))
}

/// The instant a local wall-clock time stands for in `tz`.
pub fn resolve(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => {
            // In a gap: read the time with the offset in force just before it, which lands
            // as far past the gap's end as the time was past its start.
            let before = tz.offset_from_utc_datetime(&(local - Duration::hours(24)));
            let offset = chrono::Offset::fix(&before);
            (local - Duration::seconds(i64::from(offset.local_minus_utc()))).and_utc()
        }
    }
}

/// `HH:MM` (24 h).
pub fn parse_hour(s: &str, field: &str) -> Result<NaiveTime, FieldError> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map_err(|_| FieldError::new(field, "a time of day as HH:MM, e.g. 09:00"))
}

/// A cadence: `posts_per_day` slots on each of `days` (0 = Sunday … 6 = Saturday), at
/// the first `posts_per_day` of `hours`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cadence {
    pub posts_per_day: usize,
    pub hours: Vec<NaiveTime>,
    pub days: Vec<u32>,
}

impl Default for Cadence {
    /// The seed's default: one a day at 09:00 on Monday, Wednesday and Friday.
    fn default() -> Self {
        Self {
            posts_per_day: 1,
            hours: vec![NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default()],
            days: vec![1, 3, 5],
        }
    }
}

impl Cadence {
    pub fn check(&self, field: &str) -> Result<(), FieldError> {
        if !(1..=24).contains(&self.posts_per_day) {
            return Err(FieldError::new(format!("{field}.postsPerDay"), "from 1 to 24"));
        }
        if self.hours.len() < self.posts_per_day {
            return Err(FieldError::new(format!("{field}.hours"), "give at least postsPerDay times of day"));
        }
        if self.days.is_empty() || self.days.iter().any(|d| *d > 6) {
            return Err(FieldError::new(
                format!("{field}.daysOfWeek"),
                "days 0 (Sunday) to 6 (Saturday), at least one",
            ));
        }
        Ok(())
    }
}

fn weekday_number(w: Weekday) -> u32 {
    w.num_days_from_sunday()
}

/// The next `n` cadence slots at or after `start` (a slot equal to `start` counts),
/// looking at most `max_days` ahead.
pub fn cadence_slots(tz: Tz, cadence: &Cadence, start: DateTime<Utc>, n: usize, max_days: i64) -> Vec<DateTime<Utc>> {
    let mut hours = cadence.hours.clone();
    hours.sort_unstable();
    hours.dedup();
    let hours = &hours[..cadence.posts_per_day.min(hours.len())];
    let first_day = start.with_timezone(&tz).date_naive();
    let mut out = Vec::with_capacity(n);
    for offset in 0..max_days {
        let Some(day) = first_day.checked_add_signed(Duration::days(offset)) else { break };
        if !cadence.days.contains(&weekday_number(day.weekday())) {
            continue;
        }
        for h in hours {
            let at = resolve(tz, day.and_time(*h));
            if at >= start && out.last().is_none_or(|last| at > *last) {
                out.push(at);
                if out.len() == n {
                    return out;
                }
            }
        }
    }
    out
}

/// One slot per calendar date at `hour` in `tz`, in date order, those at or after `start`.
pub fn calendar_slots(tz: Tz, dates: &[NaiveDate], hour: NaiveTime, start: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut dates = dates.to_vec();
    dates.sort_unstable();
    dates.into_iter().map(|d| resolve(tz, d.and_time(hour))).filter(|t| *t >= start).collect()
}

/// Weekly slots `(day 0–6, time)` of a posting queue: the next `n` at or after `from`.
pub fn weekly_slots(tz: Tz, slots: &[(u32, NaiveTime)], from: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
    let mut out = Vec::with_capacity(n);
    let first_day = from.with_timezone(&tz).date_naive();
    let mut times: Vec<(u32, NaiveTime)> = slots.to_vec();
    times.sort_unstable_by_key(|(_, t)| *t);
    for offset in 0..(7 * 60) {
        let Some(day) = first_day.checked_add_signed(Duration::days(offset)) else { break };
        for (d, t) in &times {
            if *d == weekday_number(day.weekday()) {
                let at = resolve(tz, day.and_time(*t));
                if at >= from && out.last().is_none_or(|last| at > *last) {
                    out.push(at);
                    if out.len() == n {
                        return out;
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn local(tz: Tz, t: DateTime<Utc>) -> String {
        t.with_timezone(&tz).format("%Y-%m-%d %H:%M %a").to_string()
    }

    fn naive(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    /// A weekly 09:00 slot stays 09:00 local across both switches, in zones with an hour's
    /// shift each way, a half-hour shift (Lord Howe), and none (Johannesburg).
    #[test]
    fn a_local_nine_stays_nine_across_both_switches() {
        let nine = vec![parse_hour("09:00", "h").unwrap()];
        let every_day = Cadence { posts_per_day: 1, hours: nine, days: (0..7).collect() };
        let table: &[(&str, &str, i64)] = &[
            // zone, a start a few days before a switch, days to cover
            ("Europe/Berlin", "2026-03-25 00:00", 10),    // 29 March: +1 → +2
            ("Europe/Berlin", "2026-10-20 00:00", 10),    // 25 October: +2 → +1
            ("America/New_York", "2026-03-05 00:00", 10), // 8 March
            ("America/New_York", "2026-10-28 00:00", 10), // 1 November
            ("Australia/Lord_Howe", "2026-04-01 00:00", 10), // 5 April: +11 → +10:30
            ("Australia/Lord_Howe", "2026-09-30 00:00", 10), // 4 October: +10:30 → +11
            ("Africa/Johannesburg", "2026-03-25 00:00", 10),
        ];
        for (name, from, days) in table {
            let tz: Tz = name.parse().unwrap();
            let start = resolve(tz, naive(from));
            let slots = cadence_slots(tz, &every_day, start, *days as usize, 30);
            assert_eq!(slots.len(), *days as usize, "{name}");
            for s in &slots {
                assert_eq!(s.with_timezone(&tz).format("%H:%M").to_string(), "09:00", "{name}: {}", local(tz, *s));
            }
            // Across a switch, UTC moves (except where there is none).
            let offsets: std::collections::BTreeSet<i64> =
                slots.iter().map(|s| (s.with_timezone(&tz).naive_local() - s.naive_utc()).num_minutes()).collect();
            let expect = if *name == "Africa/Johannesburg" { 1 } else { 2 };
            assert_eq!(offsets.len(), expect, "{name}: {offsets:?}");
        }
    }

    /// A time in the spring gap moves forward by the gap; an ambiguous one takes the first.
    #[test]
    fn gaps_move_forward_and_repeats_take_the_first() {
        let table: &[(&str, &str, &str)] = &[
            ("Europe/Berlin", "2026-03-29 02:30", "2026-03-29 01:30"), // → 03:30 CEST
            ("Europe/Berlin", "2026-10-25 02:30", "2026-10-25 00:30"), // first 02:30 is CEST
            ("America/New_York", "2026-03-08 02:15", "2026-03-08 07:15"), // → 03:15 EDT
            ("America/New_York", "2026-11-01 01:30", "2026-11-01 05:30"), // first is EDT
            ("Australia/Lord_Howe", "2026-10-04 02:15", "2026-10-03 15:45"), // → 02:45 (+11)
            ("Australia/Lord_Howe", "2026-04-05 01:45", "2026-04-04 14:45"), // first is +11
            ("Africa/Johannesburg", "2026-03-29 02:30", "2026-03-29 00:30"),
        ];
        for (name, wall, utc) in table {
            let tz: Tz = name.parse().unwrap();
            assert_eq!(resolve(tz, naive(wall)).naive_utc(), naive(utc), "{name} {wall}");
        }
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(local(tz, resolve(tz, naive("2026-03-29 02:30"))), "2026-03-29 03:30 Sun");
    }

    #[test]
    fn a_slot_equal_to_the_start_counts_and_cadences_follow_their_days() {
        let tz: Tz = "Africa/Johannesburg".parse().unwrap();
        let start = resolve(tz, naive("2026-05-11 09:00")); // a Monday
        let slots = cadence_slots(tz, &Cadence::default(), start, 4, 30);
        let shown: Vec<String> = slots.iter().map(|s| local(tz, *s)).collect();
        assert_eq!(
            shown,
            ["2026-05-11 09:00 Mon", "2026-05-13 09:00 Wed", "2026-05-15 09:00 Fri", "2026-05-18 09:00 Mon"]
        );
        let two = Cadence {
            posts_per_day: 2,
            hours: vec![parse_hour("17:30", "h").unwrap(), parse_hour("08:00", "h").unwrap()],
            days: vec![2],
        };
        let shown: Vec<String> = cadence_slots(tz, &two, start, 3, 30).iter().map(|s| local(tz, *s)).collect();
        assert_eq!(shown, ["2026-05-12 08:00 Tue", "2026-05-12 17:30 Tue", "2026-05-19 08:00 Tue"]);
        assert!(zone("Mars/Olympus", "timezone").is_err());
        assert_eq!(zone("Mars/Olympus", "timezone").unwrap_err().field, "timezone");
        assert!(Cadence { posts_per_day: 2, ..Cadence::default() }.check("cadence").is_err());
    }
}
