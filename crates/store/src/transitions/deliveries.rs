//! The delivery layer's transitions: the delivery worker's alone (feature
//! `delivery-transitions`).

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Array, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::DeliveryId;
use domain::DeliveryStatus;

use crate::{
    Conn, StoreResult,
    limits::Held,
    models::NewLogEntry,
    outbox::NewOutboxRow,
    schema::{deliveries, delivery_attempts},
};

const PUBLISH: (DeliveryStatus, DeliveryStatus) =
    DeliveryStatus::edge(DeliveryStatus::Pending, DeliveryStatus::Published);
const FAIL: (DeliveryStatus, DeliveryStatus) = DeliveryStatus::edge(DeliveryStatus::Pending, DeliveryStatus::Failed);
const REOPEN: (DeliveryStatus, DeliveryStatus) = DeliveryStatus::edge(DeliveryStatus::Failed, DeliveryStatus::Pending);

/// Where a pending delivery ends.
pub enum Settled<'a> {
    Published { provider_post_id: &'a str, url: &'a str },
    Failed { message: &'a str },
}

/// How the attempt that settles a delivery ended (its `delivery_attempts` row).
pub struct AttemptEnd<'a> {
    pub attempt: i32,
    pub outcome: &'a str,
    pub detail: Option<&'a str>,
}

/// Everything one settle writes.
pub struct Settle<'a> {
    pub delivery_id: DeliveryId,
    pub to: Settled<'a>,
    pub ended: AttemptEnd<'a>,
    /// Written only by the call that moves the delivery, as is `message`.
    pub log: &'a NewLogEntry,
    pub message: &'a NewOutboxRow,
    /// The inbox item a reply answers: replied once the reply is public.
    pub answers: Option<uuid::Uuid>,
    /// The call's caps, given back whatever the settle finds.
    pub held: Option<&'a Held>,
}

/// pending → published or failed, in one statement with all that goes with it: the
/// attempt's end and the call's caps given back; and, only when this call moved the
/// delivery, its Publishing Log row, its message and the inbox item it answers. Each of
/// those was a statement of its own, in a transaction of five to seven round trips, on
/// every delivery. Returns whether this call moved it.
pub async fn settle_logged(conn: &mut Conn, s: &Settle<'_>) -> StoreResult<bool> {
    let ((from, to), set, first, second) = match s.to {
        Settled::Published { provider_post_id, url } => {
            (PUBLISH, "published_at = $10, provider_post_id = $28, url = $29", provider_post_id, Some(url))
        }
        Settled::Failed { message } => (FAIL, "failed_at = $10, error_message = $28", message, None),
    };
    let (keys, slots): (Vec<&str>, Vec<i32>) =
        s.held.map(|h| h.slots.iter().map(|(k, n)| (k.as_str(), *n)).unzip()).unwrap_or_default();
    let q = crate::prepared::prepared(format!(
        "WITH ended AS (
             UPDATE delivery_attempts SET finished_at = clock_timestamp(), outcome = $2, detail = $3
             WHERE delivery_id = $1 AND attempt = $4),
         released AS (
             DELETE FROM delivery_leases
             WHERE holder = $5 AND (key, slot) IN (SELECT * FROM unnest($6::text[], $7::int4[]))),
         settled AS (
             UPDATE deliveries SET status = $9, {set}, updated_at = $10
             WHERE id = $1 AND status = $8
             RETURNING id),
         answered AS (
             UPDATE inbox_items SET status = 'replied', replied_at = $10, updated_at = $10
             WHERE id = $11 AND EXISTS (SELECT 1 FROM settled)),
         logged AS (
             INSERT INTO publish_log (workspace_id, post_id, delivery_id, profile_id, provider, kind, message, url)
             SELECT $12, $13, $14, $15, $16, $17, $18, $19 FROM settled),
         sent AS (
             INSERT INTO outbox (message_id, exchange, routing_key, message_type, payload, available_at, traceparent, expiration_ms)
             SELECT $20, $21, $22, $23, $24, $25, $26, $27 FROM settled)
         SELECT count(*) AS n FROM settled"
    ))
    .bind::<SqlUuid, _>(s.delivery_id)
    .bind::<Text, _>(s.ended.outcome)
    .bind::<Nullable<Text>, _>(s.ended.detail)
    .bind::<Int4, _>(s.ended.attempt)
    .bind::<Nullable<SqlUuid>, _>(s.held.map(|h| h.holder))
    .bind::<Array<Text>, _>(keys)
    .bind::<Array<Int4>, _>(slots)
    .bind::<Text, _>(from)
    .bind::<Text, _>(to)
    .bind::<Timestamptz, _>(Utc::now())
    .bind::<Nullable<SqlUuid>, _>(s.answers)
    .bind::<SqlUuid, _>(s.log.workspace_id)
    .bind::<SqlUuid, _>(s.log.post_id)
    .bind::<Nullable<SqlUuid>, _>(s.log.delivery_id)
    .bind::<Nullable<SqlUuid>, _>(s.log.profile_id)
    .bind::<Nullable<Text>, _>(s.log.provider)
    .bind::<Text, _>(&s.log.kind)
    .bind::<Nullable<Text>, _>(&s.log.message)
    .bind::<Nullable<Text>, _>(&s.log.url);
    let moved: Count = crate::outbox::bind_row(q, s.message)
        .bind::<Text, _>(first)
        .bind::<Nullable<Text>, _>(second)
        .get_result(conn)
        .await?;
    Ok(moved.n == 1)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// failed → pending for the manual retry that asked for attempt `attempt`: only while no
/// attempt of that number (or later) was made, so a copy of the retry's message that
/// arrives after the retried attempt settled changes nothing.
pub async fn reopen_for_retry(conn: &mut Conn, id: DeliveryId, attempt: i32) -> StoreResult<bool> {
    let (from, to) = REOPEN;
    let later = delivery_attempts::table
        .filter(delivery_attempts::delivery_id.eq(id))
        .filter(delivery_attempts::attempt.ge(attempt));
    let now = Utc::now();
    let n = diesel::update(
        deliveries::table
            .filter(deliveries::id.eq(id))
            .filter(deliveries::status.eq(from))
            .filter(diesel::dsl::not(diesel::dsl::exists(later))),
    )
    .set((
        deliveries::status.eq(to),
        deliveries::failed_at.eq(None::<chrono::DateTime<Utc>>),
        deliveries::error_message.eq(None::<String>),
        deliveries::dispatched_at.eq(now),
        deliveries::updated_at.eq(now),
    ))
    .execute(conn)
    .await?;
    Ok(n == 1)
}
