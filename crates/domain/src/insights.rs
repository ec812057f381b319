//! Best posting times from a workspace's own history: each published post's engagement
//! rate, placed in its weekday × hour in the workspace's zone, each cell shrunk towards the
//! overall mean (so one lucky post does not win), and cells with too few posts left out.
//! With too little history the answer says so and gives the platform's stated priors.

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::Provider;

/// One published post's outcome, as best times weigh it.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub published_at: DateTime<Utc>,
    /// Engagements per impression where the platform counts impressions, else engagements
    /// relative to the mean of the posts that have no impressions either.
    pub rate: f64,
}

/// How best times are worked out.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Fewer posts with figures than this: the platform's priors instead.
    pub min_history: usize,
    /// A cell needs this many posts to be ranked.
    pub min_per_cell: usize,
    /// Weight of the overall mean in each cell (posts' worth).
    pub prior_weight: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self { min_history: 10, min_per_cell: 2, prior_weight: 3.0 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Slot {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u32,
    pub hour: u32,
    /// 0..1, the best slot 1.
    pub score: f64,
    /// Posts of the history in this slot (0 for a prior).
    pub posts: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BestTimes {
    pub timezone: String,
    /// `history` (the workspace's own posts) or `priors` (too little history).
    pub basis: String,
    pub posts_considered: usize,
    /// Best first, at most five.
    pub slots: Vec<Slot>,
    /// 7 × 24 scores (Monday first) for a heat map; `None` where a cell has too few posts.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<Option<f64>>>))]
    pub grid: Vec<Vec<Option<f64>>>,
    pub note: String,
}

/// Stated starting points per platform (local time), used until a workspace has history:
/// weekday mornings and lunchtimes for professional networks, evenings for the visual and
/// video platforms. They are PostMantis's defaults, not a measurement of your audience.
pub fn priors(p: Provider) -> &'static [(u32, u32)] {
    use Provider::*;
    match p {
        Linkedin => &[(1, 10), (2, 9), (3, 10), (1, 12), (2, 12)],
        X | Threads | Bluesky | Mastodon => &[(2, 9), (1, 12), (3, 9), (0, 12), (4, 9)],
        Facebook => &[(2, 13), (3, 13), (1, 11), (4, 10), (0, 13)],
        Instagram | Pinterest | Dribbble => &[(2, 11), (3, 19), (1, 19), (4, 11), (6, 10)],
        Tiktok | Youtube => &[(3, 19), (4, 17), (5, 11), (1, 19), (6, 15)],
        Reddit => &[(0, 8), (5, 9), (6, 9), (1, 8), (2, 8)],
    }
}

pub const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// Best times for `samples` in `tz`; `provider` names the priors when history is short.
pub fn best_times(samples: &[Sample], tz: Tz, provider: Option<Provider>, s: Settings) -> BestTimes {
    let n = samples.len();
    let mut sum = [[0.0f64; 24]; 7];
    let mut count = [[0usize; 24]; 7];
    for x in samples {
        let local = x.published_at.with_timezone(&tz);
        let (d, h) = (local.weekday().num_days_from_monday() as usize, local.hour() as usize);
        sum[d][h] += x.rate;
        count[d][h] += 1;
    }
    if n < s.min_history {
        let p = provider.unwrap_or(Provider::X);
        let slots: Vec<Slot> = priors(p)
            .iter()
            .enumerate()
            .map(|(i, (weekday, hour))| Slot { weekday: *weekday, hour: *hour, score: 1.0 - i as f64 * 0.1, posts: 0 })
            .collect();
        let mut grid = vec![vec![None; 24]; 7];
        for sl in &slots {
            grid[sl.weekday as usize][sl.hour as usize] = Some(sl.score);
        }
        return BestTimes {
            timezone: tz.name().to_owned(),
            basis: "priors".into(),
            posts_considered: n,
            slots,
            grid,
            note: format!(
                "Only {n} published post(s) with figures (at least {} are needed): these are PostMantis's stated starting points for {}, not a measurement of your audience.",
                s.min_history,
                p.display_name()
            ),
        };
    }
    let mean = samples.iter().map(|x| x.rate).sum::<f64>() / n as f64;
    let mut raw = vec![vec![None; 24]; 7];
    for d in 0..7 {
        for h in 0..24 {
            if count[d][h] >= s.min_per_cell {
                raw[d][h] = Some((sum[d][h] + s.prior_weight * mean) / (count[d][h] as f64 + s.prior_weight));
            }
        }
    }
    let top = raw.iter().flatten().flatten().copied().fold(0.0f64, f64::max);
    let grid: Vec<Vec<Option<f64>>> =
        raw.iter().map(|row| row.iter().map(|c| c.map(|v| if top > 0.0 { v / top } else { 0.0 })).collect()).collect();
    let mut slots: Vec<Slot> = Vec::new();
    for (d, row) in grid.iter().enumerate() {
        for (h, c) in row.iter().enumerate() {
            if let Some(score) = c {
                slots.push(Slot { weekday: d as u32, hour: h as u32, score: *score, posts: count[d][h] });
            }
        }
    }
    slots.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.posts.cmp(&a.posts)));
    slots.truncate(5);
    BestTimes {
        timezone: tz.name().to_owned(),
        basis: "history".into(),
        posts_considered: n,
        slots,
        grid,
        note: format!(
            "From {n} published posts' engagement rates by weekday and hour in {}; slots with fewer than {} posts are not ranked.",
            tz.name(),
            s.min_per_cell
        ),
    }
}

/// A post's engagement rate from its figures: per impression where there are some.
pub fn rate(f: &crate::metrics::Figures) -> Option<f64> {
    let e = f.engagements()? as f64;
    match f.impressions.or(f.video_views) {
        Some(i) if i > 0 => Some(e / i as f64),
        _ => None,
    }
}

/// Seven weekly buckets ending now (W1 oldest … W7 newest) of the times given.
pub fn weekly(times: &[DateTime<Utc>], now: DateTime<Utc>) -> [usize; 7] {
    let mut out = [0usize; 7];
    for t in times {
        let age = (now - *t).num_days();
        if (0..49).contains(&age) {
            out[6 - (age / 7) as usize] += 1;
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    /// Ten weeks of posts at known slots: Tuesday 10:00 (Berlin) does three times as well as
    /// the rest; one lucky post at 03:00 must not win; a thin history falls back to priors.
    #[test]
    fn a_generated_history_has_a_known_best_time() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let monday = tz.with_ymd_and_hms(2026, 9, 7, 0, 0, 0).unwrap();
        let mut samples = Vec::new();
        // Local wall times, across the end of summer time (late October).
        let at = |days: i64, hour: u32| {
            let date = monday.date_naive() + Duration::days(days);
            tz.from_local_datetime(&date.and_hms_opt(hour, 0, 0).unwrap()).single().unwrap().with_timezone(&Utc)
        };
        for week in 0..10 {
            for (day, hour, rate) in [(1, 10, 0.09), (1, 15, 0.03), (3, 9, 0.03), (4, 17, 0.035)] {
                samples.push(Sample { published_at: at(week * 7 + day, hour), rate });
            }
        }
        // One post at Wednesday 03:00 with a huge rate: alone in its cell, never ranked.
        samples.push(Sample { published_at: at(2, 3), rate: 0.9 });
        let b = best_times(&samples, tz, Some(Provider::X), Settings::default());
        assert_eq!(b.basis, "history");
        assert_eq!((b.slots[0].weekday, b.slots[0].hour, b.slots[0].posts), (1, 10, 10));
        assert_eq!(b.slots[0].score, 1.0);
        assert_eq!((b.slots[1].weekday, b.slots[1].hour), (4, 17));
        assert!(b.grid[2][3].is_none(), "a single post is not a slot");
        assert_eq!(b.slots.len(), 4);
        // In UTC the same history splits across 08:00 (summer) and 09:00 (winter): the
        // zone is what makes ten posts one slot.
        let utc = best_times(&samples, chrono_tz::UTC, None, Settings::default());
        assert_eq!((utc.slots[0].weekday, utc.slots[0].hour, utc.slots[0].posts), (1, 8, 7));
        // Too little history: stated priors, and it says so.
        let thin = best_times(&samples[..5], tz, Some(Provider::Linkedin), Settings::default());
        assert_eq!(thin.basis, "priors");
        assert_eq!((thin.slots[0].weekday, thin.slots[0].hour, thin.slots[0].posts), (1, 10, 0));
        assert!(thin.note.contains("Only 5") && thin.note.contains("LinkedIn"), "{}", thin.note);
    }

    #[test]
    fn weekly_buckets_run_oldest_to_newest() {
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap();
        let t = |days: i64| now - Duration::days(days);
        let b = weekly(&[t(0), t(1), t(6), t(7), t(48), t(49), t(100)], now);
        assert_eq!(b, [1, 0, 0, 0, 0, 1, 3]);
    }

    #[test]
    fn a_rate_needs_impressions_or_views() {
        let f =
            crate::metrics::Figures { impressions: Some(200), likes: Some(8), comments: Some(2), ..Default::default() };
        assert_eq!(rate(&f), Some(0.05));
        let v = crate::metrics::Figures { video_views: Some(100), likes: Some(5), ..Default::default() };
        assert_eq!(rate(&v), Some(0.05));
        assert_eq!(rate(&crate::metrics::Figures { likes: Some(3), ..Default::default() }), None);
    }
}
