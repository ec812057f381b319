use bus::{
    Handled, Incoming,
    relay::{enqueue_delivery, enqueue_event},
};
use diesel_async::AsyncConnection;
use domain::{
    DeliveryStatus, ProfileStatus,
    messages::{DeliveryRequestedV1, DeliverySettledV1},
};
use providers::{Account, MediaItem, ProviderError, PublishRequest, Published};
use serde_json::Value;
use store::{StoreError, deliveries, models::NewLogEntry, posts, publish_log};

use crate::app::Ctx;

pub async fn handle(ctx: &Ctx, m: Incoming) -> Handled {
    let task = match m.decode::<DeliveryRequestedV1>() {
        Ok(t) => t,
        Err(e) => return Handled::Poison(e.to_string()),
    };
    match deliver(ctx, &task).await {
        Ok(()) => Handled::Ack,
        Err(e) => Handled::Retry(e.to_string()),
    }
}

enum Outcome {
    Published(Published),
    Failed(String),
    RetryLater(String),
}

async fn deliver(ctx: &Ctx, t: &DeliveryRequestedV1) -> Result<(), StoreError> {
    let started = std::time::Instant::now();
    let mut provider_ms = 0u128;
    let mut conn = ctx.pool.get().await?;
    let Some(task) = deliveries::load_task(&mut conn, t.delivery_id).await? else {
        return Ok(()); // the post is gone (a deleted draft never has tasks): nothing to do
    };
    // Duplicates and stale tasks end here, before any provider call.
    if task.delivery.status != DeliveryStatus::Pending.as_str()
        || task.post.dispatched_at.is_none()
        || task.post.status != "scheduled"
    {
        tracing::info!(delivery_id = %t.delivery_id, status = %task.delivery.status, "task needs no call");
        return Ok(());
    }
    let profile_status: ProfileStatus = task.profile.status.parse().unwrap_or(ProfileStatus::Disconnected);
    let outcome = if profile_status != ProfileStatus::Active {
        Outcome::Failed(match profile_status {
            ProfileStatus::Disconnected => {
                format!("The profile \u{201c}{}\u{201d} was disconnected before delivery.", task.profile.name)
            }
            _ => format!("The profile \u{201c}{}\u{201d} needs to be reconnected in the dashboard.", task.profile.name),
        })
    } else {
        let fresh = deliveries::begin_attempt(&mut conn, t.delivery_id, t.attempt).await?;
        if !fresh {
            tracing::warn!(delivery_id = %t.delivery_id, attempt = t.attempt, "repeating an attempt whose outcome is unknown");
        }
        let media_url = |id: uuid::Uuid| format!("{}/media/{id}", ctx.config.media_base_url.trim_end_matches('/'));
        let media = posts::view(&mut conn, task.post.id).await?.map(|v| v.media).unwrap_or_default();
        let options =
            task.post.provider_options.get(t.provider.as_str()).cloned().unwrap_or(Value::Object(Default::default()));
        let cover_id =
            options.pointer("/cover/asset_id").and_then(Value::as_str).and_then(|s| uuid::Uuid::parse_str(s).ok());
        let cover = match cover_id {
            Some(id) => store::media::asset(&mut conn, id).await?.map(|a| MediaItem {
                url: media_url(a.id),
                content_type: a.content_type,
                alt: None,
                size_bytes: a.size_bytes as u64,
            }),
            None => None,
        };
        let req = PublishRequest {
            delivery_id: t.delivery_id,
            provider: t.provider,
            account: Account {
                external_id: task.profile.external_id.clone(),
                username: task.profile.username.clone(),
                access_token: task.profile.access_token.clone(),
            },
            text: task.post.body.clone(),
            media: media
                .iter()
                .map(|(m, a)| MediaItem {
                    url: media_url(a.id),
                    content_type: a.content_type.clone(),
                    alt: m.alt.clone(),
                    size_bytes: a.size_bytes as u64,
                })
                .collect(),
            options,
            cover,
            // A retry may follow an attempt that was sent but never answered.
            outcome_unknown: !fresh || t.attempt > 1,
        };
        // No database connection is held across the provider call.
        drop(conn);
        let call = std::time::Instant::now();
        let result = ctx.providers.publish(&req).await;
        provider_ms = call.elapsed().as_millis();
        match result {
            Ok(p) => Outcome::Published(p),
            Err(ProviderError::Rejected(msg)) => Outcome::Failed(msg),
            Err(ProviderError::Unauthorized(msg)) => {
                let mut conn = ctx.pool.get().await?;
                store::profiles::require_reauth(&mut conn, task.profile.id).await?;
                Outcome::Failed(msg)
            }
            Err(e) if t.attempt < ctx.config.max_attempts => Outcome::RetryLater(e.to_string()),
            Err(e) => Outcome::Failed(format!("{e} (gave up after {} attempts)", t.attempt)),
        }
    };
    let outcome_name = match &outcome {
        Outcome::Published(_) => "published",
        Outcome::Failed(_) => "failed",
        Outcome::RetryLater(_) => "retry_later",
    };
    settle(ctx, t, task.post.workspace_id, task.profile.id, outcome).await?;
    tracing::info!(
        delivery_id = %t.delivery_id,
        provider = %t.provider,
        attempt = t.attempt,
        outcome = outcome_name,
        provider_ms,
        total_ms = started.elapsed().as_millis(),
        "delivery handled"
    );
    Ok(())
}

async fn settle(
    ctx: &Ctx,
    t: &DeliveryRequestedV1,
    workspace_id: uuid::Uuid,
    profile_id: uuid::Uuid,
    outcome: Outcome,
) -> Result<(), StoreError> {
    let mut conn = ctx.pool.get().await?;
    conn.transaction::<(), StoreError, _>(async |conn| {
        let log = |kind: &str, message: Option<String>, url: Option<String>| NewLogEntry {
            workspace_id,
            post_id: t.post_id,
            delivery_id: Some(t.delivery_id),
            profile_id: Some(profile_id),
            provider: Some(t.provider.as_str().to_owned()),
            kind: kind.to_owned(),
            message,
            url,
        };
        let settled = match &outcome {
            Outcome::Published(p) => {
                deliveries::finish_attempt(conn, t.delivery_id, t.attempt, "published", Some(&p.provider_post_id))
                    .await?;
                let did = deliveries::settle_published(conn, t.delivery_id, &p.provider_post_id, &p.url).await?;
                if did {
                    publish_log::append(conn, &log("delivery.published", None, Some(p.url.clone()))).await?;
                }
                did.then_some(DeliveryStatus::Published)
            }
            Outcome::Failed(msg) => {
                deliveries::finish_attempt(conn, t.delivery_id, t.attempt, "rejected", Some(msg)).await?;
                let did = deliveries::settle_failed(conn, t.delivery_id, msg).await?;
                if did {
                    publish_log::append(conn, &log("delivery.failed", Some(msg.clone()), None)).await?;
                }
                did.then_some(DeliveryStatus::Failed)
            }
            Outcome::RetryLater(msg) => {
                deliveries::finish_attempt(conn, t.delivery_id, t.attempt, "retryable", Some(msg)).await?;
                let next = DeliveryRequestedV1 { attempt: t.attempt + 1, ..t.clone() };
                enqueue_delivery(conn, &ctx.names, &next, true).await?;
                None
            }
        };
        if let Some(status) = settled {
            enqueue_event(
                conn,
                &ctx.names,
                &DeliverySettledV1 { delivery_id: t.delivery_id, post_id: t.post_id, status },
            )
            .await?;
        }
        Ok(())
    })
    .await?;
    ctx.relay_wake.notify_one();
    Ok(())
}
