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

/// An outbox row ready to insert: the message serialized, its id chosen.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox)]
// None is written as NULL (every such column's default), not as DEFAULT: an insert
// that names DEFAULT is one diesel will not keep prepared (see `prepared`).
#[diesel(treat_none_as_default_value = false)]
pub struct NewOutboxRow {
    pub message_id: Uuid,
    pub exchange: String,
    pub routing_key: String,
    pub message_type: String,
    pub payload: serde_json::Value,
    pub available_at: chrono::DateTime<chrono::Utc>,
    pub traceparent: Option<String>,
    pub expiration_ms: Option<i64>,
}

impl<T: Serialize> Outgoing<'_, T> {
    pub fn prepare(self) -> StoreResult<NewOutboxRow> {
        let payload =
            serde_json::to_value(self.payload).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        Ok(NewOutboxRow {
            message_id: Uuid::now_v7(),
            exchange: self.exchange.to_owned(),
            routing_key: self.routing_key.to_owned(),
            message_type: self.message_type.to_owned(),
            payload,
            available_at: self.not_before.unwrap_or_else(chrono::Utc::now),
            traceparent: self.traceparent,
            expiration_ms: self.expiration.map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)),
        })
    }
}

/// Binds `row`'s eight values, in table order from `message_id` to `expiration_ms`, as
/// the next parameters of a statement that inserts it along with other rows.
pub(crate) fn bind_row<'a>(q: crate::prepared::Prepared<'a>, row: &'a NewOutboxRow) -> crate::prepared::Prepared<'a> {
    use diesel::sql_types::{Int8, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
    q.bind::<SqlUuid, _>(row.message_id)
        .bind::<Text, _>(&row.exchange)
        .bind::<Text, _>(&row.routing_key)
        .bind::<Text, _>(&row.message_type)
        .bind::<Jsonb, _>(&row.payload)
        .bind::<Timestamptz, _>(row.available_at)
        .bind::<Nullable<Text>, _>(&row.traceparent)
        .bind::<Nullable<Int8>, _>(row.expiration_ms)
}

pub async fn push<T: Serialize>(conn: &mut Conn, m: Outgoing<'_, T>) -> StoreResult<Uuid> {
    let row = m.prepare()?;
    let message_id = row.message_id;
    diesel::insert_into(outbox::table).values(&row).execute(conn).await?;
    Ok(message_id)
}

/// Several messages in one statement (a dispatch batch's delivery tasks), or a few
/// statements when they are more than a statement's bind parameters can carry.
pub async fn push_all(conn: &mut Conn, rows: &[NewOutboxRow]) -> StoreResult<()> {
    // 8 parameters a row, 65 535 a statement.
    for chunk in rows.chunks(4_000) {
        diesel::insert_into(outbox::table).values(chunk).execute(conn).await?;
    }
    Ok(())
}

/// `take_batch`'s statement (public for the test of its plan).
pub const TAKE: &str = "DELETE FROM outbox WHERE id = ANY(ARRAY( \
       SELECT id FROM outbox WHERE available_at <= now() ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)) \
     RETURNING *";

/// The oldest due rows no other relay holds, taken out in one statement; call inside a
/// transaction, publish them, and `restore` what could not be sent before committing (a
/// rollback puts every row back).
///
/// The ids are handed over as an array, not as `id IN (SELECT …)`: for the prepared
/// statement's generic plan (the limit unknown) PostgreSQL joined that subquery to a
/// sequential scan of the whole outbox, live backlog and dead rows alike, at every take.
/// Under S1b's backlog that was 75 % of PostgreSQL's time in one full run (a take active
/// for 5 s), and the slower the takes, the bigger the backlog they scan.
pub async fn take_batch(conn: &mut Conn, limit: i64) -> StoreResult<Vec<OutboxRow>> {
    let mut rows: Vec<OutboxRow> =
        crate::prepared::prepared(TAKE).bind::<diesel::sql_types::BigInt, _>(limit).load(conn).await?;
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
