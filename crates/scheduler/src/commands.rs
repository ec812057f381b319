//! Commands the gateway sends because only the scheduler may change post status or
//! touch a scheduled post's time gate. The status changes themselves are in
//! `transitions`; an edit of a scheduled post (same status) is here.

use bus::{Handled, Incoming, relay::enqueue_event};
use diesel_async::AsyncConnection;
use domain::PostId;
use domain::{
    PostStatus,
    messages::{CommandReplyV1, PostScheduledV1, SchedulerCommandV1},
};
use serde_json::Value;
use store::{StoreError, posts};

use crate::{app::Ctx, transitions};

pub async fn handle(ctx: &Ctx, m: Incoming) -> Handled {
    let cmd = match m.decode::<SchedulerCommandV1>() {
        Ok(c) => c,
        Err(e) => return Handled::Poison(e.to_string()),
    };
    let outcome = match cmd {
        SchedulerCommandV1::Cancel { post_id } => transitions::cancel(ctx, post_id).await,
        SchedulerCommandV1::PublishDraft { post_id, scheduled_at } => {
            transitions::publish_draft(ctx, post_id, scheduled_at).await
        }
        SchedulerCommandV1::Review { post_id, action, expected, reason, actor, version } => {
            let step = crate::review::Step { action, expected, reason, actor, version };
            crate::review::apply(ctx, post_id, step).await
        }
        SchedulerCommandV1::Edited { post_id, version } => crate::review::edited(ctx, post_id, version).await,
        SchedulerCommandV1::ScheduleCampaign { slots, actor } => crate::campaigns::schedule(ctx, slots, actor).await,
        SchedulerCommandV1::Reschedule { moves } => crate::campaigns::reschedule(ctx, moves).await,
        SchedulerCommandV1::RetryDelivery { post_id, delivery_id } => {
            transitions::reopen_for_retry(ctx, post_id, delivery_id).await
        }
        SchedulerCommandV1::UpdateScheduled { post_id, body, scheduled_at, provider_options, media, details } => {
            update(ctx, post_id, body, scheduled_at, provider_options, media, *details).await
        }
    };
    let answer = match outcome {
        Ok(a) => a,
        Err(e) => return Handled::Retry(e.to_string()),
    };
    bus::reply_then_ack(&ctx.bus, &m, &answer).await
}

async fn update(
    ctx: &Ctx,
    post_id: PostId,
    body: Option<Option<String>>,
    scheduled_at: Option<Option<chrono::DateTime<chrono::Utc>>>,
    provider_options: Option<serde_json::Map<String, Value>>,
    media: Option<Vec<domain::messages::MediaRefV1>>,
    details: domain::messages::DetailsPatchV1,
) -> Result<CommandReplyV1, StoreError> {
    let mut conn = ctx.pool.get().await?;
    let options = provider_options.map(Value::Object);
    let bodies = details.bodies.map(Value::Object);
    let thread = details.thread.as_deref().map(domain::input::PostDetails::thread_json);
    let answer = conn
        .transaction::<CommandReplyV1, StoreError, _>(async |conn| {
            let edit = posts::Edit {
                body: body.as_ref().map(|b| b.as_deref()),
                scheduled_at,
                provider_options: options.as_ref(),
                hashtags: details.hashtags.as_deref(),
                bodies: bodies.as_ref(),
                labels: details.labels.as_deref(),
                tags: details.tags.as_deref(),
                category: details.category.as_ref().map(|c| c.as_deref()),
                thread: thread.as_ref(),
            };
            if !posts::edit(conn, post_id, PostStatus::Scheduled, edit).await? {
                return transitions::refusal(conn, post_id, "edited").await;
            }
            if let Some(parts) = &details.thread_media {
                let refs: Vec<Vec<_>> =
                    parts.iter().map(|p| p.iter().map(|m| (m.asset_id, m.alt.clone())).collect()).collect();
                posts::replace_thread_media(conn, post_id, &refs).await?;
            }
            if media.is_some() || details.thread_media.as_ref().is_some_and(|p| p.iter().any(|m| !m.is_empty())) {
                if let Some(media) = &media {
                    let refs: Vec<_> = media.iter().map(|m| (m.asset_id, m.alt.clone())).collect();
                    posts::replace_media(conn, post_id, &refs).await?;
                }
                // The post is scheduled, so its new media are ready: media-ingest (their
                // owner) prepares them on this event, as it did for the first ones.
                let scheduled_at = posts::view(conn, post_id).await?.and_then(|v| v.post.scheduled_at);
                enqueue_event(conn, &ctx.names, &PostScheduledV1 { post_id, scheduled_at, media_pending: None })
                    .await?;
            }
            Ok(CommandReplyV1::Done)
        })
        .await?;
    // The new time may be sooner than what the dispatcher sleeps towards.
    ctx.dispatch_wake.notify_one();
    ctx.relay_wake.notify_one();
    Ok(answer)
}
