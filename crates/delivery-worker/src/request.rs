//! What an adapter receives for one delivery: the account, the owned media and cover as
//! URLs on the gateway, the post's options for that provider.

use domain::messages::DeliveryRequestedV1;
use providers::{Account, MediaItem, PublishRequest};
use serde_json::Value;
use store::{StoreError, deliveries::Task, posts};
use uuid::Uuid;

use crate::app::Ctx;

pub async fn build(
    ctx: &Ctx,
    conn: &mut store::Conn,
    t: &DeliveryRequestedV1,
    task: &Task,
    recovery: Option<providers::recover::Recovery>,
) -> Result<PublishRequest, StoreError> {
    let media_url = |id: Uuid| format!("{}/media/{id}", ctx.config.media_base_url.trim_end_matches('/'));
    let media = posts::view(conn, task.post.id).await?.map(|v| v.media).unwrap_or_default();
    let options =
        task.post.provider_options.get(t.provider.as_str()).cloned().unwrap_or(Value::Object(Default::default()));
    let cover_id = options.pointer("/cover/asset_id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok());
    let cover = match cover_id {
        // Only this workspace's asset: a cover id from another tenant is never fetched.
        Some(id) => store::media::asset_in(conn, task.post.workspace_id, id).await?.map(|a| MediaItem {
            url: media_url(a.id),
            content_type: a.content_type,
            alt: None,
            size_bytes: a.size_bytes as u64,
        }),
        None => None,
    };
    Ok(PublishRequest {
        delivery_id: t.delivery_id,
        provider: t.provider,
        account: Account {
            external_id: task.profile.external_id.clone(),
            username: task.profile.username.clone(),
            access_token: crate::tokens::access_token(ctx, &task.profile),
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
        recovery,
    })
}
