//! A post's figures as the collector keeps them: the history of every published delivery
//! and its latest snapshot, and a refresh (an on-demand snapshot, at most one per post per
//! `REFRESH_EVERY`).

use chrono::{DateTime, Utc};
use domain::PostId;
use domain::metrics::Figures;
use serde::Serialize;

use crate::{Caller, Posting, PostingError, PostingResult};

/// The least time between two refreshes of one post (platforms count calls).
pub const REFRESH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// One snapshot as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnapshotView {
    pub collected_at: DateTime<Utc>,
    /// `scheduled | on_demand`
    pub trigger: String,
    #[serde(flatten)]
    pub figures: Figures,
    /// What the platform stopped giving (the snapshot is partial).
    pub warnings: Vec<String>,
}

impl SnapshotView {
    pub fn of(r: &store::metrics::SnapshotRow) -> Self {
        SnapshotView {
            collected_at: r.collected_at,
            trigger: r.trigger.clone(),
            figures: r.figures(),
            warnings: r.warnings.clone(),
        }
    }
}

/// One delivery's figures: the latest and every snapshot before it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryMetrics {
    pub delivery_id: domain::DeliveryId,
    pub provider: String,
    pub profile_name: String,
    pub url: Option<String>,
    pub latest: Option<SnapshotView>,
    /// Oldest first.
    pub history: Vec<SnapshotView>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostMetrics {
    pub post_id: PostId,
    pub deliveries: Vec<DeliveryMetrics>,
}

impl Posting {
    /// The post's figures, per published delivery.
    pub async fn metrics(&self, caller: &Caller, id: PostId) -> PostingResult<PostMetrics> {
        let mut conn = self.pool.get().await?;
        let view = store::posts::get(&mut conn, &caller.scope, id).await?.ok_or(PostingError::PostNotFound)?;
        let rows = store::metrics::history(&mut conn, id).await?;
        let deliveries = view
            .deliveries
            .iter()
            .filter(|(d, _)| d.status == domain::DeliveryStatus::Published)
            .map(|(d, name)| {
                let history: Vec<SnapshotView> =
                    rows.iter().filter(|r| r.delivery_id == d.id).map(SnapshotView::of).collect();
                DeliveryMetrics {
                    delivery_id: d.id,
                    provider: d.provider.as_str().to_owned(),
                    profile_name: name.clone(),
                    url: d.url.clone(),
                    latest: history.last().cloned(),
                    history,
                }
            })
            .collect();
        Ok(PostMetrics { post_id: id, deliveries })
    }

    /// Asks the collector for a snapshot of every published delivery of the post now;
    /// `Err(TooSoon)` within `REFRESH_EVERY` of the last one. Returns when it was asked.
    pub async fn refresh_metrics(&self, caller: &Caller, id: PostId) -> PostingResult<DateTime<Utc>> {
        caller.require_write()?;
        let mut conn = self.pool.get().await?;
        let view = store::posts::get(&mut conn, &caller.scope, id).await?.ok_or(PostingError::PostNotFound)?;
        let published: Vec<domain::DeliveryId> = view
            .deliveries
            .iter()
            .filter(|(d, _)| d.status == domain::DeliveryStatus::Published)
            .map(|(d, _)| d.id)
            .collect();
        if published.is_empty() {
            return Err(PostingError::Conflict(
                "The post has no published delivery yet: there are no figures to read.".into(),
            ));
        }
        let now = Utc::now();
        if let Some(last) = store::metrics::last_on_demand(&mut conn, id).await?
            && now - last < REFRESH_EVERY
        {
            let wait = (REFRESH_EVERY - (now - last)).num_seconds().max(1);
            return Err(PostingError::TooSoon(u64::try_from(wait).unwrap_or(1)));
        }
        store::metrics::request(&mut conn, &published, now).await?;
        Ok(now)
    }

    /// Waits (up to `within`) until every published delivery of the post has a snapshot
    /// taken at or after `since`; the figures then, and whether they are all in.
    pub async fn metrics_since(
        &self,
        caller: &Caller,
        id: PostId,
        since: DateTime<Utc>,
        within: std::time::Duration,
    ) -> PostingResult<(PostMetrics, bool)> {
        let deadline = std::time::Instant::now() + within;
        loop {
            let m = self.metrics(caller, id).await?;
            let fresh = m.deliveries.iter().all(|d| d.latest.as_ref().is_some_and(|l| l.collected_at >= since));
            if fresh || std::time::Instant::now() >= deadline {
                return Ok((m, fresh));
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}
