//! The delivery layer, written by the delivery worker only.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::{DeliveryId, PostId, ProfileId, WorkspaceId};
use uuid::Uuid;

use crate::{
    Conn, StoreError, StoreResult,
    models::{DeliveryRow, PostRow, ProfileRow},
    schema::{deliveries, delivery_attempts, posts, profiles},
};

/// Everything a worker needs to make one provider call.
pub struct Task {
    pub delivery: DeliveryRow,
    pub post: PostRow,
    pub profile: ProfileRow,
    /// Set for a reply from the inbox: what it answers.
    pub reply: Option<domain::inbox::ReplyTo>,
    /// Whether the post has media (read only then: most posts have none).
    pub has_media: bool,
}

pub async fn load_task(conn: &mut Conn, delivery_id: DeliveryId) -> StoreResult<Option<Task>> {
    use crate::schema::{post_media, post_replies};
    type Reply = (Option<uuid::Uuid>, Option<String>, Option<String>, Option<String>);
    let media = post_media::table.filter(post_media::post_id.eq(deliveries::post_id));
    let row: Option<(DeliveryRow, PostRow, ProfileRow, Reply, bool)> = deliveries::table
        .inner_join(posts::table)
        .inner_join(profiles::table)
        .left_join(post_replies::table.on(post_replies::post_id.eq(deliveries::post_id)))
        .filter(deliveries::id.eq(delivery_id))
        .select((
            DeliveryRow::as_select(),
            PostRow::as_select(),
            ProfileRow::as_select(),
            (
                post_replies::item_id.nullable(),
                post_replies::platform_item_id.nullable(),
                post_replies::root_platform_id.nullable(),
                post_replies::item_url.nullable(),
            ),
            diesel::dsl::exists(media),
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(delivery, post, profile, (item, to, root, item_url), has_media)| Task {
        delivery,
        post,
        profile,
        reply: to.map(|platform_item_id| domain::inbox::ReplyTo {
            item_id: item,
            platform_item_id,
            root_platform_id: root,
            item_url,
        }),
        has_media,
    }))
}

/// What a worker may do with one delivery task, decided under the delivery's row lock so
/// that attempts of one delivery never overlap and none runs twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The delivery settled, or this attempt already finished or was superseded (a
    /// redelivered or stale copy): nothing to do.
    Stale,
    /// An attempt of this delivery is in flight and may still be until then.
    Busy(DateTime<Utc>),
    /// Make the call as attempt `number` (one past the message's when the message's own
    /// attempt was started by a run that never finished: that run counts as a call).
    Claimed {
        number: i32,
        /// When this delivery's first attempt began: no older post can be its own.
        since: DateTime<Utc>,
        /// An earlier attempt may have published (thrown, timed out, or never finished).
        after_unknown: bool,
    },
}

#[derive(Queryable)]
struct AttemptRow {
    attempt: i32,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    outcome: Option<String>,
}

/// Claims attempt `attempt` of a pending delivery. `bound` is how long a run of an attempt
/// can possibly last; an unfinished attempt older than that ended without telling us,
/// and is closed as `unknown`.
pub async fn claim_attempt(
    conn: &mut Conn,
    delivery_id: DeliveryId,
    attempt: i32,
    bound: Duration,
) -> StoreResult<Claim> {
    // The common case, a delivery's first attempt with none made before, in one
    // statement: two copies of the message meet on the (delivery, attempt) key, and the
    // one that inserts nothing takes the full path below, which then finds the other's
    // attempt in flight.
    if attempt == 1 {
        #[derive(QueryableByName)]
        struct Started {
            #[diesel(sql_type = diesel::sql_types::Timestamptz)]
            started_at: chrono::DateTime<Utc>,
        }
        let first: Option<Started> = crate::prepared::prepared(
            "INSERT INTO delivery_attempts (delivery_id, attempt)
             SELECT d.id, 1 FROM deliveries d
             WHERE d.id = $1 AND d.status = $2
               AND NOT EXISTS (SELECT 1 FROM delivery_attempts a WHERE a.delivery_id = $1)
             ON CONFLICT (delivery_id, attempt) DO NOTHING
             RETURNING started_at",
        )
        .bind::<diesel::sql_types::Uuid, _>(delivery_id)
        .bind::<diesel::sql_types::Text, _>(domain::DeliveryStatus::Pending)
        .get_result(conn)
        .await
        .optional()?;
        if let Some(f) = first {
            return Ok(Claim::Claimed { number: 1, since: f.started_at, after_unknown: false });
        }
    }
    conn.transaction::<Claim, StoreError, _>(async |conn| {
        let pending: Option<Uuid> = deliveries::table
            .filter(deliveries::id.eq(delivery_id).and(deliveries::status.eq(domain::DeliveryStatus::Pending)))
            .select(deliveries::id)
            .for_update()
            .first(conn)
            .await
            .optional()?;
        if pending.is_none() {
            return Ok(Claim::Stale);
        }
        let rows: Vec<AttemptRow> = delivery_attempts::table
            .filter(delivery_attempts::delivery_id.eq(delivery_id))
            .order(delivery_attempts::attempt.asc())
            .select((
                delivery_attempts::attempt,
                delivery_attempts::started_at,
                delivery_attempts::finished_at,
                delivery_attempts::outcome,
            ))
            .load(conn)
            .await?;
        let now = Utc::now();
        let mut number = attempt;
        if let Some(last) = rows.last() {
            if last.attempt > attempt || (last.attempt == attempt && last.finished_at.is_some()) {
                return Ok(Claim::Stale);
            }
            if last.finished_at.is_none() {
                if last.started_at + bound > now {
                    return Ok(Claim::Busy(last.started_at + bound));
                }
                finish_attempt(
                    conn,
                    delivery_id,
                    last.attempt,
                    "unknown",
                    Some("the run making this call stopped before it ended"),
                )
                .await?;
                if last.attempt == attempt {
                    number = attempt + 1;
                }
            }
        }
        diesel::insert_into(delivery_attempts::table)
            .values((delivery_attempts::delivery_id.eq(delivery_id), delivery_attempts::attempt.eq(number)))
            .execute(conn)
            .await?;
        // Only a refusal (or a 429) says for sure that nothing was published.
        let after_unknown = rows
            .iter()
            .any(|r| r.finished_at.is_none() || !matches!(r.outcome.as_deref(), Some("rejected" | "rate_limited")));
        let since = <[AttemptRow]>::first(&rows).map_or(now, |r| r.started_at);
        Ok(Claim::Claimed { number, since, after_unknown })
    })
    .await
}

/// Post ids other deliveries of this profile hold, published since `since`: a look-up
/// must never take one of them for its own.
pub async fn taken_post_ids(
    conn: &mut Conn,
    profile_id: ProfileId,
    except: DeliveryId,
    since: DateTime<Utc>,
) -> StoreResult<Vec<String>> {
    Ok(deliveries::table
        .filter(deliveries::profile_id.eq(profile_id))
        .filter(deliveries::id.ne(except))
        .filter(deliveries::status.eq(domain::DeliveryStatus::Published))
        .filter(deliveries::published_at.ge(since))
        .filter(deliveries::provider_post_id.is_not_null())
        .select(deliveries::provider_post_id.assume_not_null())
        .load(conn)
        .await?)
}

pub async fn finish_attempt(
    conn: &mut Conn,
    delivery_id: DeliveryId,
    attempt: i32,
    outcome: &str,
    detail: Option<&str>,
) -> StoreResult<()> {
    crate::prepared::prepared(
        "UPDATE delivery_attempts SET finished_at = clock_timestamp(), outcome = $3, detail = $4
         WHERE delivery_id = $1 AND attempt = $2",
    )
    .bind::<diesel::sql_types::Uuid, _>(delivery_id)
    .bind::<diesel::sql_types::Int4, _>(attempt)
    .bind::<diesel::sql_types::Text, _>(outcome)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(detail)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn attempts(conn: &mut Conn, delivery_id: DeliveryId) -> StoreResult<Vec<(i32, Option<String>)>> {
    Ok(delivery_attempts::table
        .filter(delivery_attempts::delivery_id.eq(delivery_id))
        .order(delivery_attempts::attempt.asc())
        .select((delivery_attempts::attempt, delivery_attempts::outcome))
        .load(conn)
        .await?)
}

/// Where a manual retry of a delivery goes, and the number its first attempt takes.
#[derive(Debug, Clone)]
pub struct RetryTarget {
    pub workspace_id: WorkspaceId,
    pub profile_id: ProfileId,
    pub provider: domain::Provider,
    /// Attempts keep counting across retries.
    pub next_attempt: i32,
}

pub async fn retry_target(conn: &mut Conn, id: DeliveryId) -> StoreResult<Option<RetryTarget>> {
    let row: Option<(WorkspaceId, ProfileId, domain::Provider)> = deliveries::table
        .inner_join(posts::table)
        .filter(deliveries::id.eq(id))
        .select((posts::workspace_id, deliveries::profile_id, deliveries::provider))
        .first(conn)
        .await
        .optional()?;
    let Some((workspace_id, profile_id, provider)) = row else { return Ok(None) };
    let last: Option<i32> = delivery_attempts::table
        .filter(delivery_attempts::delivery_id.eq(id))
        .select(diesel::dsl::max(delivery_attempts::attempt))
        .first(conn)
        .await?;
    Ok(Some(RetryTarget { workspace_id, profile_id, provider, next_attempt: last.unwrap_or(0) + 1 }))
}

/// A delivery's status and its profile's status, for explaining a refused retry.
pub async fn status_with_profile(
    conn: &mut Conn,
    post_id: PostId,
    id: DeliveryId,
) -> StoreResult<Option<(domain::DeliveryStatus, domain::ProfileStatus, String)>> {
    Ok(deliveries::table
        .inner_join(profiles::table)
        .filter(deliveries::id.eq(id).and(deliveries::post_id.eq(post_id)))
        .select((deliveries::status, profiles::status, profiles::name))
        .first(conn)
        .await
        .optional()?)
}

/// When an attempt that has not finished was started, if it was.
pub async fn unfinished_attempt_started(
    conn: &mut Conn,
    delivery_id: DeliveryId,
    attempt: i32,
) -> StoreResult<Option<chrono::DateTime<Utc>>> {
    Ok(delivery_attempts::table
        .filter(delivery_attempts::delivery_id.eq(delivery_id))
        .filter(delivery_attempts::attempt.eq(attempt))
        .filter(delivery_attempts::finished_at.is_null())
        .select(delivery_attempts::started_at)
        .first(conn)
        .await
        .optional()?)
}
