//! One module per platform, each implementing the capabilities it has; `all()` is the
//! registry.

mod bluesky;
mod dribbble;
mod facebook;
mod instagram;
mod linkedin;
mod mastodon;
mod pinterest;
mod reddit;
mod threads;
mod tiktok;
mod x;
mod youtube;

use std::collections::HashMap;

use domain::Provider;
use serde_json::Value;

use crate::recover::Candidate;
use crate::{Capabilities, Lookup, Publish, PublishRequest};

/// Every platform's capabilities. A platform without a look-up replays a repeated
/// publish by its own idempotency key (Mastodon), so there is nothing to look up.
pub fn all() -> HashMap<Provider, Capabilities> {
    fn both<A: Publish + Lookup + Copy + 'static>(a: A) -> Capabilities {
        Capabilities::publishing(a).with_lookup(a)
    }
    HashMap::from([
        (Provider::X, both(x::X).with_threads(x::X)),
        (Provider::Linkedin, both(linkedin::LinkedIn).with_comments(linkedin::LinkedIn)),
        (Provider::Youtube, both(youtube::YouTube).with_comments(youtube::YouTube)),
        (Provider::Instagram, both(instagram::Instagram).with_comments(instagram::Instagram)),
        (Provider::Tiktok, both(tiktok::TikTok)),
        (Provider::Facebook, both(facebook::Facebook).with_comments(facebook::Facebook)),
        (Provider::Threads, both(threads::Threads).with_threads(threads::Threads)),
        (Provider::Pinterest, both(pinterest::Pinterest)),
        (Provider::Bluesky, both(bluesky::Bluesky).with_threads(bluesky::Bluesky)),
        (Provider::Mastodon, Capabilities::publishing(mastodon::Mastodon).with_threads(mastodon::Mastodon)),
        (Provider::Reddit, both(reddit::Reddit).with_comments(reddit::Reddit)),
        (Provider::Dribbble, both(dribbble::Dribbble)),
    ])
}

/// The part a thread or comment request is for (set by whoever builds a part's request).
fn part(req: &PublishRequest) -> Result<&crate::PartOf, crate::ProviderError> {
    req.part
        .as_ref()
        .ok_or_else(|| crate::ProviderError::Rejected("a part was sent without the post it follows".into()))
}

/// A look-up of a comment or reply: the entries of `list` whose text is ours, made since
/// the first attempt, not another delivery's.
fn find_in(
    req: &PublishRequest,
    body: &Value,
    list: &str,
    each: impl Fn(&Value) -> Option<Candidate>,
) -> crate::FindResult {
    Ok(crate::recover::pick(req, Some(text(req)), None, candidates(body, list, each)))
}

/// A string option, if given.
fn opt<'a>(req: &'a PublishRequest, name: &str) -> Option<&'a str> {
    req.options.get(name).and_then(Value::as_str)
}

/// A flag option (JSON bool, or "true"/"false" from a multipart form).
fn flag(req: &PublishRequest, name: &str) -> Option<bool> {
    match req.options.get(name) {
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) => Some(s == "true"),
        _ => None,
    }
}

/// The entries of a listing answer, as look-up candidates (entries without an id skipped).
fn candidates(body: &Value, list: &str, each: impl Fn(&Value) -> Option<Candidate>) -> Vec<Candidate> {
    body.pointer(list).and_then(Value::as_array).into_iter().flatten().filter_map(each).collect()
}

/// A Graph API look-up (Facebook, Instagram, Threads): `data[]` entries with an `id`, the
/// text under `text_key`, the time under `at_key` (`+0000` offsets), and `link` making an
/// entry's public URL.
async fn graph_find(
    cx: &crate::http::Cx,
    req: &PublishRequest,
    path: &str,
    text_key: &str,
    at_key: &str,
    link: fn(&Value) -> Option<String>,
) -> crate::FindResult {
    let listed = cx.send(cx.get(path)).await?;
    let found = candidates(&listed.body, "/data", |m| {
        Some(Candidate {
            id: s(m, "/id")?,
            url: link(m)?,
            text: m.get(text_key).and_then(Value::as_str).map(str::to_owned),
            title: None,
            created_at: crate::recover::timestamp(&m[at_key]),
        })
    });
    Ok(crate::recover::pick(req, Some(text(req)), None, found))
}

/// A Graph API comment (Facebook, Instagram): `POST /{post}/comments` with `message`.
/// `link` makes the comment's public URL from the post's and the comment's id.
async fn graph_comment(
    cx: &crate::http::Cx,
    req: &PublishRequest,
    link: fn(&crate::Published, &str) -> String,
) -> crate::PublishResult {
    let post = &part(req)?.root;
    let path = format!("/{}/comments", post.provider_post_id);
    let made = cx.send(cx.post(&path).json(&serde_json::json!({"message": text(req)}))).await?;
    let id = crate::http::field(cx, &made.body, "/id")?;
    let url = link(post, &id);
    Ok(crate::Published::new(id, url))
}

/// The post's comments (Graph API), for the one an earlier attempt made: `text_key` and
/// `at_key` are where the platform puts a comment's text and time.
async fn graph_find_comment(
    cx: &crate::http::Cx,
    req: &PublishRequest,
    text_key: &str,
    at_key: &str,
    link: fn(&crate::Published, &str) -> String,
) -> crate::FindResult {
    let post = &part(req)?.root;
    let path = format!("/{}/comments?fields=id,{text_key},{at_key}&limit=100", post.provider_post_id);
    let listed = cx.send(cx.get(&path)).await?;
    find_in(req, &listed.body, "/data", |c| {
        let id = s(c, "/id")?;
        Some(Candidate {
            url: link(post, &id),
            id,
            text: s(c, &format!("/{text_key}")),
            title: None,
            created_at: crate::recover::timestamp(&c[at_key]),
        })
    })
}

/// A string field of a listing entry.
fn s(v: &Value, ptr: &str) -> Option<String> {
    match v.pointer(ptr)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn text(req: &PublishRequest) -> &str {
    req.text.as_deref().unwrap_or("")
}

fn is_video(m: &crate::MediaItem) -> bool {
    m.content_type.starts_with("video/")
}

#[cfg(test)]
mod registry_tests {
    use domain::Provider;

    #[test]
    fn every_platform_publishes_and_all_but_mastodon_look_up() {
        let all = super::all();
        for p in Provider::ALL {
            let c = all.get(p).unwrap_or_else(|| panic!("{p} has no adapter"));
            assert_eq!(c.lookup.is_some(), *p != Provider::Mastodon, "{p}: look-up");
            // Not built yet: no platform may claim these until an adapter implements them.
            assert!(c.reply.is_none() && c.metrics.is_none() && c.inbox.is_none(), "{p}");
        }
    }

    /// The capability matrix acceptance and `GET /api/platforms` show is what the
    /// adapters implement: no platform claims a thread or comment no adapter can send.
    #[test]
    fn the_capability_matrix_is_what_the_adapters_implement() {
        let all = super::all();
        for p in domain::platforms::catalogue() {
            let c = &all[&p.platform];
            assert_eq!(p.capabilities.threads, c.thread.is_some(), "{}: threads", p.platform);
            assert_eq!(p.capabilities.first_comment, c.comment.is_some(), "{}: first comment", p.platform);
            assert_eq!(p.capabilities.reply, c.reply.is_some(), "{}: reply", p.platform);
            assert_eq!(p.capabilities.metrics, c.metrics.is_some(), "{}: metrics", p.platform);
            let inbox = p.capabilities.inbox;
            assert_eq!(inbox.comments || inbox.mentions || inbox.messages, c.inbox.is_some(), "{}", p.platform);
        }
    }
}
