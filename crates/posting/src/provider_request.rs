//! The one builder of what an adapter receives for a delivery: the dry run previews it
//! and the delivery worker sends it, so the two cannot drift apart.

use domain::Provider;
use domain::{DeliveryId, WorkspaceId};
use providers::{Account, MediaItem, PartKind, PartOf, PublishRequest, Published, recover::Recovery};
use serde_json::{Map, Value};
use store::{StoreResult, models::AssetRow};
use uuid::Uuid;

/// An owned asset as the adapter fetches it: from the gateway's `/media/{id}`.
pub fn media_item(media_base_url: &str, asset: &AssetRow, alt: Option<String>) -> MediaItem {
    MediaItem {
        url: format!("{}/media/{}", media_base_url.trim_end_matches('/'), asset.id),
        content_type: asset.content_type.clone(),
        alt,
        size_bytes: u64::try_from(asset.size_bytes).unwrap_or_default(),
    }
}

/// The text a stored post sends to `provider`: its own body there, and its hashtags.
pub fn text(post: &store::models::PostRow, provider: Provider) -> Option<String> {
    let bodies = domain::input::PostDetails::bodies_from(&post.bodies);
    domain::platforms::Texts { body: post.body.as_deref(), bodies: &bodies, hashtags: &post.hashtags, thread: &[] }
        .for_provider(provider)
}

/// What a post is made of for one delivery, before the cover is looked up.
pub struct Parts<'a> {
    pub delivery_id: DeliveryId,
    pub provider: Provider,
    pub workspace_id: WorkspaceId,
    pub account: Account,
    pub text: Option<String>,
    pub media: Vec<MediaItem>,
    /// The post's options for every provider; this delivery takes its own.
    pub all_options: &'a Map<String, Value>,
    /// The profile's `platform_meta`: its `options` fill what the post leaves out.
    pub profile_meta: &'a Value,
    pub recovery: Option<Recovery>,
}

/// The request for one delivery. A cover named in the options is used only when it is
/// an asset of the post's workspace: another tenant's id is never fetched.
pub async fn build(conn: &mut store::Conn, media_base_url: &str, parts: Parts<'_>) -> StoreResult<PublishRequest> {
    let all = domain::platforms::with_profile_options(parts.all_options, parts.provider, parts.profile_meta);
    let options = all.get(parts.provider.as_str()).cloned().unwrap_or(Value::Object(Map::new()));
    let cover_id = options.pointer("/cover/asset_id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok());
    let cover = match cover_id {
        Some(id) => {
            store::media::asset_in(conn, parts.workspace_id, id).await?.map(|a| media_item(media_base_url, &a, None))
        }
        None => None,
    };
    Ok(PublishRequest {
        delivery_id: parts.delivery_id,
        provider: parts.provider,
        account: parts.account,
        text: parts.text,
        media: parts.media,
        options,
        cover,
        recovery: parts.recovery,
        part: None,
    })
}

/// One part a delivery sends after its post.
#[derive(Debug, Clone)]
pub struct LaterPart {
    pub kind: PartKind,
    pub text: String,
    /// The part's own media (a thread's part; a comment has none).
    pub media: Vec<MediaItem>,
}

/// What a delivery sends after its post, in order: a thread's next parts with their media
/// (where the platform has threads) and then its first comment (where it takes one).
/// `options` are the delivery's own provider options.
pub fn later_parts(provider: Provider, thread: &[String], media: &[Vec<MediaItem>], options: &Value) -> Vec<LaterPart> {
    let caps = domain::platforms::get(provider).capabilities;
    let mut parts: Vec<LaterPart> = Vec::new();
    if caps.threads {
        parts.extend(thread.iter().enumerate().map(|(i, t)| LaterPart {
            kind: PartKind::Reply,
            text: t.clone(),
            media: media.get(i).cloned().unwrap_or_default(),
        }));
    }
    if caps.first_comment
        && let Some(c) = options.get("first_comment").and_then(Value::as_str).filter(|c| !c.trim().is_empty())
    {
        parts.push(LaterPart { kind: PartKind::Comment, text: c.to_owned(), media: Vec::new() });
    }
    parts
}

/// The request for part `index` (1 onwards) of a delivery whose post request is `post`:
/// the part's own text and media (no cover), answering `parent` (a comment: the post).
pub fn part_request(
    post: &PublishRequest,
    index: u16,
    part: &LaterPart,
    root: &Published,
    parent: &Published,
) -> PublishRequest {
    let parent = match part.kind {
        PartKind::Comment => root.clone(),
        PartKind::Reply | PartKind::Answer => parent.clone(),
    };
    PublishRequest {
        text: Some(part.text.clone()),
        media: part.media.clone(),
        cover: None,
        recovery: None,
        part: Some(PartOf { index, kind: part.kind, root: root.clone(), parent }),
        ..post.clone()
    }
}

/// A reply from the inbox: the post request made the answer to the item (`parent`), in the
/// conversation of `root` (the item itself when the platform names no other). Its own
/// part number keeps the platforms' per-request keys apart from any post's.
pub fn answering(mut req: PublishRequest, to: &domain::inbox::ReplyTo) -> PublishRequest {
    let url = to.item_url.clone().unwrap_or_default();
    let item = Published::new(to.platform_item_id.clone(), url.clone());
    let root = match &to.root_platform_id {
        Some(r) => Published::new(r.clone(), url),
        None => item.clone(),
    };
    req.part = Some(PartOf { index: 1, kind: PartKind::Answer, root, parent: item });
    req
}
