//! Every delivery status change, and only here (the delivery worker owns the delivery
//! layer; see `store::transitions`): settling published or failed, with the attempt's
//! outcome, its Publishing Log row, `delivery.settled` and the release of the call's
//! caps in one statement; an attempt to be made again, with its task, in one
//! transaction; and taking a failed delivery back to pending for a manual retry.

use bus::relay::{When, enqueue_delivery, event_row};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use domain::{
    DeliveryStatus,
    messages::{DeliveryRequestedV1, DeliverySettledV1},
};
use providers::Published;
use store::{
    StoreError, deliveries,
    models::NewLogEntry,
    transitions::deliveries::{self as delivery_status, AttemptEnd, Settle, Settled},
};

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
    let settled_event =
        |status| event_row(&ctx.names, &DeliverySettledV1 { delivery_id: t.delivery_id, post_id: t.post_id, status });
    let ended = |outcome, detail| AttemptEnd { attempt: t.attempt, outcome, detail };
    match &outcome {
        Outcome::Published(p) => {
            let entry = log("delivery.published", None, Some(p.url.clone()));
            let message = settled_event(DeliveryStatus::Published)?;
            // A recovered post was made by an earlier attempt whose answer was lost.
            let outcome = if p.recovered { "recovered" } else { "published" };
            let to = Settled::Published { provider_post_id: &p.provider_post_id, url: &p.url };
            let ended = ended(outcome, Some(p.provider_post_id.as_str()));
            let s = Settle { delivery_id: t.delivery_id, to, ended, log: &entry, message: &message, answers, held };
            delivery_status::settle_logged(&mut conn, &s).await?;
        }
        Outcome::Failed(msg) => {
            let entry = log("delivery.failed", Some(msg.clone()), None);
            let message = settled_event(DeliveryStatus::Failed)?;
            let to = Settled::Failed { message: msg };
            let ended = ended("rejected", Some(msg.as_str()));
            let s =
                Settle { delivery_id: t.delivery_id, to, ended, log: &entry, message: &message, answers: None, held };
            delivery_status::settle_logged(&mut conn, &s).await?;
        }
        Outcome::RetryLater(msg) | Outcome::RetryAt(msg, _) => {
            let (outcome, when) = match &outcome {
                Outcome::RetryAt(_, at) => ("rate_limited", When::At(*at)),
                _ => ("retryable", When::After(std::time::Duration::from_millis(ctx.config.common.bus.retry_delay_ms))),
            };
            conn.transaction::<(), StoreError, _>(async |conn| {
                deliveries::finish_attempt(conn, t.delivery_id, t.attempt, outcome, Some(msg)).await?;
                enqueue_delivery(conn, &ctx.names, &t.next(), when).await?;
                // The call is over: its caps' slots go back with the outcome, not a commit apart.
                if let Some(held) = held {
                    store::limits::release(conn, held).await?;
                }
                Ok(())
            })
            .await?;
        }
    }
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
