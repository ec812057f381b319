//! What the reconciliation sweeps look for: work whose message was lost (a post still
//! pending, a dispatched delivery nobody is working on, a post whose deliveries all
//! settled but that never completed), with nothing for it waiting in the outbox. Each
//! query only finds; the owner of the layer re-drives with the same message it would
//! have sent, so a re-drive is as idempotent as the original.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Int4, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::{DeliveryId, PostId, WorkspaceId};

use crate::{Conn, StoreResult};

/// Takes the sweep's turn for this transaction: one replica sweeps at a time.
pub async fn take_turn(conn: &mut Conn, name: &str) -> StoreResult<bool> {
    crate::locks::try_for_transaction(conn, &format!("sweep:{name}")).await
}

#[derive(Debug, QueryableByName)]
pub struct LostAccept {
    #[diesel(sql_type = SqlUuid)]
    pub post_id: PostId,
    #[diesel(sql_type = SqlUuid)]
    pub workspace_id: WorkspaceId,
}

/// How many of the oldest candidates a sweep looks at before it reads the outbox for them.
/// Bounds a run's work when a backlog has thousands waiting their turn in the outbox; a
/// lost message behind them is found once those have moved on.
const CANDIDATES: i64 = 5000;

/// The first `limit` of `candidates` with no `message_type` for them waiting in the outbox,
/// where `key` names the payload field holding each candidate's `id`.
///
/// A query of its own, run only for the candidates a sweep found: as a `NOT EXISTS` in the
/// candidates' query the planner, its estimates stale under a burst, ran a nested loop
/// that scanned the whole outbox (live and dead rows) once per candidate — 17 s on a copy
/// with 10 000 turns waiting in an 80 MB outbox. Bound as an array of values (each sweep
/// plans it anew), `= ANY` is a hash lookup: one scan of the outbox, 24 ms there.
async fn not_waiting<T>(
    conn: &mut Conn,
    candidates: Vec<T>,
    message_type: &str,
    key: &str,
    id: impl Fn(&T) -> String,
    limit: i64,
) -> StoreResult<Vec<T>> {
    #[derive(QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = Text)]
        key: String,
    }
    let limit = usize::try_from(limit).unwrap_or(0);
    if candidates.is_empty() {
        return Ok(candidates);
    }
    let waiting: std::collections::HashSet<String> = diesel::sql_query(
        "SELECT DISTINCT o.payload->>$2 AS key FROM outbox o WHERE o.message_type = $1 AND o.payload->>$2 = ANY($3)",
    )
    .bind::<Text, _>(message_type)
    .bind::<Text, _>(key)
    .bind::<diesel::sql_types::Array<Text>, _>(candidates.iter().map(&id).collect::<Vec<_>>())
    .load::<Waiting>(conn)
    .await?
    .into_iter()
    .map(|w| w.key)
    .collect();
    Ok(candidates.into_iter().filter(|c| !waiting.contains(&id(c))).take(limit).collect())
}

/// Posts still `pending` (never taken by the scheduler) since before `idle_since`, with no
/// `message_type` for them waiting in the outbox; the oldest first.
pub async fn pending_posts(
    conn: &mut Conn,
    idle_since: DateTime<Utc>,
    message_type: &str,
    limit: i64,
) -> StoreResult<Vec<LostAccept>> {
    let candidates: Vec<LostAccept> = diesel::sql_query(
        "SELECT p.id AS post_id, p.workspace_id FROM posts p \
         WHERE p.status = 'pending' AND greatest(p.updated_at, p.redriven_at) < $1 \
         ORDER BY p.updated_at LIMIT $2",
    )
    .bind::<Timestamptz, _>(idle_since)
    .bind::<BigInt, _>(CANDIDATES)
    .load(conn)
    .await?;
    not_waiting(conn, candidates, message_type, "post_id", |c| c.post_id.to_string(), limit).await
}

#[derive(Debug, QueryableByName)]
pub struct OpenPost {
    #[diesel(sql_type = SqlUuid)]
    pub post_id: PostId,
    #[diesel(sql_type = SqlUuid)]
    pub delivery_id: DeliveryId,
    #[diesel(sql_type = Text)]
    pub status: domain::DeliveryStatus,
}

/// Dispatched posts still `scheduled` although every delivery settled before `idle_since`
/// (the last `delivery.settled` was lost).
pub async fn settled_but_open(conn: &mut Conn, idle_since: DateTime<Utc>, limit: i64) -> StoreResult<Vec<OpenPost>> {
    Ok(diesel::sql_query(
        "SELECT p.id AS post_id, d.id AS delivery_id, d.status FROM posts p \
         JOIN LATERAL (SELECT id, status FROM deliveries WHERE post_id = p.id ORDER BY updated_at DESC LIMIT 1) d ON true \
         WHERE p.status = 'scheduled' AND p.dispatched_at IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM deliveries x WHERE x.post_id = p.id AND (x.status = 'pending' OR x.updated_at >= $1)) \
         LIMIT $2",
    )
    .bind::<Timestamptz, _>(idle_since)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}

#[derive(Debug, QueryableByName)]
pub struct IdleDelivery {
    #[diesel(sql_type = SqlUuid)]
    pub delivery_id: DeliveryId,
    #[diesel(sql_type = SqlUuid)]
    pub post_id: PostId,
    #[diesel(sql_type = Text)]
    pub provider: String,
    /// The highest attempt number so far, and whether it never finished.
    #[diesel(sql_type = Nullable<Int4>)]
    pub last_attempt: Option<i32>,
    #[diesel(sql_type = Bool)]
    pub last_unfinished: bool,
    /// The last attempt that settled the delivery failed (a manual retry reopened it):
    /// the current round of attempts started after it.
    #[diesel(sql_type = Nullable<Int4>)]
    pub last_round_end: Option<i32>,
}

impl IdleDelivery {
    /// The attempt the lost message was for: the unfinished one again (the claim decides
    /// whether it may run), else the next one.
    pub fn next_attempt(&self) -> i32 {
        match self.last_attempt {
            Some(n) if self.last_unfinished => n,
            Some(n) => n + 1,
            None => 1,
        }
    }

    pub fn first_attempt(&self) -> i32 {
        self.last_round_end.map_or(1, |n| n + 1)
    }
}

/// Pending deliveries of dispatched posts with no sign of life (dispatch, attempt, or
/// an earlier re-drive) since `idle_since`, and no task for them waiting in the outbox;
/// the longest idle first.
///
/// Each sign of life is its own condition, so the planner tests the delivery's columns
/// first and reads its attempts only when those are old: as one `greatest(…)` over a
/// subquery, the attempts of every pending delivery were read at each sweep, 22 % of
/// PostgreSQL's time behind S1b's backlog of thousands. The outbox is read after, for
/// the candidates only (`not_waiting`).
pub async fn idle_deliveries(
    conn: &mut Conn,
    idle_since: DateTime<Utc>,
    message_type: &str,
    limit: i64,
) -> StoreResult<Vec<IdleDelivery>> {
    let candidates: Vec<IdleDelivery> = diesel::sql_query(
        "SELECT d.id AS delivery_id, d.post_id, d.provider, \
           (SELECT max(attempt) FROM delivery_attempts a WHERE a.delivery_id = d.id) AS last_attempt, \
           coalesce((SELECT finished_at IS NULL FROM delivery_attempts a WHERE a.delivery_id = d.id ORDER BY attempt DESC LIMIT 1), false) AS last_unfinished, \
           (SELECT max(attempt) FROM delivery_attempts a WHERE a.delivery_id = d.id AND a.outcome = 'rejected') AS last_round_end \
         FROM deliveries d JOIN posts p ON p.id = d.post_id \
         WHERE d.status = 'pending' AND p.status = 'scheduled' AND p.dispatched_at IS NOT NULL \
           AND d.updated_at < $1 AND (d.dispatched_at IS NULL OR d.dispatched_at < $1) \
           AND (d.redriven_at IS NULL OR d.redriven_at < $1) \
           AND NOT EXISTS (SELECT 1 FROM delivery_attempts a WHERE a.delivery_id = d.id \
                           AND (a.started_at >= $1 OR a.finished_at >= $1)) \
         ORDER BY d.updated_at LIMIT $2",
    )
    .bind::<Timestamptz, _>(idle_since)
    .bind::<BigInt, _>(CANDIDATES)
    .load(conn)
    .await?;
    not_waiting(conn, candidates, message_type, "delivery_id", |c| c.delivery_id.to_string(), limit).await
}

/// Notes that a post was accepted again now (so the next sweep waits for it).
pub async fn mark_post_redriven(conn: &mut Conn, post_id: PostId) -> StoreResult<()> {
    diesel::sql_query("UPDATE posts SET redriven_at = now() WHERE id = $1")
        .bind::<SqlUuid, _>(post_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Notes that a delivery was handed out again now (so the next sweep waits for it).
pub async fn mark_redriven(conn: &mut Conn, delivery_id: DeliveryId) -> StoreResult<()> {
    diesel::sql_query("UPDATE deliveries SET redriven_at = now() WHERE id = $1")
        .bind::<SqlUuid, _>(delivery_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// What a sweep found on its last run.
pub async fn record(conn: &mut Conn, name: &str, found: &serde_json::Value) -> StoreResult<()> {
    diesel::sql_query(
        "INSERT INTO sweeps (name, ran_at, found) VALUES ($1, now(), $2) \
         ON CONFLICT (name) DO UPDATE SET ran_at = excluded.ran_at, found = excluded.found",
    )
    .bind::<Text, _>(name)
    .bind::<Jsonb, _>(found)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, QueryableByName)]
pub struct LastRun {
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Timestamptz)]
    pub ran_at: DateTime<Utc>,
    #[diesel(sql_type = Jsonb)]
    pub found: serde_json::Value,
}

/// Every sweep's last run.
pub async fn last_runs(conn: &mut Conn) -> StoreResult<Vec<LastRun>> {
    Ok(diesel::sql_query("SELECT name, ran_at, found FROM sweeps ORDER BY name").load(conn).await?)
}
