//! Published posts' figures over time, and the collector's jobs. Snapshots are written by
//! the collector only (append-only); jobs are claimed with `FOR UPDATE SKIP LOCKED`, so
//! any number of collector replicas share the work without taking the same job twice.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::metrics::{Figures, Snapshot};
use domain::{DeliveryId, PostId, Provider, WorkspaceId};
use uuid::Uuid;

use crate::{
    Conn, StoreResult,
    schema::{metric_jobs, metric_snapshots},
};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = metric_snapshots)]
pub struct SnapshotRow {
    pub id: i64,
    pub delivery_id: DeliveryId,
    pub post_id: PostId,
    pub workspace_id: WorkspaceId,
    pub provider: Provider,
    pub collected_at: DateTime<Utc>,
    /// scheduled | on_demand
    pub trigger: String,
    pub impressions: Option<i64>,
    pub reach: Option<i64>,
    pub likes: Option<i64>,
    pub comments: Option<i64>,
    pub shares: Option<i64>,
    pub saves: Option<i64>,
    pub clicks: Option<i64>,
    pub video_views: Option<i64>,
    pub warnings: Vec<String>,
}

impl SnapshotRow {
    pub fn figures(&self) -> Figures {
        let u = |v: Option<i64>| v.and_then(|n| u64::try_from(n).ok());
        Figures {
            impressions: u(self.impressions),
            reach: u(self.reach),
            likes: u(self.likes),
            comments: u(self.comments),
            shares: u(self.shares),
            saves: u(self.saves),
            clicks: u(self.clicks),
            video_views: u(self.video_views),
        }
    }
}

/// A job the collector holds: the delivery whose figures to read.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = SqlUuid)]
    pub delivery_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamptz>)]
    pub requested_at: Option<DateTime<Utc>>,
}

/// Makes a job for every published delivery that has none yet, first due `first` after it
/// was published. Returns how many were made.
pub async fn enroll(conn: &mut Conn, first: Duration) -> StoreResult<usize> {
    Ok(diesel::sql_query(
        "INSERT INTO metric_jobs (delivery_id, due_at) \
         SELECT d.id, d.published_at + make_interval(secs => $1) FROM deliveries d \
         WHERE d.status = 'published' AND d.provider_post_id IS NOT NULL AND d.published_at IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM metric_jobs j WHERE j.delivery_id = d.id) \
         ON CONFLICT DO NOTHING",
    )
    .bind::<diesel::sql_types::Double, _>(first.num_milliseconds() as f64 / 1000.0)
    .execute(conn)
    .await?)
}

/// Claims up to `limit` due jobs (refreshes first, then the most overdue) for `lease`.
pub async fn claim(conn: &mut Conn, limit: i64, lease: Duration) -> StoreResult<Vec<Claimed>> {
    Ok(diesel::sql_query(
        "UPDATE metric_jobs SET claimed_until = now() + make_interval(secs => $2) \
         WHERE delivery_id IN ( \
           SELECT delivery_id FROM metric_jobs \
           WHERE due_at <= now() AND (claimed_until IS NULL OR claimed_until < now()) \
           ORDER BY requested_at IS NULL, due_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
         RETURNING delivery_id, requested_at",
    )
    .bind::<BigInt, _>(limit)
    .bind::<diesel::sql_types::Double, _>(lease.num_milliseconds() as f64 / 1000.0)
    .load(conn)
    .await?)
}

/// What a snapshot is of.
#[derive(Debug, Clone)]
pub struct Of {
    pub delivery_id: DeliveryId,
    pub post_id: PostId,
    pub workspace_id: WorkspaceId,
    pub provider: Provider,
}

/// Appends a snapshot and sets the job's next due time (`None`: the schedule ended), in one
/// transaction the caller holds.
pub async fn record(
    conn: &mut Conn,
    of: &Of,
    snap: &Snapshot,
    on_demand: bool,
    next_due: Option<DateTime<Utc>>,
) -> StoreResult<()> {
    let i = |v: Option<u64>| v.and_then(|n| i64::try_from(n).ok());
    let f = &snap.figures;
    diesel::insert_into(metric_snapshots::table)
        .values((
            metric_snapshots::delivery_id.eq(of.delivery_id),
            metric_snapshots::post_id.eq(of.post_id),
            metric_snapshots::workspace_id.eq(of.workspace_id),
            metric_snapshots::provider.eq(of.provider),
            metric_snapshots::trigger.eq(if on_demand { "on_demand" } else { "scheduled" }),
            metric_snapshots::impressions.eq(i(f.impressions)),
            metric_snapshots::reach.eq(i(f.reach)),
            metric_snapshots::likes.eq(i(f.likes)),
            metric_snapshots::comments.eq(i(f.comments)),
            metric_snapshots::shares.eq(i(f.shares)),
            metric_snapshots::saves.eq(i(f.saves)),
            metric_snapshots::clicks.eq(i(f.clicks)),
            metric_snapshots::video_views.eq(i(f.video_views)),
            metric_snapshots::warnings.eq(&snap.warnings),
        ))
        .execute(conn)
        .await?;
    diesel::update(metric_jobs::table.find(of.delivery_id))
        .set((
            metric_jobs::due_at.eq(next_due),
            metric_jobs::claimed_until.eq(None::<DateTime<Utc>>),
            metric_jobs::requested_at.eq(None::<DateTime<Utc>>),
            metric_jobs::failures.eq(0),
            metric_jobs::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A read that failed: tried again at `retry_at`, the error kept for the operator.
pub async fn failed(conn: &mut Conn, delivery_id: DeliveryId, why: &str, retry_at: DateTime<Utc>) -> StoreResult<i32> {
    Ok(diesel::update(metric_jobs::table.find(delivery_id))
        .set((
            metric_jobs::due_at.eq(retry_at),
            metric_jobs::claimed_until.eq(None::<DateTime<Utc>>),
            metric_jobs::failures.eq(metric_jobs::failures + 1),
            metric_jobs::last_error.eq(why),
        ))
        .returning(metric_jobs::failures)
        .get_result(conn)
        .await?)
}

/// Asks for a snapshot of each of these deliveries now (a refresh). Deliveries without a
/// job yet get one.
pub async fn request(conn: &mut Conn, deliveries: &[DeliveryId], at: DateTime<Utc>) -> StoreResult<()> {
    for d in deliveries {
        diesel::insert_into(metric_jobs::table)
            .values((metric_jobs::delivery_id.eq(*d), metric_jobs::due_at.eq(at), metric_jobs::requested_at.eq(at)))
            .on_conflict(metric_jobs::delivery_id)
            .do_update()
            .set((metric_jobs::due_at.eq(at), metric_jobs::requested_at.eq(at)))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Every snapshot of a post's deliveries, oldest first.
pub async fn history(conn: &mut Conn, post_id: PostId) -> StoreResult<Vec<SnapshotRow>> {
    Ok(metric_snapshots::table
        .filter(metric_snapshots::post_id.eq(post_id))
        .order((metric_snapshots::collected_at.asc(), metric_snapshots::id.asc()))
        .select(SnapshotRow::as_select())
        .load(conn)
        .await?)
}

/// Every snapshot of these deliveries, oldest first.
pub async fn of_deliveries(conn: &mut Conn, ids: &[DeliveryId]) -> StoreResult<Vec<SnapshotRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(metric_snapshots::table
        .filter(metric_snapshots::delivery_id.eq_any(ids))
        .order((metric_snapshots::collected_at.asc(), metric_snapshots::id.asc()))
        .select(SnapshotRow::as_select())
        .load(conn)
        .await?)
}

/// When the post's newest on-demand snapshot was taken, if one was.
pub async fn last_on_demand(conn: &mut Conn, post_id: PostId) -> StoreResult<Option<DateTime<Utc>>> {
    Ok(metric_snapshots::table
        .filter(metric_snapshots::post_id.eq(post_id).and(metric_snapshots::trigger.eq("on_demand")))
        .select(diesel::dsl::max(metric_snapshots::collected_at))
        .first(conn)
        .await?)
}

/// Gives a claimed job back untouched (the caps were full): another round takes it.
pub async fn unclaim(conn: &mut Conn, delivery_id: DeliveryId) -> StoreResult<()> {
    diesel::update(metric_jobs::table.find(delivery_id))
        .set(metric_jobs::claimed_until.eq(None::<DateTime<Utc>>))
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends a job's schedule (the delivery has nothing to read), saying why.
pub async fn stop(conn: &mut Conn, delivery_id: DeliveryId, why: &str) -> StoreResult<()> {
    diesel::update(metric_jobs::table.find(delivery_id))
        .set((
            metric_jobs::due_at.eq(None::<DateTime<Utc>>),
            metric_jobs::claimed_until.eq(None::<DateTime<Utc>>),
            metric_jobs::last_error.eq(why),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// How many reads of this job failed in a row.
pub async fn failures(conn: &mut Conn, delivery_id: DeliveryId) -> StoreResult<i32> {
    Ok(metric_jobs::table.find(delivery_id).select(metric_jobs::failures).first(conn).await.optional()?.unwrap_or(0))
}

/// A published delivery of the workspace and its newest snapshot, if it has one.
#[derive(Debug, Clone)]
pub struct Published {
    pub delivery_id: DeliveryId,
    pub post_id: PostId,
    pub provider: Provider,
    pub profile_id: domain::ProfileId,
    pub profile_name: String,
    pub published_at: DateTime<Utc>,
    pub latest: Option<SnapshotRow>,
}

/// Every published delivery the scope sees (optionally of one provider or profile,
/// published within `[from, to)`), with its newest snapshot.
pub async fn published(
    conn: &mut Conn,
    scope: &crate::KeyScope,
    provider: Option<Provider>,
    profile: Option<domain::ProfileId>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> StoreResult<Vec<Published>> {
    use crate::schema::{deliveries, posts, profiles};
    let mut q = deliveries::table
        .inner_join(posts::table)
        .inner_join(profiles::table)
        .filter(posts::workspace_id.eq(scope.workspace_id))
        .filter(deliveries::status.eq(domain::DeliveryStatus::Published))
        .filter(deliveries::published_at.is_not_null())
        .select((
            deliveries::id,
            deliveries::post_id,
            deliveries::provider,
            deliveries::profile_id,
            profiles::name,
            deliveries::published_at.assume_not_null(),
        ))
        .into_boxed();
    if let Some(p) = provider {
        q = q.filter(deliveries::provider.eq(p));
    }
    if let Some(p) = profile {
        q = q.filter(deliveries::profile_id.eq(p));
    }
    if let Some(t) = from {
        q = q.filter(deliveries::published_at.ge(t));
    }
    if let Some(t) = to {
        q = q.filter(deliveries::published_at.lt(t));
    }
    let rows: Vec<(DeliveryId, PostId, Provider, domain::ProfileId, String, DateTime<Utc>)> = q.load(conn).await?;
    let rows: Vec<_> = rows.into_iter().filter(|r| scope.allows(r.2.as_str(), r.3)).collect();
    let ids: Vec<DeliveryId> = rows.iter().map(|r| r.0).collect();
    let snaps: Vec<SnapshotRow> = if ids.is_empty() {
        Vec::new()
    } else {
        metric_snapshots::table
            .filter(metric_snapshots::delivery_id.eq_any(&ids))
            .distinct_on(metric_snapshots::delivery_id)
            .order((metric_snapshots::delivery_id, metric_snapshots::collected_at.desc(), metric_snapshots::id.desc()))
            .select(SnapshotRow::as_select())
            .load(conn)
            .await?
    };
    Ok(rows
        .into_iter()
        .map(|(delivery_id, post_id, provider, profile_id, profile_name, published_at)| Published {
            latest: snaps.iter().find(|s| s.delivery_id == delivery_id).cloned(),
            delivery_id,
            post_id,
            provider,
            profile_id,
            profile_name,
            published_at,
        })
        .collect())
}

/// The posts of the workspace the scope sees, for the stats: each one's status, whether
/// it was dispatched, its review layer, when it was made, whether it was ever approved,
/// and its deliveries' (provider, status).
pub struct PostFacts {
    pub status: domain::PostStatus,
    pub dispatched: bool,
    pub review: Option<domain::ReviewStatus>,
    pub created_at: DateTime<Utc>,
    pub approved: bool,
    pub rejected: bool,
    pub deliveries: Vec<(Provider, domain::DeliveryStatus, domain::ProfileId)>,
}

/// id, status, dispatched_at, review, created_at, approved_at, rejection_count
type PostFactRow = (
    PostId,
    domain::PostStatus,
    Option<DateTime<Utc>>,
    Option<domain::ReviewStatus>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    i32,
);

pub async fn post_facts(conn: &mut Conn, scope: &crate::KeyScope) -> StoreResult<Vec<PostFacts>> {
    use crate::schema::{deliveries, posts};
    let ps: Vec<PostFactRow> = posts::table
        .filter(posts::workspace_id.eq(scope.workspace_id))
        .filter(posts::archived_at.is_null())
        .select((
            posts::id,
            posts::status,
            posts::dispatched_at,
            posts::review,
            posts::created_at,
            posts::approved_at,
            posts::rejection_count,
        ))
        .load(conn)
        .await?;
    let ids: Vec<PostId> = ps.iter().map(|p| p.0).collect();
    let ds: Vec<(PostId, Provider, domain::DeliveryStatus, domain::ProfileId)> = deliveries::table
        .filter(deliveries::post_id.eq_any(&ids))
        .select((deliveries::post_id, deliveries::provider, deliveries::status, deliveries::profile_id))
        .load(conn)
        .await?;
    Ok(ps
        .into_iter()
        .map(|(id, status, dispatched_at, review, created_at, approved_at, rejections)| PostFacts {
            status,
            dispatched: dispatched_at.is_some(),
            review,
            created_at,
            approved: approved_at.is_some(),
            rejected: rejections > 0,
            deliveries: ds.iter().filter(|d| d.0 == id).map(|d| (d.1, d.2, d.3)).collect(),
        })
        .filter(|p| p.deliveries.iter().all(|(prov, _, prof)| scope.allows(prov.as_str(), *prof)))
        .collect())
}
