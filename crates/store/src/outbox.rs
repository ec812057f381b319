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

/// Several messages in one statement (a dispatch batch's delivery tasks), whatever their
/// number: each column is bound as one array. A multi-row `VALUES` list was a new
/// statement for every row count (never kept prepared), 4 000 parameters to parse for a
/// batch of 500, and 10–48 ms of execution for it in S2's burst.
pub async fn push_all(conn: &mut Conn, rows: &[NewOutboxRow]) -> StoreResult<()> {
    use diesel::sql_types::{Array, Int8, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
    if rows.is_empty() {
        return Ok(());
    }
    let column = |f: fn(&NewOutboxRow) -> &str| rows.iter().map(f).collect::<Vec<_>>();
    crate::prepared::prepared(
        "INSERT INTO outbox (message_id, exchange, routing_key, message_type, payload, available_at, traceparent, expiration_ms)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[], $7::text[], $8::int8[])",
    )
    .bind::<Array<SqlUuid>, _>(rows.iter().map(|r| r.message_id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(column(|r| &r.exchange))
    .bind::<Array<Text>, _>(column(|r| &r.routing_key))
    .bind::<Array<Text>, _>(column(|r| &r.message_type))
    .bind::<Array<Jsonb>, _>(rows.iter().map(|r| &r.payload).collect::<Vec<_>>())
    .bind::<Array<Timestamptz>, _>(rows.iter().map(|r| r.available_at).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|r| r.traceparent.as_deref()).collect::<Vec<_>>())
    .bind::<Array<Nullable<Int8>>, _>(rows.iter().map(|r| r.expiration_ms).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// `take_batch`'s statement (public for the test of its plan).
pub const TAKE: &str = "DELETE FROM outbox WHERE id = ANY(ARRAY( \
       SELECT id FROM outbox WHERE available_at <= now() ORDER BY available_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)) \
     RETURNING *";

/// The oldest due rows no other relay holds, taken out in one statement; call inside a
/// transaction, publish them, and `restore` what could not be sent before committing (a
/// rollback puts every row back).
///
/// The ids are handed over as an array, not as `id IN (SELECT …)`: for the prepared
/// statement's generic plan (the limit unknown) PostgreSQL joined that subquery to a
/// sequential scan of the whole outbox, live backlog and dead rows alike, at every take.
/// Under S1b's backlog that was 75 % of PostgreSQL's time in one full run (a take active
/// for 5 s), and the slower the takes, the bigger the backlog they scan. They are taken
/// in the order they became due (`outbox_available`'s order): in id order the scan
/// walked past every row deferred to later (a delivery waiting for its turn at a full
/// cap) before the first due one, 1.7 ms a take behind 10 000 of them, 0.24 ms now.
pub async fn take_batch(conn: &mut Conn, limit: i64) -> StoreResult<Vec<OutboxRow>> {
    let mut rows: Vec<OutboxRow> =
        crate::prepared::prepared(TAKE).bind::<diesel::sql_types::BigInt, _>(limit).load(conn).await?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// Vacuums the outbox unless another vacuum holds it. Each take walks `outbox_available`
/// from its start, over the entries of every row deleted since the last vacuum: with
/// 40 000 rows taken, the next take read 1 285 buffers (5.2 ms), 157 once their entries were marked dead,
/// 64 after a vacuum (12–20 ms for that many rows). Autovacuum comes at most once a minute;
/// the relays, which make the dead rows, vacuum after every few thousand.
pub async fn vacuum(conn: &mut Conn) -> StoreResult<()> {
    use diesel_async::SimpleAsyncConnection;
    // The simple protocol: VACUUM runs outside any transaction and is never prepared.
    // Index entries are what the takes walk, so they are always cleaned; the table is not
    // truncated, which would lock out the writers for a moment.
    conn.batch_execute("VACUUM (SKIP_LOCKED, INDEX_CLEANUP ON, TRUNCATE false) outbox").await?;
    Ok(())
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
