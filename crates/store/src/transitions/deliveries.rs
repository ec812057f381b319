//! The delivery layer's transitions: the delivery worker's alone (feature
//! `delivery-transitions`).

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::DeliveryId;
use domain::DeliveryStatus;

use crate::{
    Conn, StoreResult,
    schema::{deliveries, delivery_attempts},
};

const PUBLISH: (DeliveryStatus, DeliveryStatus) =
    DeliveryStatus::edge(DeliveryStatus::Pending, DeliveryStatus::Published);
const FAIL: (DeliveryStatus, DeliveryStatus) = DeliveryStatus::edge(DeliveryStatus::Pending, DeliveryStatus::Failed);
const REOPEN: (DeliveryStatus, DeliveryStatus) = DeliveryStatus::edge(DeliveryStatus::Failed, DeliveryStatus::Pending);

/// pending → published. Returns whether this call settled it.
pub async fn settle_published(conn: &mut Conn, id: DeliveryId, provider_post_id: &str, url: &str) -> StoreResult<bool> {
    let now = Utc::now();
    let (from, to) = PUBLISH;
    let n = crate::prepared::prepared(
        "UPDATE deliveries SET status = $3, published_at = $4, provider_post_id = $5, url = $6, updated_at = $4
         WHERE id = $1 AND status = $2",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(from)
    .bind::<Text, _>(to)
    .bind::<Timestamptz, _>(now)
    .bind::<Text, _>(provider_post_id)
    .bind::<Text, _>(url)
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// pending → failed. Returns whether this call settled it.
pub async fn settle_failed(conn: &mut Conn, id: DeliveryId, message: &str) -> StoreResult<bool> {
    let now = Utc::now();
    let (from, to) = FAIL;
    let n = crate::prepared::prepared(
        "UPDATE deliveries SET status = $3, failed_at = $4, error_message = $5, updated_at = $4
         WHERE id = $1 AND status = $2",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(from)
    .bind::<Text, _>(to)
    .bind::<Timestamptz, _>(now)
    .bind::<Text, _>(message)
    .execute(conn)
    .await?;
    Ok(n == 1)
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
