//! Commands the gateway sends because only the scheduler may change post status or
//! touch a scheduled post's time gate.

use bus::{Handled, Incoming, relay::enqueue_event};
use diesel_async::AsyncConnection;
use domain::messages::{CommandReplyV1, PostCanceledV1, SchedulerCommandV1};
use serde_json::Value;
use store::{StoreError, models::NewLogEntry, posts, publish_log};
use uuid::Uuid;

use crate::app::Ctx;

pub async fn handle(ctx: &Ctx, m: Incoming) -> Handled {
    let cmd = match m.decode::<SchedulerCommandV1>() {
        Ok(c) => c,
        Err(e) => return Handled::Poison(e.to_string()),
    };
    let outcome = match cmd {
        SchedulerCommandV1::Cancel { post_id } => cancel(ctx, post_id).await,
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
