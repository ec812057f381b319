//! The post layer's transitions: the scheduler's alone (feature `post-transitions`).
//! Every change is `UPDATE … WHERE status = <from>`, so of two racing callers one wins.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::PostId;
use domain::{DeliveryStatus, PostStatus};

use crate::{
    Conn, StoreResult,
    models::{DeliveryRow, PostRow},
    outbox::NewOutboxRow,
    schema::posts,
};

const PUBLISH: (PostStatus, PostStatus) = PostStatus::edge(PostStatus::Draft, PostStatus::Pending);
const SCHEDULE: (PostStatus, PostStatus) = PostStatus::edge(PostStatus::Pending, PostStatus::Scheduled);
const CANCEL: (PostStatus, PostStatus) = PostStatus::edge(PostStatus::Scheduled, PostStatus::Canceled);
const COMPLETE: (PostStatus, PostStatus) = PostStatus::edge(PostStatus::Scheduled, PostStatus::Completed);
const REOPEN: (PostStatus, PostStatus) = PostStatus::edge(PostStatus::Completed, PostStatus::Scheduled);

/// draft → pending (the acceptance of a publish).
/// Returns the post if this call made the transition.
pub async fn publish_draft(
    conn: &mut Conn,
    id: PostId,
    scheduled_at: Option<DateTime<Utc>>,
) -> StoreResult<Option<PostRow>> {
    let (from, to) = PUBLISH;
    Ok(diesel::update(posts::table.filter(posts::id.eq(id).and(posts::status.eq(from))))
        .set((posts::status.eq(to), posts::scheduled_at.eq(scheduled_at), posts::updated_at.eq(Utc::now())))
        .returning(PostRow::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// A post moved by one of the single-statement transitions below.
#[derive(Debug, QueryableByName)]
pub struct Moved {
    #[diesel(sql_type = SqlUuid)]
    pub id: uuid::Uuid,
    /// When it is due (`None`: now), for whom to wake.
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    pub scheduled_at: Option<DateTime<Utc>>,
}

/// Whether the moved post has media still to prepare: the condition under which its move
/// sends media-ingest a message at all (`logged_move`'s `send`).
const MEDIA_PENDING: &str = "EXISTS (SELECT 1 FROM post_media m WHERE m.post_id = moved.id AND m.status = 'pending')";

/// The tail shared by the single-statement transitions: each moved post's Publishing
/// Log row and its outbox message, written by the same statement as the move, so a
/// redelivered message that moves nothing writes nothing.
///
/// `send` is the condition under which a moved post's message is written: the messages
/// of these moves are for media-ingest alone (no other consumer binds them; the public
/// stream is the Publishing Log), so a post with no media to prepare sends none — an
/// outbox row, a publish and a delivery fewer for most posts.
///
/// The statement moves many posts at once (the scheduler gathers the messages that
/// arrive while its last statement runs: one commit for them all, where each had its own
/// and the backends queued on the WAL flush). The posts and their messages come as
/// arrays `$1`, `$4`‥`$11`, one element per post; `extra`, built from the moved row, is
/// merged into each payload. A post given twice is moved once, with its first message.
fn logged_move(update: &str, log_kind: &str, extra: &str, send: &str) -> String {
    format!(
        "WITH given AS (
             SELECT DISTINCT ON (post_id) *
             FROM unnest($1::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::jsonb[],
                         $9::timestamptz[], $10::text[], $11::int8[])
                  WITH ORDINALITY AS g(post_id, message_id, exchange, routing_key, message_type, payload,
                                       available_at, traceparent, expiration_ms, n)
             ORDER BY post_id, n),
         moved AS ({update} RETURNING id, workspace_id, scheduled_at),
         logged AS (INSERT INTO publish_log (workspace_id, post_id, kind)
                    SELECT workspace_id, id, {log_kind} FROM moved),
         sent AS (INSERT INTO outbox (message_id, exchange, routing_key, message_type, payload, available_at,
                                      traceparent, expiration_ms)
                  SELECT g.message_id, g.exchange, g.routing_key, g.message_type, g.payload || {extra},
                         g.available_at, g.traceparent, g.expiration_ms
                  FROM moved JOIN given g ON g.post_id = moved.id
                  WHERE {send})
         SELECT id, scheduled_at FROM moved"
    )
}

/// A post to move and the message its move sends.
pub struct Move {
    pub post_id: PostId,
    pub event: NewOutboxRow,
}

async fn run_logged_move(
    conn: &mut Conn,
    sql: String,
    moves: &[Move],
    from: PostStatus,
    to: PostStatus,
    pending: DeliveryStatus,
) -> StoreResult<Vec<Moved>> {
    use diesel::sql_types::{Array, Int8, Jsonb, Nullable, Timestamptz};
    if moves.is_empty() {
        return Ok(Vec::new());
    }
    let column = |f: fn(&NewOutboxRow) -> String| moves.iter().map(|m| f(&m.event)).collect::<Vec<_>>();
    Ok(crate::prepared::prepared(sql)
        .bind::<Array<SqlUuid>, _>(moves.iter().map(|m| m.post_id).collect::<Vec<_>>())
        .bind::<Text, _>(from)
        .bind::<Text, _>(to)
        .bind::<Array<SqlUuid>, _>(moves.iter().map(|m| m.event.message_id).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(column(|e| e.exchange.clone()))
        .bind::<Array<Text>, _>(column(|e| e.routing_key.clone()))
        .bind::<Array<Text>, _>(column(|e| e.message_type.clone()))
        .bind::<Array<Jsonb>, _>(moves.iter().map(|m| m.event.payload.clone()).collect::<Vec<_>>())
        .bind::<Array<Timestamptz>, _>(moves.iter().map(|m| m.event.available_at).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(moves.iter().map(|m| m.event.traceparent.clone()).collect::<Vec<_>>())
        .bind::<Array<Nullable<Int8>>, _>(moves.iter().map(|m| m.event.expiration_ms).collect::<Vec<_>>())
        .bind::<Text, _>(pending)
        .load(conn)
        .await?)
}

/// pending → scheduled with each post's log row (`post.scheduled`, or `post.queued` when
/// it is due already) and, when it has media to prepare, its event (a `post.scheduled`
/// message whose `scheduled_at` is taken from the row), in one statement. Returns the
/// posts this call moved: one not pending is left, and writes nothing.
pub async fn schedule_logged(conn: &mut Conn, moves: &[Move]) -> StoreResult<Vec<Moved>> {
    let sql = logged_move(
        "UPDATE posts SET status = $3, updated_at = clock_timestamp()
         WHERE id IN (SELECT post_id FROM given) AND status = $2",
        "CASE WHEN scheduled_at > clock_timestamp() THEN 'post.scheduled' ELSE 'post.queued' END",
        "jsonb_build_object('scheduled_at', scheduled_at, 'media_pending', true)",
        MEDIA_PENDING,
    );
    let (from, to) = SCHEDULE;
    run_logged_move(conn, sql, moves, from, to, DeliveryStatus::Pending).await
}

/// scheduled → completed for each post none of whose deliveries is pending, with its log
/// row and (media still to prepare) its event, in one statement. Returns the posts this
/// call moved: one with a delivery still pending, or completed already, is left.
///
/// The pending test is a count over the post's own deliveries, not `status = $12` as a
/// condition: that one let the planner AND the post's index with `deliveries_pending`
/// (every pending delivery in the system), which under S1b's backlog made this
/// statement a third of PostgreSQL's CPU (perf: `MultiExecBitmapAnd`, 19 % of samples).
pub async fn complete_logged(conn: &mut Conn, moves: &[Move]) -> StoreResult<Vec<Moved>> {
    let sql = logged_move(
        "UPDATE posts p SET status = $3, completed_at = clock_timestamp(), updated_at = clock_timestamp()
         WHERE p.id IN (SELECT post_id FROM given) AND p.status = $2 AND p.dispatched_at IS NOT NULL
           AND (SELECT count(*) FILTER (WHERE d.status = $12) FROM deliveries d WHERE d.post_id = p.id) = 0",
        "'post.completed'",
        "jsonb_build_object('media_pending', true)",
        MEDIA_PENDING,
    );
    let (from, to) = COMPLETE;
    run_logged_move(conn, sql, moves, from, to, DeliveryStatus::Pending).await
}

/// How many of the posts due last a claim takes beside the oldest.
const NEWEST: i64 = 50;

/// The claim of `claim_due` (`$1`: the limit, `$2`: how many of the newest). Its orders
/// are the index's own (`posts_due` keeps NULLs first), so that an index scan can stop at
/// the limit; run on a `connect_claim_pool` connection, which plans one. The claimed ids
/// are handed to the UPDATE as an array, not joined: a join was planned for the limits'
/// 551 rows, not the few due, and after an autovacuum's ANALYZE (S2, the minute before the
/// burst) read every post (4 000 buffers a claim where 40 did; replayed: a hash join over
/// all of `posts`); `id = ANY(…)` has no plan but the primary key's.
pub const CLAIM_DUE: &str = "WITH unscheduled AS (
         SELECT id FROM posts
         WHERE status = 'scheduled' AND dispatched_at IS NULL AND scheduled_at IS NULL
         LIMIT $1 FOR UPDATE SKIP LOCKED),
     oldest AS (
         SELECT id FROM posts
         WHERE status = 'scheduled' AND dispatched_at IS NULL AND scheduled_at <= statement_timestamp()
         ORDER BY scheduled_at NULLS FIRST
         LIMIT $1 FOR UPDATE SKIP LOCKED),
     newest AS (
         SELECT id FROM posts
         WHERE status = 'scheduled' AND dispatched_at IS NULL AND scheduled_at <= statement_timestamp()
         ORDER BY scheduled_at DESC NULLS LAST
         LIMIT $2 FOR UPDATE SKIP LOCKED)
     UPDATE posts p SET dispatched_at = clock_timestamp(), updated_at = clock_timestamp()
     WHERE p.id = ANY(ARRAY(SELECT id FROM unscheduled UNION SELECT id FROM oldest UNION SELECT id FROM newest))
     RETURNING p.*";

/// Claims due posts for dispatch (several scheduler replicas may call this at once: a
/// post is claimed by exactly one). Returns (post, its pending deliveries).
///
/// A batch is the posts due now without a time and the `limit` due longest (up to `limit`
/// each), plus up to `NEWEST` of those due last: behind
/// a backlog (a burst of thousands due at one instant) a post due now is claimed by the
/// next batch, not after the whole backlog, which still drains oldest first.
pub async fn claim_due(conn: &mut Conn, limit: i64) -> StoreResult<Vec<(PostRow, Vec<DeliveryRow>)>> {
    // Each part is an index condition on `posts_due`, so it reads only the due end of the
    // index: `scheduled_at IS NULL OR scheduled_at <= clock_timestamp()` was a filter, and
    // when fewer posts than the limit were due every scheduled post was fetched and
    // checked, twenty thousand in S2, at each look. `statement_timestamp()` is when this
    // statement reached the database (stable, so an index condition; not the
    // transaction's start, which the dispatcher opens before the post is due): never
    // early, whatever the caller's clock says. `status = 'scheduled'` is
    // written out, not bound, so that a prepared statement's generic plan can use the
    // partial index.
    let claimed: Vec<PostRow> = crate::prepared::prepared(CLAIM_DUE)
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(NEWEST.min(limit))
        .load(conn)
        .await?;
    let ids: Vec<PostId> = claimed.iter().map(|p| p.id).collect();
    let ds: Vec<DeliveryRow> = crate::prepared::prepared(
        // The claimed posts' deliveries are found by `post_id` alone, then tested for
        // pending (see `complete_logged`: ANDed with `deliveries_pending` the index read
        // grows with every pending delivery in the system). The statement's snapshot of
        // their status is enough: nothing moves a delivery of an undispatched post, whose
        // row this transaction has just locked.
        "WITH theirs AS MATERIALIZED (SELECT id, status FROM deliveries WHERE post_id = ANY($1))
         UPDATE deliveries d SET dispatched_at = clock_timestamp()
         FROM theirs WHERE d.id = theirs.id AND theirs.status = $2
         RETURNING d.*",
    )
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(ids)
    .bind::<Text, _>(DeliveryStatus::Pending)
    .load(conn)
    .await?;
    Ok(claimed
        .into_iter()
        .map(|p| {
            let mine = ds.iter().filter(|d| d.post_id == p.id).cloned().collect();
            (p, mine)
        })
        .collect())
}

/// scheduled → canceled, only while nothing was dispatched. Races with `claim_due` on
/// the same row lock: exactly one of them wins.
pub async fn cancel(conn: &mut Conn, id: PostId) -> StoreResult<Option<PostRow>> {
    let now = Utc::now();
    let (from, to) = CANCEL;
    Ok(diesel::update(
        posts::table.filter(posts::id.eq(id)).filter(posts::status.eq(from)).filter(posts::dispatched_at.is_null()),
    )
    .set((posts::status.eq(to), posts::canceled_at.eq(now), posts::updated_at.eq(now)))
    .returning(PostRow::as_returning())
    .get_result(conn)
    .await
    .optional()?)
}

/// completed → scheduled: a failed delivery of the post is retried by hand. A post still
/// scheduled (another delivery pending) stays as it is; `false` then.
pub async fn reopen(conn: &mut Conn, id: PostId) -> StoreResult<bool> {
    let (from, to) = REOPEN;
    let n = diesel::update(posts::table.filter(posts::id.eq(id).and(posts::status.eq(from))))
        .set((posts::status.eq(to), posts::completed_at.eq(None::<DateTime<Utc>>), posts::updated_at.eq(Utc::now())))
        .execute(conn)
        .await?;
    Ok(n == 1)
}
