//! Bluesky (AT Protocol): `com.atproto.repo.uploadBlob` per image, then
//! `com.atproto.repo.createRecord` of an `app.bsky.feed.post` with link facets (UTF-8 byte
//! offsets) and an images embed. The record key is a hash of the whole delivery id, so a
//! repeated attempt cannot create a second post: the PDS refuses the existing key. That
//! refusal counts as our earlier post only once the record is read back with our text.
//! A thread's next part is a record with `reply {root, parent}` (strong refs: URI and CID,
//! read back from the PDS) under a key of the delivery id and the part's number.

use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::{is_video, part, text};
use crate::http::{Cx, field};
use crate::{FindResult, Lookup, ProviderError, Publish, PublishRequest, PublishResult, Published, Thread};
use domain::inbox::ItemKind;

#[derive(Clone, Copy)]
pub struct Bluesky;

/// Link facets for every http(s) URL in the text, with UTF-8 byte ranges.
pub fn link_facets(text: &str) -> Vec<Value> {
    let mut facets = Vec::new();
    let mut offset = 0;
    for word in text.split_inclusive(char::is_whitespace) {
        let trimmed = word.trim_end();
        if trimmed.starts_with("https://") || trimmed.starts_with("http://") {
            facets.push(json!({
                "index": {"byteStart": offset, "byteEnd": offset + trimmed.len()},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": trimmed}],
            }));
        }
        offset += word.len();
    }
    facets
}

/// A record key (TID-shaped base32) from a SHA-256 of the whole delivery id: the same
/// delivery, the same key; two deliveries (even made in the same millisecond, whose
/// UUIDv7 share their first 64 bits) never share one.
/// Part 0 (the post) has the key of the delivery alone; each later part its own.
fn part_rkey(delivery_id: &domain::DeliveryId, part: u16) -> String {
    use sha2::Digest;
    const ALPHABET: &[u8] = b"234567abcdefghijklmnopqrstuvwxyz";
    let mut hasher = sha2::Sha256::new();
    hasher.update(delivery_id.0.as_bytes());
    if part > 0 {
        hasher.update(part.to_be_bytes());
    }
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // A TID's top bit is zero: 63 bits, 13 characters.
    let mut n = u64::from_be_bytes(first) >> 1;
    let mut out = [0u8; 13];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n & 31) as usize];
        n >>= 5;
    }
    out.iter().map(|b| *b as char).collect()
}

/// Our record, read back by its key: `Some` only when it holds this delivery's text.
async fn read_back(cx: &Cx, req: &PublishRequest, did: &str, key: &str) -> FindResult {
    let path = format!("/xrpc/com.atproto.repo.getRecord?repo={did}&collection=app.bsky.feed.post&rkey={key}");
    let found = match cx.send(cx.get(&path)).await {
        Ok(found) => found,
        Err(ProviderError::Rejected(m)) if m.contains("not found") || m.contains("RecordNotFound") => return Ok(None),
        Err(e) => return Err(e),
    };
    let stored = found.body.pointer("/value/text").and_then(serde_json::Value::as_str).unwrap_or("");
    if stored != text(req) {
        return Err(ProviderError::Rejected(format!(
            "Bluesky already holds a different record under this delivery's key {key}; not taking it as ours"
        )));
    }
    let handle = req.account.username.clone().unwrap_or_else(|| did.to_owned());
    Ok(Some(Published::recovered(
        format!("at://{did}/app.bsky.feed.post/{key}"),
        format!("https://bsky.app/profile/{handle}/post/{key}"),
    )))
}

/// The key this request's record goes under.
fn key_of(req: &PublishRequest) -> String {
    part_rkey(&req.delivery_id, req.part.as_ref().map_or(0, |p| p.index))
}

/// A strong reference (URI and CID) to a record of ours, read back from the PDS.
async fn strong_ref(cx: &Cx, uri: &str) -> Result<Value, ProviderError> {
    let rest = uri.strip_prefix("at://").unwrap_or(uri);
    let mut it = rest.splitn(3, '/');
    let (repo, collection, key) = (it.next().unwrap_or(""), it.next().unwrap_or(""), it.next().unwrap_or(""));
    let path = format!("/xrpc/com.atproto.repo.getRecord?repo={repo}&collection={collection}&rkey={key}");
    let found = cx.send(cx.get(&path)).await?;
    let cid = field(cx, &found.body, "/cid")?;
    Ok(json!({"uri": uri, "cid": cid}))
}

impl Thread for Bluesky {
    fn publish_part<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            let p = part(req)?;
            let root = strong_ref(cx, &p.root.provider_post_id).await?;
            let parent =
                if p.parent == p.root { root.clone() } else { strong_ref(cx, &p.parent.provider_post_id).await? };
            create(cx, req, Some(json!({"root": root, "parent": parent}))).await
        })
    }

    fn find_part<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        self.find(cx, req)
    }
}

impl Publish for Bluesky {
    fn publish<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(create(cx, req, None))
    }
}

async fn create(cx: &Cx, req: &PublishRequest, reply: Option<Value>) -> PublishResult {
    let did = format!("did:plc:{}", req.account.external_id);
    let handle = req.account.username.clone().unwrap_or_else(|| did.clone());
    let key = key_of(req);
    let url = format!("https://bsky.app/profile/{handle}/post/{key}");
    let mut images = Vec::new();
    for m in req.media.iter().filter(|m| !is_video(m)) {
        let blob = cx
            .send(
                cx.post("/xrpc/com.atproto.repo.uploadBlob")
                    .header("Content-Type", &m.content_type)
                    .body(cx.media_body(m).await?),
            )
            .await?;
        let blob = blob.body.get("blob").cloned().ok_or_else(|| cx.unexpected("blob"))?;
        images.push(json!({"alt": m.alt.clone().unwrap_or_default(), "image": blob}));
    }
    let mut record = json!({
        "$type": "app.bsky.feed.post",
        "text": text(req),
        "createdAt": chrono_now(),
    });
    let facets = link_facets(text(req));
    if !facets.is_empty() {
        record["facets"] = json!(facets);
    }
    if !images.is_empty() {
        record["embed"] = json!({"$type": "app.bsky.embed.images", "images": images});
    }
    if let Some(reply) = reply {
        record["reply"] = reply;
    }
    let body = json!({"repo": did, "collection": "app.bsky.feed.post", "rkey": key, "record": record});
    match cx.send(cx.post("/xrpc/com.atproto.repo.createRecord").json(&body)).await {
        Ok(made) => {
            let uri = field(cx, &made.body, "/uri")?;
            Ok(Published::new(uri, url))
        }
        // The key exists: an earlier attempt of this delivery posted, if the record
        // holds our text.
        Err(ProviderError::Rejected(m)) if m.contains("already exists") => read_back(cx, req, &did, &key)
            .await?
            .ok_or_else(|| ProviderError::Retryable("Bluesky said the record exists but could not show it".into())),
        Err(e) => Err(e),
    }
}

impl Lookup for Bluesky {
    fn find<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(async move {
            let did = format!("did:plc:{}", req.account.external_id);
            read_back(cx, req, &did, &key_of(req)).await
        })
    }
}

fn chrono_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `app.bsky.feed.getPosts`: likes, reposts and quotes, replies.
pub(super) const BLUESKY_FIGURES: &[(&str, &str)] =
    &[("likes", "likeCount"), ("shares", "repostCount"), ("shares", "quoteCount"), ("comments", "replyCount")];

/// The account's figures (`followers`, `posts`), by the platform's own field names.
const BLUESKY_ACCOUNT: &[(&str, &str)] = &[("followers", "followersCount"), ("posts", "postsCount")];

impl crate::Metrics for Bluesky {
    fn metrics<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
        post: &'a Published,
    ) -> BoxFuture<'a, Result<domain::metrics::Snapshot, ProviderError>> {
        Box::pin(async move {
            let uri: String = url::form_urlencoded::byte_serialize(post.provider_post_id.as_bytes()).collect();
            super::get_figures(cx, &format!("/xrpc/app.bsky.feed.getPosts?uris={uri}"), "/posts/0", BLUESKY_FIGURES)
                .await
        })
    }

    fn account<'a>(
        &'a self,
        cx: &'a Cx,
        account: &'a crate::Account,
    ) -> BoxFuture<'a, Result<domain::metrics::AccountSnapshot, crate::ProviderError>> {
        Box::pin(async move {
            let did = format!("did:plc:{}", account.external_id);
            let actor: String = url::form_urlencoded::byte_serialize(did.as_bytes()).collect();
            super::get_account(cx, &format!("/xrpc/app.bsky.actor.getProfile?actor={actor}"), "", BLUESKY_ACCOUNT).await
        })
    }
}

/// Answering an item is a post replying to it (`reply {root, parent}`: the item, and the
/// root of its conversation), under the delivery's own record key.
impl crate::Reply for Bluesky {
    fn reply<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        self.publish_part(cx, req)
    }

    fn find_reply<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        self.find(cx, req)
    }
}

/// The inbox: `app.bsky.notification.listNotifications`, newest first, read back to the
/// newest one already seen: replies (comments), mentions and quotes, likes, reposts and
/// follows. Bluesky's messages live in another service and are not read.
impl crate::Inbox for Bluesky {
    fn inbox<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
        read: &'a crate::InboxRead,
    ) -> BoxFuture<'a, Result<crate::InboxPage, ProviderError>> {
        Box::pin(async move {
            let got = cx.send(cx.get("/xrpc/app.bsky.notification.listNotifications?limit=50")).await?.body;
            let seen = read.cursors.get("notifications").and_then(Value::as_str).map(str::to_owned);
            let mut page = crate::InboxPage { items: Vec::new(), cursors: read.cursors.clone() };
            let all = got.pointer("/notifications").and_then(Value::as_array).cloned().unwrap_or_default();
            if let Some(newest) = all.first().and_then(|n| n["uri"].as_str()) {
                page.cursors.insert("notifications".into(), json!(newest));
            }
            for n in &all {
                let Some(uri) = n["uri"].as_str().map(str::to_owned) else { continue };
                if seen.as_deref() == Some(uri.as_str()) {
                    break;
                }
                let kind = match n["reason"].as_str().unwrap_or("") {
                    "reply" => ItemKind::Comment,
                    "mention" | "quote" => ItemKind::Mention,
                    "like" => ItemKind::Like,
                    "repost" => ItemKind::Share,
                    "follow" => ItemKind::Follow,
                    _ => continue,
                };
                let handle = n.pointer("/author/handle").and_then(Value::as_str).map(str::to_owned);
                let rkey = uri.rsplit('/').next().unwrap_or("").to_owned();
                let is_post = uri.contains("/app.bsky.feed.post/");
                let parent = n.pointer("/record/reply/parent/uri").and_then(Value::as_str).map(str::to_owned);
                let root = n.pointer("/record/reply/root/uri").and_then(Value::as_str).map(str::to_owned);
                page.items.push(crate::InboxItem {
                    kind,
                    author: crate::Author {
                        name: n.pointer("/author/displayName").and_then(Value::as_str).map(str::to_owned),
                        avatar_url: n.pointer("/author/avatar").and_then(Value::as_str).map(str::to_owned),
                        profile_url: handle.as_ref().map(|h| format!("https://bsky.app/profile/{h}")),
                        username: handle.clone(),
                    },
                    text: n.pointer("/record/text").and_then(Value::as_str).unwrap_or("").to_owned(),
                    at: crate::recover::timestamp(&n["indexedAt"]).unwrap_or_else(chrono::Utc::now),
                    url: match (is_post, &handle) {
                        (true, Some(h)) => Some(format!("https://bsky.app/profile/{h}/post/{rkey}")),
                        _ => None,
                    },
                    about: parent.or_else(|| n["reasonSubject"].as_str().map(str::to_owned)),
                    root,
                    can_reply: is_post,
                    can_hide: false,
                    can_delete: false,
                    id: uri,
                });
            }
            Ok(page)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn facets_use_utf8_byte_offsets() {
        let f = link_facets("héllo https://example.com ok");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0]["index"]["byteStart"], 7);
        assert_eq!(f[0]["index"]["byteEnd"], 26);
        assert_eq!(f[0]["features"][0]["uri"], "https://example.com");
        assert!(link_facets("no links").is_empty());
    }

    #[test]
    fn record_keys_differ_for_ids_made_in_the_same_millisecond() {
        let ts = uuid::Timestamp::from_unix(uuid::NoContext, 1_764_590_400, 0);
        let keys: std::collections::HashSet<String> =
            (0..2000).map(|_| part_rkey(&uuid::Uuid::new_v7(ts).into(), 0)).collect();
        assert_eq!(keys.len(), 2000);
        let id = domain::DeliveryId::new();
        assert_eq!(part_rkey(&id, 0), part_rkey(&id, 0));
        let k = part_rkey(&id, 0);
        assert_eq!(k.len(), 13);
        let parts: std::collections::HashSet<String> = (0..30).map(|i| part_rkey(&id, i)).collect();
        assert_eq!(parts.len(), 30, "every part of a thread has its own key");
        assert!(matches!(k.as_bytes()[0], b'2'..=b'9' | b'a'..=b'j'), "{k}");
    }

    #[test]
    fn created_at_is_rfc3339() {
        let s = chrono_now();
        assert_eq!(s.len(), 24, "{s}");
        assert!(s.ends_with('Z') && s.as_bytes()[10] == b'T');
    }
}
