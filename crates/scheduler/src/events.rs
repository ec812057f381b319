use bus::{Handled, Incoming, relay::enqueue_event};
use chrono::Utc;
use diesel_async::AsyncConnection;
use domain::messages::{DeliverySettledV1, Message, PostAcceptedV1, PostCompletedV1, PostScheduledV1};
use store::{StoreError, models::NewLogEntry, posts, publish_log};

use crate::app::Ctx;

pub async fn handle(ctx: &Ctx, m: Incoming) -> Handled {
    let result = match m.message_type() {
        PostAcceptedV1::TYPE => match m.decode::<PostAcceptedV1>() {
            Ok(e) => accept(ctx, e).await,
            Err(e) => return Handled::Poison(e.to_string()),
        },
        DeliverySettledV1::TYPE => match m.decode::<DeliverySettledV1>() {
            Ok(e) => settle(ctx, e).await,
            Err(e) => return Handled::Poison(e.to_string()),
        },
        other => return Handled::Poison(format!("unexpected message type `{other}`")),
    };
    match result {
        Ok(()) => Handled::Ack,
        Err(e) => Handled::Retry(e.to_string()),
    }
}

/// pending → scheduled, once: a redelivered event finds the post already moved and does nothing.
async fn accept(ctx: &Ctx, e: PostAcceptedV1) -> Result<(), StoreError> {
    let mut conn = ctx.pool.get().await?;
    let moved = conn
        .transaction::<bool, StoreError, _>(async |conn| {
            let Some(post) = posts::mark_scheduled(conn, e.post_id).await? else { return Ok(false) };
            let waits = post.scheduled_at.is_some_and(|t| t > Utc::now());
            publish_log::append(
                conn,
                &NewLogEntry {
                    workspace_id: post.workspace_id,
                    post_id: post.id,
                    delivery_id: None,
                    profile_id: None,
                    provider: None,
                    // The dashboard wording of the seed: no future time is "Queued".
                    kind: if waits { "post.scheduled" } else { "post.queued" }.into(),
                    message: None,
                    url: None,
                },
            )
            .await?;
            enqueue_event(conn, &ctx.names, &PostScheduledV1 { post_id: post.id, scheduled_at: post.scheduled_at })
                .await?;
            Ok(true)
        })
        .await?;
    if moved {
        ctx.relay_wake.notify_one();
        ctx.dispatch_wake.notify_one();
    }
    Ok(())
}

/// scheduled → completed when the last delivery settled, whatever the outcomes.
async fn settle(ctx: &Ctx, e: DeliverySettledV1) -> Result<(), StoreError> {
    let mut conn = ctx.pool.get().await?;
    let done = conn
        .transaction::<bool, StoreError, _>(async |conn| {
            let Some(post) = posts::complete_if_settled(conn, e.post_id).await? else { return Ok(false) };
            publish_log::append(conn, &NewLogEntry::post(post.workspace_id, post.id, "post.completed")).await?;
            enqueue_event(conn, &ctx.names, &PostCompletedV1 { post_id: post.id }).await?;
            metrics::counter!("postmantis_posts_completed_total").increment(1);
            Ok(true)
        })
        .await?;
    if done {
        ctx.relay_wake.notify_one();
    }
    Ok(())
}
