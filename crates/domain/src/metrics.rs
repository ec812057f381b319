//! The one metric catalogue every platform's figures are mapped to, and the schedule of
//! a published post's snapshots. A figure the platform does not give is `None`, never 0;
//! a figure it stopped giving leaves the snapshot partial, with a warning.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A post's figures at one moment, in the catalogue's terms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    pub impressions: Option<u64>,
    pub reach: Option<u64>,
    pub likes: Option<u64>,
    pub comments: Option<u64>,
    pub shares: Option<u64>,
    pub saves: Option<u64>,
    pub clicks: Option<u64>,
    pub video_views: Option<u64>,
}

/// The catalogue's metric names, in display order.
pub const METRICS: [&str; 8] =
    ["impressions", "reach", "likes", "comments", "shares", "saves", "clicks", "video_views"];

impl Figures {
    /// A figure by its catalogue name.
    pub fn get(&self, name: &str) -> Option<u64> {
        match name {
            "impressions" => self.impressions,
            "reach" => self.reach,
            "likes" => self.likes,
            "comments" => self.comments,
            "shares" => self.shares,
            "saves" => self.saves,
            "clicks" => self.clicks,
            "video_views" => self.video_views,
            _ => None,
        }
    }

    fn slot(&mut self, name: &str) -> Option<&mut Option<u64>> {
        Some(match name {
            "impressions" => &mut self.impressions,
            "reach" => &mut self.reach,
            "likes" => &mut self.likes,
            "comments" => &mut self.comments,
            "shares" => &mut self.shares,
            "saves" => &mut self.saves,
            "clicks" => &mut self.clicks,
            "video_views" => &mut self.video_views,
            _ => return None,
        })
    }

    /// Likes, comments, shares and saves together: what engagement rates are made of.
    pub fn engagements(&self) -> Option<u64> {
        let parts = [self.likes, self.comments, self.shares, self.saves];
        parts.iter().any(Option::is_some).then(|| parts.iter().flatten().sum())
    }
}

/// One read of a post's figures: what was found, and what the platform was expected to
/// give and did not (a retired or withheld metric), said in words.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Snapshot {
    pub figures: Figures,
    pub warnings: Vec<String>,
}

impl Snapshot {
    /// Fills the catalogue from a platform's answer: each `(catalogue name, value)` found
    /// is kept; each expected one missing from the answer is a warning naming the
    /// platform's own field. Values a platform sends as strings (YouTube) are read too.
    pub fn map(platform: &str, expected: &[(&str, &str)], found: impl Fn(&str) -> Option<serde_json::Value>) -> Self {
        let mut s = Snapshot::default();
        fill(&mut s.figures, Figures::slot, &mut s.warnings, platform, expected, found);
        s
    }

    /// Partial: the platform left out something it was asked for.
    pub fn is_partial(&self) -> bool {
        !self.warnings.is_empty()
    }
}

/// A figure from a platform's answer: a number, or a number sent as a string (YouTube).
fn count(v: serde_json::Value) -> Option<u64> {
    match v {
        serde_json::Value::Number(n) => n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        serde_json::Value::String(t) => t.trim().parse().ok(),
        _ => None,
    }
}

/// Fills `target`'s slots from a platform's answer: each `(catalogue name, platform field)`
/// found is added to its slot; each expected one missing is a warning naming the field.
fn fill<T>(
    target: &mut T,
    slot: for<'a> fn(&'a mut T, &str) -> Option<&'a mut Option<u64>>,
    warnings: &mut Vec<String>,
    platform: &str,
    expected: &[(&str, &str)],
    found: impl Fn(&str) -> Option<serde_json::Value>,
) {
    for (metric, field) in expected {
        match (found(field).and_then(count), slot(target, metric)) {
            (Some(v), Some(slot)) => *slot = Some(slot.unwrap_or(0) + v),
            (None, Some(_)) => warnings.push(format!("{platform} no longer reports `{field}` ({metric}); left empty")),
            (_, None) => {}
        }
    }
}

/// An account's figures at one moment (read daily): its audience and how much it has
/// published, as the platform counts them. `None` where the platform does not say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountFigures {
    /// Followers, subscribers or fans: whoever sees the account's posts by default.
    pub followers: Option<u64>,
    /// Posts, videos, pins or shots the platform counts for the account.
    pub posts: Option<u64>,
}

/// The account figures' names, in display order.
pub const ACCOUNT_METRICS: [&str; 2] = ["followers", "posts"];

impl AccountFigures {
    fn slot(&mut self, name: &str) -> Option<&mut Option<u64>> {
        Some(match name {
            "followers" => &mut self.followers,
            "posts" => &mut self.posts,
            _ => return None,
        })
    }
}

/// One read of an account's figures, with what the platform stopped giving.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountSnapshot {
    pub figures: AccountFigures,
    pub warnings: Vec<String>,
}

impl AccountSnapshot {
    /// As `Snapshot::map`, for `followers` and `posts`.
    pub fn map(platform: &str, expected: &[(&str, &str)], found: impl Fn(&str) -> Option<serde_json::Value>) -> Self {
        let mut s = AccountSnapshot::default();
        fill(&mut s.figures, AccountFigures::slot, &mut s.warnings, platform, expected, found);
        s
    }

    pub fn is_partial(&self) -> bool {
        !self.warnings.is_empty()
    }
}

/// When a published post's snapshots fall due: after each of `offsets`, then every
/// `every` until `until` after publishing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SnapshotSchedule {
    /// Seconds after publishing of the first snapshots (1 h, 6 h, 24 h, 72 h, 7 d).
    pub offsets_s: Vec<i64>,
    /// Then one every this many seconds (a day)…
    pub every_s: i64,
    /// …until this many seconds after publishing (30 days).
    pub until_s: i64,
}

impl Default for SnapshotSchedule {
    fn default() -> Self {
        Self { offsets_s: vec![3_600, 21_600, 86_400, 259_200, 604_800], every_s: 86_400, until_s: 2_592_000 }
    }
}

impl SnapshotSchedule {
    /// The first time after `after` a snapshot of a post published at `published` is due,
    /// or `None` when its schedule has ended.
    pub fn next_due(&self, published: DateTime<Utc>, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut offsets: Vec<i64> = self.offsets_s.clone();
        offsets.sort_unstable();
        let last = offsets.last().copied().unwrap_or(0);
        if let Some(o) = offsets.iter().find(|o| published + Duration::seconds(**o) > after) {
            return Some(published + Duration::seconds(*o));
        }
        if self.every_s <= 0 {
            return None;
        }
        // Past the fixed offsets: the next step of `every` after the last offset.
        let since_last = (after - (published + Duration::seconds(last))).num_seconds();
        let steps = since_last / self.every_s + 1;
        let at = published + Duration::seconds(last + steps * self.every_s);
        (at - published <= Duration::seconds(self.until_s)).then_some(at)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    #[test]
    fn snapshots_fall_due_at_each_offset_then_daily_to_thirty_days() {
        let s = SnapshotSchedule::default();
        let p = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let h = |n: i64| p + Duration::hours(n);
        let mut due = Vec::new();
        let mut at = p;
        while let Some(next) = s.next_due(p, at) {
            due.push((next - p).num_hours());
            at = next;
        }
        let mut want = vec![1, 6, 24, 72, 168];
        want.extend((8..=30).map(|d| d * 24));
        assert_eq!(due, want);
        // A collector that was away catches up with one snapshot, not every missed one.
        assert_eq!(s.next_due(p, h(200)), Some(h(216)));
        assert_eq!(s.next_due(p, h(30 * 24)), None);
        // Time is moved by configuration, not by sleeping: seconds instead of hours.
        let fast = SnapshotSchedule { offsets_s: vec![1, 2], every_s: 3, until_s: 10 };
        let mut at = p;
        let mut seen = Vec::new();
        while let Some(next) = fast.next_due(p, at) {
            seen.push((next - p).num_seconds());
            at = next;
        }
        assert_eq!(seen, vec![1, 2, 5, 8]);
    }

    #[test]
    fn an_accounts_figures_map_like_a_posts_and_a_missing_one_warns() {
        let answer = json!({"followers_count": "1200", "statuses_count": 31});
        let s =
            AccountSnapshot::map("Mastodon", &[("followers", "followers_count"), ("posts", "statuses_count")], |f| {
                answer.get(f).cloned()
            });
        assert_eq!(s.figures, AccountFigures { followers: Some(1200), posts: Some(31) });
        assert!(!s.is_partial());
        let gone = AccountSnapshot::map("Mastodon", &[("followers", "followers_count")], |_| None);
        assert_eq!(gone.figures.followers, None, "never 0");
        assert_eq!(gone.warnings, vec!["Mastodon no longer reports `followers_count` (followers); left empty"]);
        assert_eq!(gone.figures.posts, None, "never asked: empty, and no warning");
    }

    #[test]
    fn a_missing_figure_is_empty_with_a_warning_never_zero() {
        let answer = json!({"like_count": 12, "reply_count": "3", "retweet_count": 2, "quote_count": 1});
        let s = Snapshot::map(
            "X",
            &[
                ("likes", "like_count"),
                ("comments", "reply_count"),
                ("shares", "retweet_count"),
                ("shares", "quote_count"),
                ("impressions", "impression_count"),
            ],
            |f| answer.get(f).cloned(),
        );
        assert_eq!(s.figures.likes, Some(12));
        assert_eq!(s.figures.comments, Some(3));
        assert_eq!(s.figures.shares, Some(3), "retweets and quotes are both shares");
        assert_eq!(s.figures.impressions, None);
        assert_eq!(s.figures.reach, None, "never asked: empty, and no warning");
        assert!(s.is_partial());
        assert_eq!(s.warnings, vec!["X no longer reports `impression_count` (impressions); left empty"]);
        assert_eq!(s.figures.engagements(), Some(18));
        assert_eq!(Figures::default().engagements(), None);
    }
}
