//! Webhook endpoints, their send attempts, and the fan-out's place in the event log.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::WorkspaceId;
use uuid::Uuid;

use crate::{
    Conn, StoreResult,
    models::PublishLogRow,
    schema::{publish_log, webhook_attempts as wa, webhook_cursor as wc, webhook_endpoints as we},
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = we)]
pub struct Endpoint {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub url: String,
    pub secret: String,
    pub events: Option<Vec<String>>,
    pub status: String,
    pub failures: i32,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = wa)]
pub struct Attempt {
    pub id: i64,
    pub endpoint_id: Uuid,
    pub event_id: i64,
    pub attempt: i32,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub succeeded: bool,
    pub at: DateTime<Utc>,
}

pub async fn insert(
    conn: &mut Conn,
    id: Uuid,
    workspace_id: WorkspaceId,
    url: &str,
    secret_enc: &str,
    events: Option<Vec<String>>,
) -> StoreResult<Endpoint> {
    Ok(diesel::insert_into(we::table)
        .values((
            we::id.eq(id),
            we::workspace_id.eq(workspace_id),
            we::url.eq(url),
            we::secret.eq(secret_enc),
            we::events.eq(events),
        ))
        .returning(Endpoint::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn list(conn: &mut Conn, workspace_id: WorkspaceId) -> StoreResult<Vec<Endpoint>> {
    Ok(we::table
        .filter(we::workspace_id.eq(workspace_id))
        .order(we::created_at.asc())
        .select(Endpoint::as_select())
        .load(conn)
        .await?)
}

pub async fn get(conn: &mut Conn, id: Uuid) -> StoreResult<Option<Endpoint>> {
    Ok(we::table.find(id).select(Endpoint::as_select()).first(conn).await.optional()?)
}

pub async fn delete(conn: &mut Conn, workspace_id: WorkspaceId, id: Uuid) -> StoreResult<bool> {
    Ok(diesel::delete(we::table.filter(we::id.eq(id).and(we::workspace_id.eq(workspace_id)))).execute(conn).await? == 1)
}

pub async fn attempts(conn: &mut Conn, endpoint_id: Uuid, limit: i64) -> StoreResult<Vec<Attempt>> {
    Ok(wa::table
        .filter(wa::endpoint_id.eq(endpoint_id))
        .order(wa::id.desc())
        .limit(limit)
        .select(Attempt::as_select())
        .load(conn)
        .await?)
}

pub async fn record(
    conn: &mut Conn,
    endpoint_id: Uuid,
    event_id: i64,
    attempt: i32,
    status_code: Option<i32>,
    error: Option<&str>,
    ok: bool,
) -> StoreResult<()> {
    diesel::insert_into(wa::table)
        .values((
            wa::endpoint_id.eq(endpoint_id),
            wa::event_id.eq(event_id),
            wa::attempt.eq(attempt),
            wa::status_code.eq(status_code),
            wa::error.eq(error),
            wa::succeeded.eq(ok),
        ))
        .execute(conn)
        .await?;
    let now = Utc::now();
    if ok {
        diesel::update(we::table.find(endpoint_id))
            .set((we::failures.eq(0), we::updated_at.eq(now)))
            .execute(conn)
            .await?;
    } else {
        diesel::update(we::table.find(endpoint_id))
            .set((we::failures.eq(we::failures + 1), we::updated_at.eq(now)))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Disables an endpoint that failed `after` times in a row; returns whether it did now.
pub async fn disable_if_failing(conn: &mut Conn, endpoint_id: Uuid, after: i32) -> StoreResult<bool> {
    let n = diesel::update(
        we::table.filter(we::id.eq(endpoint_id).and(we::status.eq("active")).and(we::failures.ge(after))),
    )
    .set((
        we::status.eq("disabled"),
        we::disabled_reason.eq(format!("disabled after {after} failed deliveries in a row")),
        we::updated_at.eq(Utc::now()),
    ))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Locks the fan-out cursor (one fan-out at a time across replicas) and returns the
/// events after it with the active endpoints of their workspaces.
pub async fn lock_next_events(conn: &mut Conn, limit: i64) -> StoreResult<Option<(i64, Vec<PublishLogRow>)>> {
    let cursor: Option<i64> =
        wc::table.find(1).select(wc::last_event_id).for_update().skip_locked().first(conn).await.optional()?;
    let Some(after) = cursor else { return Ok(None) };
    let events = publish_log::table
        .filter(publish_log::position.gt(after))
        .order(publish_log::position.asc())
        .limit(limit)
        .select(PublishLogRow::as_select())
        .load(conn)
        .await?;
    Ok(Some((after, events)))
}

pub async fn advance(conn: &mut Conn, to: i64) -> StoreResult<()> {
    diesel::update(wc::table.find(1)).set(wc::last_event_id.eq(to)).execute(conn).await?;
    Ok(())
}

pub async fn active_in(conn: &mut Conn, workspace_ids: &[WorkspaceId]) -> StoreResult<Vec<Endpoint>> {
    Ok(we::table
        .filter(we::workspace_id.eq_any(workspace_ids))
        .filter(we::status.eq("active"))
        .select(Endpoint::as_select())
        .load(conn)
        .await?)
}

pub async fn event(conn: &mut Conn, id: i64) -> StoreResult<Option<PublishLogRow>> {
    Ok(publish_log::table.find(id).select(PublishLogRow::as_select()).first(conn).await.optional()?)
}
