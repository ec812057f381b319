//! Feed subscriptions and the items each has seen. The collector claims due feeds with
//! `FOR UPDATE SKIP LOCKED` (one replica checks a feed at a time); an item is recorded
//! once per feed by its key, so a re-published item finds its row and is never taken again.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::WorkspaceId;
use uuid::Uuid;

use crate::{
    Conn, StoreResult,
    schema::{feed_items, feeds},
};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = feeds)]
pub struct FeedRow {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub feed_url: String,
    pub profile_ids: Vec<Uuid>,
    pub template: String,
    pub include_image: bool,
    pub becomes: String,
    pub queue_id: Option<Uuid>,
    pub check_interval_minutes: i32,
    pub backlog: i32,
    pub status: String,
    pub paused_reason: Option<String>,
    pub error_count: i32,
    pub last_error: Option<String>,
    pub last_checked_at: Option<DateTime<Utc>>,
    pub next_check_at: DateTime<Utc>,
    pub claimed_until: Option<DateTime<Utc>>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = feeds)]
pub struct NewFeed {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub feed_url: String,
    pub profile_ids: Vec<Uuid>,
    pub template: String,
    pub include_image: bool,
    pub becomes: String,
    pub queue_id: Option<Uuid>,
    pub check_interval_minutes: i32,
    pub backlog: i32,
    pub created_by: Option<String>,
}

/// The fields a change may set (`None`: unchanged).
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = feeds)]
pub struct FeedChange {
    pub name: Option<String>,
    pub feed_url: Option<String>,
    pub profile_ids: Option<Vec<Uuid>>,
    pub template: Option<String>,
    pub include_image: Option<bool>,
    pub becomes: Option<String>,
    pub queue_id: Option<Option<Uuid>>,
    pub check_interval_minutes: Option<i32>,
    /// Cleared (`Some(None)`) when the address changes: the old validators mean nothing there.
    pub etag: Option<Option<String>>,
    pub last_modified: Option<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = feed_items)]
pub struct ItemRow {
    pub id: i64,
    pub feed_id: Uuid,
    pub item_key: String,
    pub link: Option<String>,
    pub title: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub seen_at: DateTime<Utc>,
    pub fate: String,
    pub reason: Option<String>,
    pub post_id: Option<Uuid>,
}

pub async fn insert(conn: &mut Conn, f: &NewFeed) -> StoreResult<FeedRow> {
    Ok(diesel::insert_into(feeds::table).values(f).returning(FeedRow::as_returning()).get_result(conn).await?)
}

pub async fn list(conn: &mut Conn, workspace: WorkspaceId) -> StoreResult<Vec<FeedRow>> {
    Ok(feeds::table
        .filter(feeds::workspace_id.eq(workspace))
        .order((feeds::created_at.asc(), feeds::id.asc()))
        .select(FeedRow::as_select())
        .load(conn)
        .await?)
}

pub async fn get(conn: &mut Conn, workspace: WorkspaceId, id: Uuid) -> StoreResult<Option<FeedRow>> {
    Ok(feeds::table
        .filter(feeds::workspace_id.eq(workspace).and(feeds::id.eq(id)))
        .select(FeedRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn by_id(conn: &mut Conn, id: Uuid) -> StoreResult<Option<FeedRow>> {
    Ok(feeds::table.find(id).select(FeedRow::as_select()).first(conn).await.optional()?)
}

pub async fn update(conn: &mut Conn, id: Uuid, change: &FeedChange) -> StoreResult<FeedRow> {
    Ok(diesel::update(feeds::table.find(id))
        .set((change, feeds::updated_at.eq(Utc::now())))
        .returning(FeedRow::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn delete(conn: &mut Conn, workspace: WorkspaceId, id: Uuid) -> StoreResult<bool> {
    let n = diesel::delete(feeds::table.filter(feeds::workspace_id.eq(workspace).and(feeds::id.eq(id))))
        .execute(conn)
        .await?;
    Ok(n > 0)
}

/// Pauses (saying why) or resumes a feed; resuming clears its errors and makes it due now.
pub async fn set_active(conn: &mut Conn, id: Uuid, active: bool, why: Option<&str>) -> StoreResult<FeedRow> {
    let now = Utc::now();
    let q = diesel::update(feeds::table.find(id));
    let row = if active {
        q.set((
            feeds::status.eq("active"),
            feeds::paused_reason.eq(None::<String>),
            feeds::error_count.eq(0),
            feeds::next_check_at.eq(now),
            feeds::updated_at.eq(now),
        ))
        .returning(FeedRow::as_returning())
        .get_result(conn)
        .await?
    } else {
        q.set((feeds::status.eq("paused"), feeds::paused_reason.eq(why), feeds::updated_at.eq(now)))
            .returning(FeedRow::as_returning())
            .get_result(conn)
            .await?
    };
    Ok(row)
}

/// Makes an active feed due at once (a check asked for).
pub async fn due_now(conn: &mut Conn, id: Uuid) -> StoreResult<()> {
    diesel::update(feeds::table.find(id)).set(feeds::next_check_at.eq(Utc::now())).execute(conn).await?;
    Ok(())
}

#[derive(Debug, Clone, QueryableByName)]
struct Claimed {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// Claims up to `limit` active feeds that are due, most overdue first, for `lease`.
pub async fn claim(conn: &mut Conn, limit: i64, lease: Duration) -> StoreResult<Vec<Uuid>> {
    let rows: Vec<Claimed> = diesel::sql_query(
        "UPDATE feeds SET claimed_until = now() + make_interval(secs => $2) \
         WHERE id IN ( \
           SELECT id FROM feeds \
           WHERE status = 'active' AND next_check_at <= now() \
             AND (claimed_until IS NULL OR claimed_until < now()) \
           ORDER BY next_check_at LIMIT $1 FOR UPDATE SKIP LOCKED) \
         RETURNING id",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Double, _>(lease.num_milliseconds() as f64 / 1000.0)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// The next check's time after a check that began when the feed was due at `due_was`:
/// `next`, unless a check was asked for while this one ran (`due_now` moved the time
/// since): that one is kept, because this check may have read the feed before the item
/// it was asked for.
fn next_after(
    due_was: DateTime<Utc>,
    next: DateTime<Utc>,
) -> impl AppearsOnTable<feeds::table, SqlType = Timestamptz>
+ diesel::query_builder::QueryFragment<diesel::pg::Pg>
+ diesel::query_builder::QueryId
+ Send {
    diesel::dsl::sql::<Timestamptz>("CASE WHEN next_check_at = ")
        .bind::<Timestamptz, _>(due_was)
        .sql(" THEN ")
        .bind::<Timestamptz, _>(next)
        .sql(" ELSE LEAST(next_check_at, ")
        .bind::<Timestamptz, _>(next)
        .sql(") END")
}

/// A check that reached the feed: its validators kept, errors cleared, next one due
/// (`due_was`: the feed's `next_check_at` when the check read it).
pub async fn checked(
    conn: &mut Conn,
    id: Uuid,
    etag: Option<&str>,
    last_modified: Option<&str>,
    due_was: DateTime<Utc>,
    next: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::update(feeds::table.find(id))
        .set((
            feeds::etag.eq(etag),
            feeds::last_modified.eq(last_modified),
            feeds::error_count.eq(0),
            feeds::last_error.eq(None::<String>),
            feeds::last_checked_at.eq(Utc::now()),
            feeds::next_check_at.eq(next_after(due_was, next)),
            feeds::claimed_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A check that failed: the error kept and counted; at `pause_after` failures in a row the
/// feed pauses itself, saying why. Returns the row as it now is.
pub async fn check_failed(
    conn: &mut Conn,
    id: Uuid,
    why: &str,
    due_was: DateTime<Utc>,
    next: DateTime<Utc>,
    pause_after: i32,
) -> StoreResult<FeedRow> {
    let row: FeedRow = diesel::update(feeds::table.find(id))
        .set((
            feeds::error_count.eq(feeds::error_count + 1),
            feeds::last_error.eq(why),
            feeds::last_checked_at.eq(Utc::now()),
            feeds::next_check_at.eq(next_after(due_was, next)),
            feeds::claimed_until.eq(None::<DateTime<Utc>>),
        ))
        .returning(FeedRow::as_returning())
        .get_result(conn)
        .await?;
    if row.error_count >= pause_after {
        let reason = format!("paused after {} failed checks in a row; the last: {why}", row.error_count);
        return set_active(conn, id, false, Some(&reason)).await;
    }
    Ok(row)
}

/// What the collector learnt of one item.
#[derive(Debug, Clone)]
pub struct NewItem<'a> {
    pub feed_id: Uuid,
    pub item_key: &'a str,
    pub link: Option<&'a str>,
    pub title: Option<&'a str>,
    pub published_at: Option<DateTime<Utc>>,
    pub fate: &'a str,
    pub reason: Option<&'a str>,
    pub post_id: Option<Uuid>,
}

/// Records an item unless the feed has seen its key (or, for an item with a key of its
/// own, its link) before; true if it was new.
pub async fn record_item(conn: &mut Conn, item: &NewItem<'_>) -> StoreResult<bool> {
    let n = diesel::insert_into(feed_items::table)
        .values((
            feed_items::feed_id.eq(item.feed_id),
            feed_items::item_key.eq(item.item_key),
            feed_items::link.eq(item.link),
            feed_items::title.eq(item.title),
            feed_items::published_at.eq(item.published_at),
            feed_items::fate.eq(item.fate),
            feed_items::reason.eq(item.reason),
            feed_items::post_id.eq(item.post_id),
        ))
        .on_conflict((feed_items::feed_id, feed_items::item_key))
        .do_nothing()
        .execute(conn)
        .await?;
    Ok(n > 0)
}

/// Whether the feed has seen this key, or an item with this normalised link.
pub async fn seen(conn: &mut Conn, feed_id: Uuid, key: &str, link: Option<&str>) -> StoreResult<bool> {
    let mut q = feed_items::table.filter(feed_items::feed_id.eq(feed_id)).into_boxed();
    q = match link {
        Some(l) => q.filter(feed_items::item_key.eq(key).or(feed_items::link.eq(l))),
        None => q.filter(feed_items::item_key.eq(key)),
    };
    Ok(diesel::select(diesel::dsl::exists(q.select(feed_items::id))).get_result(conn).await?)
}

/// The feed's items, newest seen first, at most `limit`.
pub async fn items(conn: &mut Conn, feed_id: Uuid, limit: i64) -> StoreResult<Vec<ItemRow>> {
    Ok(feed_items::table
        .filter(feed_items::feed_id.eq(feed_id))
        .order((feed_items::seen_at.desc(), feed_items::id.desc()))
        .limit(limit)
        .select(ItemRow::as_select())
        .load(conn)
        .await?)
}

/// Items per feed: (posted, skipped).
pub async fn counts(conn: &mut Conn, feed_ids: &[Uuid]) -> StoreResult<Vec<(Uuid, String, i64)>> {
    Ok(feed_items::table
        .filter(feed_items::feed_id.eq_any(feed_ids))
        .group_by((feed_items::feed_id, feed_items::fate))
        .select((feed_items::feed_id, feed_items::fate, diesel::dsl::count_star()))
        .load(conn)
        .await?)
}
