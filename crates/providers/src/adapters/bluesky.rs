//! Bluesky (AT Protocol): `com.atproto.repo.uploadBlob` per image, then
//! `com.atproto.repo.createRecord` of an `app.bsky.feed.post` with link facets (UTF-8 byte
//! offsets) and an images embed. The record key is derived from the delivery id, so a
//! repeated attempt cannot create a second post: the PDS refuses the existing key.

use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::{is_video, text};
use crate::http::{Cx, field};
use crate::{Adapter, ProviderError, PublishRequest, PublishResult, Published};

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

/// A record key (TID-shaped base32) from the delivery id: the same delivery, the same key.
fn rkey(req: &PublishRequest) -> String {
    const ALPHABET: &[u8] = b"234567abcdefghijklmnopqrstuvwxyz";
    let mut n = u128::from_be_bytes(*req.delivery_id.as_bytes()) >> 63;
    let mut out = Vec::with_capacity(13);
    for _ in 0..13 {
        out.push(ALPHABET[(n & 31) as usize]);
        n >>= 5;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

impl Adapter for Bluesky {
    fn publish<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            let did = format!("did:plc:{}", req.account.external_id);
            let handle = req.account.username.clone().unwrap_or_else(|| did.clone());
            let key = rkey(req);
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
            let body = json!({"repo": did, "collection": "app.bsky.feed.post", "rkey": key, "record": record});
            match cx.send(cx.post("/xrpc/com.atproto.repo.createRecord").json(&body)).await {
                Ok(made) => {
                    let uri = field(cx, &made.body, "/uri")?;
                    Ok(Published::new(uri, url))
                }
                // The key exists: an earlier attempt of this delivery already posted.
                Err(ProviderError::Rejected(m)) if m.contains("already exists") => {
                    Ok(Published::recovered(format!("at://{did}/app.bsky.feed.post/{key}"), url))
                }
                Err(e) => Err(e),
            }
        })
    }
}

fn chrono_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
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
    fn created_at_is_rfc3339() {
        let s = chrono_now();
        assert_eq!(s.len(), 24, "{s}");
        assert!(s.ends_with('Z') && s.as_bytes()[10] == b'T');
    }
}
