//! Every post status change, and only here (the scheduler owns the post layer; see
//! `store::transitions`). Each runs in one transaction with its Publishing Log row and
//! its outbox message, and each is conditional on the status it leaves, so a redelivered
//! message or a racing replica changes nothing twice.

use bus::relay::{When, enqueue_delivery, enqueue_event, event_row};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use domain::{DeliveryId, PostId};
use domain::{
    DeliveryStatus, PostStatus, ProfileStatus,
    messages::{CommandReplyV1, DeliveryRequestedV1, PostAcceptedV1, PostCanceledV1, PostCompletedV1, PostScheduledV1},
};
use store::transitions::posts::Move;
use store::{StoreError, deliveries, models::NewLogEntry, posts, publish_log, transitions::posts as post_status};

use crate::app::Ctx;

/// Why a post cannot be canceled or edited now, in the caller's words.
pub async fn refusal(conn: &mut store::Conn, post_id: PostId, action: &str) -> Result<CommandReplyV1, StoreError> {
    Ok(match posts::status_of(conn, post_id).await? {
        None => CommandReplyV1::NotFound,
        Some((status, dispatched)) => CommandReplyV1::Conflict {
            detail: match (status, dispatched) {
                (PostStatus::Scheduled, Some(_)) => {
                    format!("Delivery has already started; the post can no longer be {action}.")
                }
                (PostStatus::Pending, _) => {
                    format!("The post is still pending; it can be {action} once it is scheduled.")
                }
                (s, _) => {
                    format!("Only scheduled posts whose deliveries have not started can be {action}; this post is {s}.")
                }
            },
        },
    })
}

/// draft → pending: a draft is published (the gateway checked it against the platforms'
/// rules first), now or at `scheduled_at`.
pub async fn publish_draft(
    ctx: &Ctx,
    post_id: PostId,
    scheduled_at: Option<DateTime<Utc>>,
) -> Result<CommandReplyV1, StoreError> {
    let mut conn = ctx.pool.get().await?;
    let answer = conn
        .transaction::<CommandReplyV1, StoreError, _>(async |conn| {
            // A draft in an active review stage is not published around its review (the
            // gateway checked; this holds against a step that landed meanwhile).
            if let Some(held) =
                posts::lock(conn, post_id).await?.and_then(|p| p.review).filter(|r| r.holds_publishing())
            {
                return Ok(CommandReplyV1::Conflict {
                    detail: format!(
                        "The post is in review ({}); it is published once review approves it.",
                        held.as_str()
                    ),
                });
            }
            let Some(post) = post_status::publish_draft(conn, post_id, scheduled_at).await? else {
                return Ok(match posts::status_of(conn, post_id).await? {
                    None => CommandReplyV1::NotFound,
                    Some((status, _)) => CommandReplyV1::Conflict {
                        detail: format!("Only drafts can be published; this post is {status}."),
                    },
                });
            };
            let workspace_id = post.workspace_id;
            enqueue_event(conn, &ctx.names, &PostAcceptedV1 { post_id, workspace_id }).await?;
            publish_log::append(conn, &NewLogEntry::post(workspace_id, post_id, "post.accepted")).await?;
            Ok(CommandReplyV1::Done)
        })
        .await?;
    ctx.relay_wake.notify_one();
    Ok(answer)
}

/// pending → scheduled, once: a redelivered `post.accepted` finds the post already moved.
/// One statement moves it, logs it and enqueues `post.scheduled`, with the moves other
/// messages asked for at the same moment (`gather`).
pub async fn schedule(ctx: &Ctx, post_id: PostId) -> Result<(), String> {
    // The message's `scheduled_at` is filled in from the row by the statement.
    let event = event_row(&ctx.names, &PostScheduledV1 { post_id, scheduled_at: None, media_pending: None })
        .map_err(|e| e.to_string())?;
    ctx.schedules.apply(Move { post_id, event }).await
}

/// scheduled → completed when the last delivery settled, whatever the outcomes; one
/// statement, as `schedule` (this runs for every settled delivery).
pub async fn complete(ctx: &Ctx, post_id: PostId) -> Result<(), String> {
    let event = event_row(&ctx.names, &PostCompletedV1 { post_id, media_pending: None }).map_err(|e| e.to_string())?;
    ctx.completions.apply(Move { post_id, event }).await
}

/// scheduled → canceled, while nothing was dispatched.
pub async fn cancel(ctx: &Ctx, post_id: PostId) -> Result<CommandReplyV1, StoreError> {
    let mut conn = ctx.pool.get().await?;
    let answer = conn
        .transaction::<CommandReplyV1, StoreError, _>(async |conn| {
            let Some(post) = post_status::cancel(conn, post_id).await? else {
                return refusal(conn, post_id, "canceled").await;
            };
            publish_log::append(conn, &NewLogEntry::post(post.workspace_id, post_id, "post.canceled")).await?;
            enqueue_event(conn, &ctx.names, &PostCanceledV1 { post_id }).await?;
            Ok(CommandReplyV1::Done)
        })
        .await?;
    ctx.relay_wake.notify_one();
    Ok(answer)
}

/// completed → scheduled for a manual retry of one failed delivery: the post reopens
/// until that delivery settles again, and the delivery goes out as a new round of
/// attempts. Taking the delivery itself back to pending is its worker's transition
/// (`reopen` on the message); the Publishing Log records the request. Refused while
/// its profile cannot publish.
pub async fn reopen_for_retry(
    ctx: &Ctx,
    post_id: PostId,
    delivery_id: DeliveryId,
) -> Result<CommandReplyV1, StoreError> {
    let mut conn = ctx.pool.get().await?;
    let answer = conn
        .transaction::<CommandReplyV1, StoreError, _>(async |conn| {
            let Some((status, profile_status, profile_name)) =
                deliveries::status_with_profile(conn, post_id, delivery_id).await?
            else {
                return Ok(CommandReplyV1::NotFound);
            };
            if status != DeliveryStatus::Failed {
                return Ok(CommandReplyV1::Conflict {
                    detail: format!("Only failed deliveries can be retried; this one is {status}."),
                });
            }
            if profile_status != ProfileStatus::Active {
                return Ok(CommandReplyV1::Conflict {
                    detail: format!(
                        "The profile \u{201c}{profile_name}\u{201d} is {}; reconnect it before retrying.",
                        profile_status.as_str().replace('_', " ")
                    ),
                });
            }
            let Some(d) = deliveries::retry_target(conn, delivery_id).await? else {
                return Ok(CommandReplyV1::NotFound);
            };
            post_status::reopen(conn, post_id).await?;
            publish_log::append(
                conn,
                &NewLogEntry {
                    workspace_id: d.workspace_id,
                    post_id,
                    delivery_id: Some(delivery_id),
                    profile_id: Some(d.profile_id),
                    provider: Some(d.provider),
                    kind: "delivery.manual_retry".into(),
                    message: Some(format!("manual retry, from attempt {}", d.next_attempt)),
                    url: None,
                },
            )
            .await?;
            let task = DeliveryRequestedV1::retry_of_failed(delivery_id, post_id, d.provider, d.next_attempt);
            enqueue_delivery(conn, &ctx.names, &task, When::Now).await?;
            Ok(CommandReplyV1::Done)
        })
        .await?;
    ctx.relay_wake.notify_one();
    Ok(answer)
}
