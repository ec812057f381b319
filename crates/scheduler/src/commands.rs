//! Commands the gateway sends because only the scheduler may change post status or
//! touch a scheduled post's time gate.

use bus::{
    Handled, Incoming,
    relay::{When, enqueue_delivery, enqueue_event},
};
use diesel_async::AsyncConnection;
use domain::messages::{CommandReplyV1, DeliveryRequestedV1, PostCanceledV1, SchedulerCommandV1};
use serde_json::Value;
use store::{StoreError, deliveries, models::NewLogEntry, posts, publish_log};
use uuid::Uuid;

use crate::app::Ctx;

pub async fn handle(ctx: &Ctx, m: Incoming) -> Handled {
    let cmd = match m.decode::<SchedulerCommandV1>() {
        Ok(c) => c,
        Err(e) => return Handled::Poison(e.to_string()),
    };
    let outcome = match cmd {
        SchedulerCommandV1::Cancel { post_id } => cancel(ctx, post_id).await,
        SchedulerCommandV1::RetryDelivery { post_id, delivery_id } => retry(ctx, post_id, delivery_id).await,
        SchedulerCommandV1::UpdateScheduled { post_id, body, scheduled_at, provider_options, media } => {
            update(ctx, post_id, body, scheduled_at, provider_options, media).await
        }
    };
    let answer = match outcome {
        Ok(a) => a,
        Err(e) => return Handled::Retry(e.to_string()),
    };
    bus::reply_then_ack(&ctx.bus, &m, &answer).await
}

/// Why a post cannot be canceled or edited now, in the caller's words.
async fn refusal(conn: &mut store::Conn, post_id: Uuid, action: &str) -> Result<CommandReplyV1, StoreError> {
    Ok(match posts::status_of(conn, post_id).await? {
        None => CommandReplyV1::NotFound,
        Some((status, dispatched)) => CommandReplyV1::Conflict {
            detail: match (status.as_str(), dispatched) {
                ("scheduled", Some(_)) => format!("Delivery has already started; the post can no longer be {action}."),
                ("pending", _) => format!("The post is still pending; it can be {action} once it is scheduled."),
                (s, _) => {
                    format!("Only scheduled posts whose deliveries have not started can be {action}; this post is {s}.")
                }
            },
        },
    })
}

async fn cancel(ctx: &Ctx, post_id: Uuid) -> Result<CommandReplyV1, StoreError> {
    let mut conn = ctx.pool.get().await?;
    let answer = conn
        .transaction::<CommandReplyV1, StoreError, _>(async |conn| {
            let Some(post) = posts::cancel(conn, post_id).await? else {
                return refusal(conn, post_id, "canceled").await;
            };
            publish_log::append(
                conn,
                &NewLogEntry {
                    workspace_id: post.workspace_id,
                    post_id,
                    delivery_id: None,
                    profile_id: None,
                    provider: None,
                    kind: "post.canceled".into(),
                    message: None,
                    url: None,
                },
            )
            .await?;
            enqueue_event(conn, &ctx.names, &PostCanceledV1 { post_id }).await?;
            Ok(CommandReplyV1::Done)
        })
        .await?;
    ctx.relay_wake.notify_one();
    Ok(answer)
}

async fn update(
    ctx: &Ctx,
    post_id: Uuid,
    body: Option<Option<String>>,
    scheduled_at: Option<Option<chrono::DateTime<chrono::Utc>>>,
    provider_options: Option<serde_json::Map<String, Value>>,
    media: Option<Vec<domain::messages::MediaRefV1>>,
) -> Result<CommandReplyV1, StoreError> {
    let mut conn = ctx.pool.get().await?;
    let options = provider_options.map(Value::Object);
    let answer = conn
        .transaction::<CommandReplyV1, StoreError, _>(async |conn| {
            let edit = posts::Edit {
                body: body.as_ref().map(|b| b.as_deref()),
                scheduled_at,
                provider_options: options.as_ref(),
            };
            if !posts::edit(conn, post_id, "scheduled", edit).await? {
                return refusal(conn, post_id, "edited").await;
            }
            if let Some(media) = &media {
                let refs: Vec<_> = media.iter().map(|m| (m.asset_id, m.alt.clone())).collect();
                posts::replace_media(conn, post_id, &refs).await?;
                // The post is scheduled, so its new media are ready at once.
                store::media::mark_processed(conn, post_id).await?;
            }
            Ok(CommandReplyV1::Done)
        })
        .await?;
    // The new time may be sooner than what the dispatcher sleeps towards.
    ctx.dispatch_wake.notify_one();
    Ok(answer)
}

/// A manual retry: the failed delivery goes through the same workflow again (a new round
/// of attempts through the delivery queue), its post reopens until it settles, and the
/// Publishing Log records who asked. Refused while its profile cannot publish.
async fn retry(ctx: &Ctx, post_id: Uuid, delivery_id: Uuid) -> Result<CommandReplyV1, StoreError> {
    let mut conn = ctx.pool.get().await?;
    let answer = conn
        .transaction::<CommandReplyV1, StoreError, _>(async |conn| {
            let Some((status, profile_status, profile_name)) =
                deliveries::status_with_profile(conn, post_id, delivery_id).await?
            else {
                return Ok(CommandReplyV1::NotFound);
            };
            if status != "failed" {
                return Ok(CommandReplyV1::Conflict {
                    detail: format!("Only failed deliveries can be retried; this one is {status}."),
                });
            }
            if profile_status != "active" {
                return Ok(CommandReplyV1::Conflict {
                    detail: format!(
                        "The profile \u{201c}{profile_name}\u{201d} is {}; reconnect it before retrying.",
                        profile_status.replace('_', " ")
                    ),
                });
            }
            let Some(d) = deliveries::reopen_failed(conn, post_id, delivery_id).await? else {
                return Ok(CommandReplyV1::Conflict {
                    detail: "The delivery changed while it was being retried.".into(),
                });
            };
            let provider = d.provider.parse().map_err(|e: domain::provider::UnknownProvider| {
                StoreError::Db(diesel::result::Error::DeserializationError(Box::new(e)))
            })?;
            publish_log::append(
                conn,
                &NewLogEntry {
                    workspace_id: d.workspace_id,
                    post_id,
                    delivery_id: Some(delivery_id),
                    profile_id: Some(d.profile_id),
                    provider: Some(d.provider.clone()),
                    kind: "delivery.manual_retry".into(),
                    message: Some(format!("manual retry, from attempt {}", d.next_attempt)),
                    url: None,
                },
            )
            .await?;
            let task = DeliveryRequestedV1::first(delivery_id, post_id, provider, d.next_attempt);
            enqueue_delivery(conn, &ctx.names, &task, When::Now).await?;
            Ok(CommandReplyV1::Done)
        })
        .await?;
    ctx.relay_wake.notify_one();
    Ok(answer)
}
