use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::{PostId, ProfileId};

use crate::{
    Conn, KeyScope, StoreError, StoreResult,
    models::{NewLogEntry, PublishLogRow},
    outbox::NewOutboxRow,
    schema::{deliveries, publish_log},
};

/// Gives committed events without a position the next positions. Only rows whose
/// transaction has committed are visible here, so an event that commits late gets a
/// later position than everything already read: a feed cursor can never jump over it.
/// Cheap to call before every read; a concurrent caller skips (the other one sequences).
pub async fn sequence(conn: &mut Conn) -> StoreResult<usize> {
    conn.transaction::<usize, StoreError, _>(async |conn| {
        // One sequencer at a time, so positions are given in the order events commit.
        if !crate::locks::try_for_transaction(conn, "publish_log:sequencer").await? {
            return Ok(0);
        }
        Ok(diesel::sql_query(
            "UPDATE publish_log SET position = nextval('publish_log_position') WHERE id IN \
             (SELECT id FROM publish_log WHERE position IS NULL ORDER BY id LIMIT 1000)",
        )
        .execute(conn)
        .await?)
    })
    .await
}

pub async fn append(conn: &mut Conn, e: &NewLogEntry) -> StoreResult<()> {
    diesel::insert_into(publish_log::table).values(e).execute(conn).await?;
    Ok(())
}

/// A log row and the message that tells the other services, in one statement (both are
/// written on every accepted post and every settled delivery).
pub async fn append_with_message(conn: &mut Conn, e: &NewLogEntry, m: &NewOutboxRow) -> StoreResult<()> {
    use diesel::sql_types::{Nullable, Text, Uuid as SqlUuid};
    let q = crate::prepared::prepared(
        "WITH logged AS (
             INSERT INTO publish_log (workspace_id, post_id, delivery_id, profile_id, provider, kind, message, url)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8))
         INSERT INTO outbox (message_id, exchange, routing_key, message_type, payload, available_at, traceparent, expiration_ms)
         VALUES ($9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind::<SqlUuid, _>(e.workspace_id)
    .bind::<SqlUuid, _>(e.post_id)
    .bind::<Nullable<SqlUuid>, _>(e.delivery_id)
    .bind::<Nullable<SqlUuid>, _>(e.profile_id)
    .bind::<Nullable<Text>, _>(e.provider)
    .bind::<Text, _>(&e.kind)
    .bind::<Nullable<Text>, _>(&e.message)
    .bind::<Nullable<Text>, _>(&e.url);
    crate::outbox::bind_row(q, m).execute(conn).await?;
    Ok(())
}

/// The workspace's entries, without those of posts the key may not see (all-or-nothing:
/// a post is hidden when any of its deliveries is outside the key's scope).
fn scoped(scope: &KeyScope) -> publish_log::BoxedQuery<'static, diesel::pg::Pg> {
    let mut q = publish_log::table.filter(publish_log::workspace_id.eq(scope.workspace_id)).into_boxed();
    if let Some(p) = &scope.providers {
        let hidden = deliveries::table.filter(deliveries::provider.ne_all(p.clone())).select(deliveries::post_id);
        q = q.filter(diesel::dsl::not(publish_log::post_id.eq_any(hidden)));
    }
    if let Some(ids) = &scope.profile_ids {
        let hidden = deliveries::table.filter(deliveries::profile_id.ne_all(ids.clone())).select(deliveries::post_id);
        q = q.filter(diesel::dsl::not(publish_log::post_id.eq_any(hidden)));
    }
    q
}

#[derive(Debug, Default, Clone)]
pub struct LogFilter {
    pub post_id: Option<PostId>,
    pub profile_id: Option<ProfileId>,
    pub provider: Option<String>,
    pub kinds: Option<Vec<String>>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Entries older than this id (the cursor).
    pub before_id: Option<i64>,
}

/// Newest first. Entries of posts the key may not see (all-or-nothing) are left out.
pub async fn list(conn: &mut Conn, scope: &KeyScope, f: &LogFilter, limit: i64) -> StoreResult<Vec<PublishLogRow>> {
    let mut q = scoped(scope);
    if let Some(v) = f.post_id {
        q = q.filter(publish_log::post_id.eq(v));
    }
    if let Some(v) = f.profile_id {
        q = q.filter(publish_log::profile_id.eq(v));
    }
    if let Some(v) = &f.provider {
        q = q.filter(publish_log::provider.eq(v.clone()));
    }
    if let Some(v) = &f.kinds {
        q = q.filter(publish_log::kind.eq_any(v.clone()));
    }
    if let Some(v) = f.since {
        q = q.filter(publish_log::occurred_at.ge(v));
    }
    if let Some(v) = f.until {
        q = q.filter(publish_log::occurred_at.le(v));
    }
    if let Some(v) = f.before_id {
        q = q.filter(publish_log::id.lt(v));
    }
    Ok(q.order(publish_log::id.desc()).limit(limit).select(PublishLogRow::as_select()).load(conn).await?)
}

/// Entries after feed position `after`, in feed order (the event feed), with the same
/// visibility rule. Events not yet sequenced are not in the feed yet.
pub async fn list_after(
    conn: &mut Conn,
    scope: &KeyScope,
    post_id: Option<PostId>,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<PublishLogRow>> {
    let mut q = scoped(scope).filter(publish_log::position.gt(after));
    if let Some(p) = post_id {
        q = q.filter(publish_log::post_id.eq(p));
    }
    Ok(q.order(publish_log::position.asc()).limit(limit).select(PublishLogRow::as_select()).load(conn).await?)
}

/// The feed's latest position the key can see (where a feed without a cursor starts).
pub async fn latest_position(conn: &mut Conn, scope: &KeyScope) -> StoreResult<i64> {
    let p: Option<i64> = scoped(scope).select(diesel::dsl::max(publish_log::position)).first(conn).await?;
    Ok(p.unwrap_or(0))
}
