//! "How did it do?" across the workspace: the stats summary, figures per day and per
//! profile (each published delivery counted by its newest snapshot), and best posting
//! times from the workspace's own history (`domain::insights`).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::{Outcome, ProfileId, Provider, insights, metrics::Figures};
use serde::Serialize;

use crate::{Caller, Posting, PostingError, PostingResult};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stats {
    pub total: usize,
    /// Posts per outcome (`draft`, a review state while in review, `scheduled`,
    /// `publishing`, `published`, `partially_published`, `failed`, `canceled`).
    pub by_status: BTreeMap<String, usize>,
    /// Posts per provider they go to.
    pub by_provider: BTreeMap<String, usize>,
    /// Percent of reviewed posts approved without a rejection; null when none was reviewed.
    pub approval_rate: Option<u32>,
    pub last_30_days: usize,
    /// Posts made in each of the last seven weeks, oldest first.
    pub weekly: [usize; 7],
}

/// Figures summed over published deliveries (each by its newest snapshot).
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Totals {
    /// Published deliveries counted.
    pub posts: usize,
    /// Of those, how many have figures yet.
    pub with_figures: usize,
    #[serde(flatten)]
    pub figures: Figures,
    pub engagements: Option<u64>,
}

impl Totals {
    fn add(&mut self, f: Option<&Figures>) {
        self.posts += 1;
        let Some(f) = f else { return };
        self.with_figures += 1;
        let add = |a: &mut Option<u64>, b: Option<u64>| {
            if let Some(b) = b {
                *a = Some(a.unwrap_or(0) + b);
            }
        };
        let t = &mut self.figures;
        add(&mut t.impressions, f.impressions);
        add(&mut t.reach, f.reach);
        add(&mut t.likes, f.likes);
        add(&mut t.comments, f.comments);
        add(&mut t.shares, f.shares);
        add(&mut t.saves, f.saves);
        add(&mut t.clicks, f.clicks);
        add(&mut t.video_views, f.video_views);
        self.engagements = self.figures.engagements();
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Day {
    /// The day of publishing, in the workspace's zone.
    pub date: NaiveDate,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileFigures {
    pub profile_id: ProfileId,
    pub profile_name: String,
    pub provider: String,
    /// Its published posts' figures (within the filter's window).
    #[serde(flatten)]
    pub totals: Totals,
    /// The account's own figures as last read (daily): null until the collector has read
    /// them, or where the platform does not say.
    pub followers: Option<u64>,
    /// Followers gained (negative: lost) from the window's start (`from`, else 30 days ago)
    /// to the last read; null without two readings to compare.
    pub followers_change: Option<i64>,
    /// Posts the platform counts for the account (all of them, not only PostMantis's).
    pub account_posts: Option<u64>,
    /// When the account's figures were last read.
    pub account_read_at: Option<DateTime<Utc>>,
    /// What the platform stopped giving at the last read.
    pub account_warnings: Vec<String>,
    /// The last reading of each day in the window, oldest first.
    pub account_history: Vec<AccountDay>,
}

/// An account's figures on one day (the day's last reading, in the workspace's zone).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountDay {
    pub date: NaiveDate,
    pub followers: Option<u64>,
    pub posts: Option<u64>,
}

impl ProfileFigures {
    fn new(profile_id: ProfileId, profile_name: String, provider: Provider) -> Self {
        Self {
            profile_id,
            profile_name,
            provider: provider.as_str().to_owned(),
            totals: Totals::default(),
            followers: None,
            followers_change: None,
            account_posts: None,
            account_read_at: None,
            account_warnings: Vec::new(),
            account_history: Vec::new(),
        }
    }

    /// Fills the account figures from its readings in the window (and the last before it).
    fn account(&mut self, a: &store::account_figures::Account, tz: chrono_tz::Tz) {
        let Some(last) = a.history.last() else { return };
        let now = last.figures();
        self.followers = now.followers;
        self.account_posts = now.posts;
        self.account_read_at = Some(last.collected_at);
        self.account_warnings.clone_from(&last.warnings);
        let first = a.before.as_ref().or(a.history.first()).filter(|s| s.id != last.id);
        self.followers_change = first.and_then(|s| s.figures().followers).zip(now.followers).map(|(from, to)| {
            i64::try_from(to).unwrap_or(i64::MAX).saturating_sub(i64::try_from(from).unwrap_or(i64::MAX))
        });
        let mut days: BTreeMap<NaiveDate, AccountDay> = BTreeMap::new();
        for s in &a.history {
            let date = s.collected_at.with_timezone(&tz).date_naive();
            let f = s.figures();
            days.insert(date, AccountDay { date, followers: f.followers, posts: f.posts });
        }
        self.account_history = days.into_values().collect();
    }
}

/// Which published deliveries an analytics question is about.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub provider: Option<Provider>,
    pub profile: Option<ProfileId>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl Posting {
    pub async fn stats(&self, caller: &Caller) -> PostingResult<Stats> {
        let mut conn = self.pool.get().await?;
        let posts = store::metrics::post_facts(&mut conn, &caller.scope).await?;
        let now = Utc::now();
        let mut by_status = BTreeMap::new();
        let mut by_provider = BTreeMap::new();
        let (mut reviewed, mut approved) = (0u32, 0u32);
        for p in &posts {
            let settled: Vec<domain::DeliveryStatus> = p.deliveries.iter().map(|d| d.1).collect();
            let outcome = Outcome::of(p.status, p.dispatched, &settled, false);
            let name = match (outcome, p.review) {
                (Outcome::Draft, Some(r)) => r.as_str().to_owned(),
                (o, _) => o.as_str().to_owned(),
            };
            *by_status.entry(name).or_insert(0) += 1;
            let mut seen: Vec<Provider> = p.deliveries.iter().map(|d| d.0).collect();
            seen.dedup();
            for pr in seen {
                *by_provider.entry(pr.as_str().to_owned()).or_insert(0) += 1;
            }
            if p.approved || p.rejected {
                reviewed += 1;
                approved += u32::from(p.approved && !p.rejected);
            }
        }
        let created: Vec<DateTime<Utc>> = posts.iter().map(|p| p.created_at).collect();
        Ok(Stats {
            total: posts.len(),
            by_status,
            by_provider,
            approval_rate: (reviewed > 0).then(|| (approved * 100 + reviewed / 2) / reviewed),
            last_30_days: created.iter().filter(|t| now - **t < Duration::days(30)).count(),
            weekly: insights::weekly(&created, now),
        })
    }

    /// Figures per day of publishing (in the workspace's zone), oldest first.
    pub async fn analytics_by_day(&self, caller: &Caller, f: &Filter) -> PostingResult<Vec<Day>> {
        let tz = self.zone(caller).await?;
        let mut conn = self.pool.get().await?;
        let all = store::metrics::published(&mut conn, &caller.scope, f.provider, f.profile, f.from, f.to).await?;
        let mut days: BTreeMap<NaiveDate, Totals> = BTreeMap::new();
        for d in &all {
            let day = d.published_at.with_timezone(&tz).date_naive();
            days.entry(day).or_default().add(d.latest.as_ref().map(|s| s.figures()).as_ref());
        }
        Ok(days.into_iter().map(|(date, totals)| Day { date, totals }).collect())
    }

    /// Figures per profile: every connected profile the caller sees (with its account's
    /// followers and posts), and any other that published within the window.
    pub async fn analytics_by_profile(&self, caller: &Caller, f: &Filter) -> PostingResult<Vec<ProfileFigures>> {
        let tz = self.zone(caller).await?;
        let mut conn = self.pool.get().await?;
        let since = f.from.unwrap_or_else(|| Utc::now() - Duration::days(30));
        let accounts =
            store::account_figures::accounts(&mut conn, &caller.scope, f.provider, f.profile, since, f.to).await?;
        let all = store::metrics::published(&mut conn, &caller.scope, f.provider, f.profile, f.from, f.to).await?;
        let mut by: BTreeMap<(String, ProfileId), ProfileFigures> = BTreeMap::new();
        for a in &accounts {
            let entry = by
                .entry((a.profile_name.clone(), a.profile_id))
                .or_insert_with(|| ProfileFigures::new(a.profile_id, a.profile_name.clone(), a.provider));
            entry.account(a, tz);
        }
        for d in &all {
            by.entry((d.profile_name.clone(), d.profile_id))
                .or_insert_with(|| ProfileFigures::new(d.profile_id, d.profile_name.clone(), d.provider))
                .totals
                .add(d.latest.as_ref().map(|s| s.figures()).as_ref());
        }
        Ok(by.into_values().collect())
    }

    /// Every snapshot of the published deliveries `f` selects (of one post, if given),
    /// oldest first, each with its post and provider.
    pub async fn snapshots(
        &self,
        caller: &Caller,
        f: &Filter,
        post: Option<domain::PostId>,
    ) -> PostingResult<Vec<(domain::PostId, Provider, crate::metrics::SnapshotView)>> {
        let mut conn = self.pool.get().await?;
        let all = store::metrics::published(&mut conn, &caller.scope, f.provider, f.profile, f.from, f.to).await?;
        let chosen: Vec<&store::metrics::Published> =
            all.iter().filter(|d| post.is_none_or(|p| d.post_id == p)).collect();
        let ids: Vec<domain::DeliveryId> = chosen.iter().map(|d| d.delivery_id).collect();
        let rows = store::metrics::of_deliveries(&mut conn, &ids).await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let d = chosen.iter().find(|d| d.delivery_id == r.delivery_id)?;
                Some((d.post_id, d.provider, crate::metrics::SnapshotView::of(r)))
            })
            .collect())
    }

    /// Best posting times from the posts' engagement rates (their newest figures).
    pub async fn best_times(&self, caller: &Caller, f: &Filter) -> PostingResult<insights::BestTimes> {
        let tz = self.zone(caller).await?;
        let mut conn = self.pool.get().await?;
        let all = store::metrics::published(&mut conn, &caller.scope, f.provider, f.profile, f.from, f.to).await?;
        let samples: Vec<insights::Sample> = all
            .iter()
            .filter_map(|d| {
                let rate = insights::rate(&d.latest.as_ref()?.figures())?;
                Some(insights::Sample { published_at: d.published_at, rate })
            })
            .collect();
        let provider = f.provider.or_else(|| all.first().map(|d| d.provider));
        Ok(insights::best_times(&samples, tz, provider, insights::Settings::default()))
    }

    async fn zone(&self, caller: &Caller) -> PostingResult<chrono_tz::Tz> {
        let settings = self.settings(caller).await?;
        domain::planning::zone(&settings.timezone, "timezone").map_err(|e| PostingError::Validation(vec![e]))
    }
}
