//! The delivery layer, written by the delivery worker only.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::{
    Conn, StoreResult,
    models::{DeliveryRow, PostRow, ProfileRow},
    schema::{deliveries, delivery_attempts, posts, profiles},
};

/// Everything a worker needs to make one provider call.
pub struct Task {
    pub delivery: DeliveryRow,
    pub post: PostRow,
    pub profile: ProfileRow,
}

pub async fn load_task(conn: &mut Conn, delivery_id: Uuid) -> StoreResult<Option<Task>> {
    let row: Option<(DeliveryRow, PostRow, ProfileRow)> = deliveries::table
        .inner_join(posts::table)
        .inner_join(profiles::table)
        .filter(deliveries::id.eq(delivery_id))
        .select((DeliveryRow::as_select(), PostRow::as_select(), ProfileRow::as_select()))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(delivery, post, profile)| Task { delivery, post, profile }))
}

/// Records the start of an attempt. Returns false when this attempt was already started
/// (a redelivery after a crash): its outcome is unknown.
pub async fn begin_attempt(conn: &mut Conn, delivery_id: Uuid, attempt: i32) -> StoreResult<bool> {
    let n = diesel::insert_into(delivery_attempts::table)
        .values((delivery_attempts::delivery_id.eq(delivery_id), delivery_attempts::attempt.eq(attempt)))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(n == 1)
}

pub async fn finish_attempt(
    conn: &mut Conn,
    delivery_id: Uuid,
    attempt: i32,
    outcome: &str,
    detail: Option<&str>,
) -> StoreResult<()> {
    diesel::update(
        delivery_attempts::table
            .filter(delivery_attempts::delivery_id.eq(delivery_id))
            .filter(delivery_attempts::attempt.eq(attempt)),
    )
    .set((
        delivery_attempts::finished_at.eq(Utc::now()),
        delivery_attempts::outcome.eq(outcome),
        delivery_attempts::detail.eq(detail),
    ))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn attempts(conn: &mut Conn, delivery_id: Uuid) -> StoreResult<Vec<(i32, Option<String>)>> {
    Ok(delivery_attempts::table
        .filter(delivery_attempts::delivery_id.eq(delivery_id))
        .order(delivery_attempts::attempt.asc())
        .select((delivery_attempts::attempt, delivery_attempts::outcome))
        .load(conn)
        .await?)
}

/// pending → published. Returns whether this call settled it.
pub async fn settle_published(conn: &mut Conn, id: Uuid, provider_post_id: &str, url: &str) -> StoreResult<bool> {
    let now = Utc::now();
    let n = diesel::update(deliveries::table.filter(deliveries::id.eq(id).and(deliveries::status.eq("pending"))))
        .set((
            deliveries::status.eq("published"),
            deliveries::published_at.eq(now),
            deliveries::provider_post_id.eq(provider_post_id),
            deliveries::url.eq(url),
            deliveries::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(n == 1)
}

/// pending → failed. Returns whether this call settled it.
pub async fn settle_failed(conn: &mut Conn, id: Uuid, message: &str) -> StoreResult<bool> {
    let now = Utc::now();
    let n = diesel::update(deliveries::table.filter(deliveries::id.eq(id).and(deliveries::status.eq("pending"))))
        .set((
            deliveries::status.eq("failed"),
            deliveries::failed_at.eq(now),
            deliveries::error_message.eq(message),
            deliveries::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(n == 1)
}

/// A failed delivery handed out again by a manual retry.
#[derive(Debug, Clone)]
pub struct Reopened {
    pub workspace_id: Uuid,
    pub profile_id: Uuid,
    pub provider: String,
    /// The number the next attempt takes: attempts keep counting across retries.
    pub next_attempt: i32,
}

/// failed → pending for a manual retry, with its post back to `scheduled` if it had
/// completed. `None` when the delivery is not failed (or not this post's).
pub async fn reopen_failed(conn: &mut Conn, post_id: Uuid, id: Uuid) -> StoreResult<Option<Reopened>> {
    let now = Utc::now();
    let row: Option<(Uuid, String)> = diesel::update(
        deliveries::table
            .filter(deliveries::id.eq(id).and(deliveries::post_id.eq(post_id)).and(deliveries::status.eq("failed"))),
    )
    .set((
        deliveries::status.eq("pending"),
        deliveries::failed_at.eq(None::<chrono::DateTime<Utc>>),
        deliveries::error_message.eq(None::<String>),
        deliveries::dispatched_at.eq(now),
        deliveries::updated_at.eq(now),
    ))
    .returning((deliveries::profile_id, deliveries::provider))
    .get_result(conn)
    .await
    .optional()?;
    let Some((profile_id, provider)) = row else { return Ok(None) };
    diesel::update(posts::table.filter(posts::id.eq(post_id).and(posts::status.eq("completed"))))
        .set((
            posts::status.eq("scheduled"),
            posts::completed_at.eq(None::<chrono::DateTime<Utc>>),
            posts::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    let workspace_id = posts::table.find(post_id).select(posts::workspace_id).first(conn).await?;
    let last: Option<i32> = delivery_attempts::table
        .filter(delivery_attempts::delivery_id.eq(id))
        .select(diesel::dsl::max(delivery_attempts::attempt))
        .first(conn)
        .await?;
    Ok(Some(Reopened { workspace_id, profile_id, provider, next_attempt: last.unwrap_or(0) + 1 }))
}

/// A delivery's status and its profile's status, for explaining a refused retry.
pub async fn status_with_profile(
    conn: &mut Conn,
    post_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<(String, String, String)>> {
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
    delivery_id: Uuid,
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
