//! Posting queues: named weekly slots per profile, in a zone. A queued post takes the
//! queue's next free slot; the queue row is locked while one is taken, so two posts
//! created at once never take the same slot.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{PostId, PostStatus, ProfileId, WorkspaceId};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::{
    Conn, StoreResult,
    schema::{posting_queues, posts},
};

#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = posting_queues)]
pub struct Queue {
    pub id: Uuid,
    #[serde(skip)]
    pub workspace_id: WorkspaceId,
    pub profile_id: ProfileId,
    pub name: String,
    pub timezone: String,
    /// `[{day_of_week (0 = Sunday), time "HH:MM"}]`
    pub slots: Value,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(
    conn: &mut Conn,
    ws: WorkspaceId,
    profile_id: ProfileId,
    name: &str,
    timezone: &str,
    slots: &Value,
) -> StoreResult<Queue> {
    Ok(diesel::insert_into(posting_queues::table)
        .values((
            posting_queues::id.eq(Uuid::now_v7()),
            posting_queues::workspace_id.eq(ws),
            posting_queues::profile_id.eq(profile_id),
            posting_queues::name.eq(name),
            posting_queues::timezone.eq(timezone),
            posting_queues::slots.eq(slots),
        ))
        .returning(Queue::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn get(conn: &mut Conn, ws: WorkspaceId, id: Uuid) -> StoreResult<Option<Queue>> {
    Ok(posting_queues::table
        .filter(posting_queues::workspace_id.eq(ws).and(posting_queues::id.eq(id)))
        .select(Queue::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The queue, held FOR UPDATE until the transaction ends.
pub async fn lock(conn: &mut Conn, ws: WorkspaceId, id: Uuid) -> StoreResult<Option<Queue>> {
    Ok(posting_queues::table
        .filter(posting_queues::workspace_id.eq(ws).and(posting_queues::id.eq(id)))
        .select(Queue::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?)
}

pub async fn for_profile(conn: &mut Conn, ws: WorkspaceId, profile_id: ProfileId) -> StoreResult<Vec<Queue>> {
    Ok(posting_queues::table
        .filter(posting_queues::workspace_id.eq(ws).and(posting_queues::profile_id.eq(profile_id)))
        .order(posting_queues::name.asc())
        .select(Queue::as_select())
        .load(conn)
        .await?)
}

pub async fn update(
    conn: &mut Conn,
    ws: WorkspaceId,
    id: Uuid,
    name: Option<&str>,
    timezone: Option<&str>,
    slots: Option<&Value>,
) -> StoreResult<Option<Queue>> {
    Ok(diesel::update(posting_queues::table.filter(posting_queues::workspace_id.eq(ws).and(posting_queues::id.eq(id))))
        .set((
            name.map(|n| posting_queues::name.eq(n)),
            timezone.map(|t| posting_queues::timezone.eq(t)),
            slots.map(|s| posting_queues::slots.eq(s)),
            posting_queues::id.eq(id),
        ))
        .returning(Queue::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn delete(conn: &mut Conn, ws: WorkspaceId, id: Uuid) -> StoreResult<bool> {
    let n = diesel::delete(
        posting_queues::table.filter(posting_queues::workspace_id.eq(ws).and(posting_queues::id.eq(id))),
    )
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// The queue's posts still waiting for their slot (accepted or scheduled, not dispatched,
/// not deleted), soonest first: their ids and times.
pub async fn waiting(
    conn: &mut Conn,
    id: Uuid,
    from: DateTime<Utc>,
) -> StoreResult<Vec<(PostId, PostStatus, DateTime<Utc>)>> {
    let rows: Vec<(PostId, PostStatus, Option<DateTime<Utc>>)> = posts::table
        .filter(posts::queue_id.eq(id))
        .filter(posts::status.eq_any([PostStatus::Pending, PostStatus::Scheduled]))
        .filter(posts::dispatched_at.is_null())
        .filter(posts::archived_at.is_null())
        .filter(posts::scheduled_at.ge(from))
        .order(posts::scheduled_at.asc())
        .select((posts::id, posts::status, posts::scheduled_at))
        .load(conn)
        .await?;
    Ok(rows.into_iter().filter_map(|(id, s, at)| Some((id, s, at?))).collect())
}
