//! What an adapter receives for one delivery, built by the one builder the dry run
//! previews with (`posting::provider_request`).

use domain::messages::DeliveryRequestedV1;
use posting::provider_request::{self, LaterPart, Parts};
use providers::{Account, PublishRequest};
use store::{StoreError, deliveries::Task, posts};

use crate::app::Ctx;

pub async fn build(
    ctx: &Ctx,
    conn: &mut store::Conn,
    t: &DeliveryRequestedV1,
    task: &Task,
    recovery: Option<providers::recover::Recovery>,
) -> Result<(PublishRequest, Vec<LaterPart>), StoreError> {
    let base = &ctx.config.media_base_url;
    let all_media = if task.has_media { posts::media_rows(conn, task.post.id).await? } else { Vec::new() };
    let media: Vec<_> = all_media.iter().filter(|(m, _)| m.part == 0).collect();
    let thread = domain::input::PostDetails::thread_from(&task.post.thread);
    let thread_media: Vec<Vec<providers::MediaItem>> = (1..=thread.len())
        .map(|n| {
            all_media
                .iter()
                .filter(|(m, _)| usize::try_from(m.part) == Ok(n))
                .map(|(m, a)| provider_request::media_item(base, a, m.alt.clone()))
                .collect()
        })
        .collect();
    let no_options = serde_json::Map::new();
    let parts = Parts {
        delivery_id: t.delivery_id,
        provider: t.provider,
        workspace_id: task.post.workspace_id,
        account: Account {
            external_id: task.profile.external_id.clone(),
            username: task.profile.username.clone(),
            access_token: credentials::access_token(&ctx.tokens.secrets, &task.profile),
        },
        text: provider_request::text(&task.post, t.provider),
        media: media.iter().map(|(m, a)| provider_request::media_item(base, a, m.alt.clone())).collect(),
        all_options: task.post.provider_options.as_object().unwrap_or(&no_options),
        profile_meta: &task.profile.platform_meta,
        recovery,
    };
    let req = provider_request::build(conn, base, parts).await?;
    // A reply from the inbox is one request answering the item; it has no later parts.
    if let Some(to) = &task.reply {
        return Ok((provider_request::answering(req, to), Vec::new()));
    }
    let later = provider_request::later_parts(t.provider, &thread, &thread_media, &req.options);
    Ok((req, later))
}
