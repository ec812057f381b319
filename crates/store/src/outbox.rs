use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use uuid::Uuid;

use crate::{Conn, StoreResult, models::OutboxRow, schema::outbox};

/// A message to publish once the surrounding transaction commits.
pub struct Outgoing<'a, T: Serialize> {
    pub exchange: &'a str,
    pub routing_key: &'a str,
    pub message_type: &'a str,
    pub payload: &'a T,
    /// Not sent before this time (None: at once).
    pub not_before: Option<chrono::DateTime<chrono::Utc>>,
    /// The trace the message continues (W3C `traceparent`).
    pub traceparent: Option<String>,
    /// The message's expiration (a retry's wait in the retry queue).
    pub expiration: Option<std::time::Duration>,
}

pub async fn push<T: Serialize>(conn: &mut Conn, m: Outgoing<'_, T>) -> StoreResult<Uuid> {
    let message_id = Uuid::now_v7();
    let payload =
        serde_json::to_value(m.payload).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(outbox::table)
        .values((
            outbox::message_id.eq(message_id),
            outbox::exchange.eq(m.exchange),
            outbox::routing_key.eq(m.routing_key),
            outbox::message_type.eq(m.message_type),
            outbox::payload.eq(payload),
            outbox::available_at.eq(m.not_before.unwrap_or_else(chrono::Utc::now)),
            outbox::traceparent.eq(m.traceparent),
            outbox::expiration_ms.eq(m.expiration.map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1))),
        ))
        .execute(conn)
        .await?;
    Ok(message_id)
}

/// The oldest due rows no other relay holds, taken out in one statement; call inside a
/// transaction, publish them, and `restore` what could not be sent before committing (a
/// rollback puts every row back).
pub async fn take_batch(conn: &mut Conn, limit: i64) -> StoreResult<Vec<OutboxRow>> {
    let mut rows: Vec<OutboxRow> = diesel::sql_query(
        "DELETE FROM outbox WHERE id IN ( \
           SELECT id FROM outbox WHERE available_at <= now() ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) \
         RETURNING *",
    )
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
    .await?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// Puts back rows taken by `take_batch` that were not sent (same ids: order kept).
pub async fn restore(conn: &mut Conn, rows: &[OutboxRow]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    diesel::insert_into(outbox::table).values(rows).execute(conn).await?;
    Ok(())
}

pub async fn backlog(conn: &mut Conn) -> StoreResult<i64> {
    Ok(outbox::table.count().get_result(conn).await?)
}
