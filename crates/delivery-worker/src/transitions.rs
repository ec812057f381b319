//! Every delivery status change, and only here (the delivery worker owns the delivery
//! layer; see `store::transitions`): settling published or failed, with the attempt's
//! outcome, its Publishing Log row, `delivery.settled` and the release of the call's
//! caps in one transaction; and taking
//! a failed delivery back to pending for a manual retry.

use bus::relay::{When, enqueue_delivery, event_row};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use domain::{
    DeliveryStatus,
    messages::{DeliveryRequestedV1, DeliverySettledV1},
};
use providers::Published;
use store::{StoreError, deliveries, models::NewLogEntry, publish_log, transitions::deliveries as delivery_status};

use crate::app::Ctx;

pub enum Outcome {
    Published(Published),
    Failed(String),
    /// Thrown: another attempt after the fixed retry delay.
    RetryLater(String),
    /// Rate limited: another attempt when the provider allows (its Retry-After).
    RetryAt(String, DateTime<Utc>),
}

pub async fn settle(
    ctx: &Ctx,
    t: &DeliveryRequestedV1,
    workspace_id: domain::WorkspaceId,
    profile_id: domain::ProfileId,
    answers: Option<uuid::Uuid>,
    held: Option<&store::limits::Held>,
    outcome: Outcome,
) -> Result<(), StoreError> {
    let mut conn = ctx.pool.get().await?;
    conn.transaction::<(), StoreError, _>(async |conn| {
        let log = |kind: &str, message: Option<String>, url: Option<String>| NewLogEntry {
            workspace_id,
            post_id: t.post_id,
            delivery_id: Some(t.delivery_id),
            profile_id: Some(profile_id),
            provider: Some(t.provider),
            kind: kind.to_owned(),
            message,
            url,
        };
        let settled_event = |status| {
            event_row(&ctx.names, &DeliverySettledV1 { delivery_id: t.delivery_id, post_id: t.post_id, status })
        };
        // A settle's log row and its `delivery.settled` are written by one statement.
        match &outcome {
            Outcome::Published(p) => {
                // A recovered post was made by an earlier attempt whose answer was lost.
                let outcome = if p.recovered { "recovered" } else { "published" };
                deliveries::finish_attempt(conn, t.delivery_id, t.attempt, outcome, Some(&p.provider_post_id)).await?;
                let did = delivery_status::settle_published(conn, t.delivery_id, &p.provider_post_id, &p.url).await?;
                if did {
                    publish_log::append_with_message(
                        conn,
                        &log("delivery.published", None, Some(p.url.clone())),
                        &settled_event(DeliveryStatus::Published)?,
                    )
                    .await?;
                    // A reply from the inbox: its item is answered once the reply is public.
                    if let Some(item) = answers {
                        store::inbox::replied(conn, item, chrono::Utc::now()).await?;
                    }
                }
            }
            Outcome::Failed(msg) => {
                deliveries::finish_attempt(conn, t.delivery_id, t.attempt, "rejected", Some(msg)).await?;
                let did = delivery_status::settle_failed(conn, t.delivery_id, msg).await?;
                if did {
                    publish_log::append_with_message(
                        conn,
                        &log("delivery.failed", Some(msg.clone()), None),
                        &settled_event(DeliveryStatus::Failed)?,
                    )
                    .await?;
                }
            }
            Outcome::RetryLater(msg) => {
                deliveries::finish_attempt(conn, t.delivery_id, t.attempt, "retryable", Some(msg)).await?;
                let next = t.next();
                enqueue_delivery(
                    conn,
                    &ctx.names,
                    &next,
                    When::After(std::time::Duration::from_millis(ctx.config.common.bus.retry_delay_ms)),
                )
                .await?;
            }
            Outcome::RetryAt(msg, at) => {
                deliveries::finish_attempt(conn, t.delivery_id, t.attempt, "rate_limited", Some(msg)).await?;
                let next = t.next();
                enqueue_delivery(conn, &ctx.names, &next, When::At(*at)).await?;
            }
        }
        // The call is over: its caps' slots go back with the outcome, not a commit apart.
        if let Some(held) = held {
            store::limits::release(conn, held).await?;
        }
        Ok(())
    })
    .await?;
    ctx.relay_wake.notify_one();
    Ok(())
}

/// failed → pending for the manual retry `t` asks for. `false` when that retry's attempt
/// was already made (a copy of its message).
pub async fn reopen_for_retry(conn: &mut store::Conn, t: &DeliveryRequestedV1) -> Result<bool, StoreError> {
    let reopened = delivery_status::reopen_for_retry(conn, t.delivery_id, t.attempt).await?;
    if reopened {
        tracing::info!(delivery_id = %t.delivery_id, attempt = t.attempt, "failed delivery reopened for a manual retry");
    }
    Ok(reopened)
}
