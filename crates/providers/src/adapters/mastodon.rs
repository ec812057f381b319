//! Mastodon: `POST /api/v2/media` (multipart `file`, `description`) per file, then
//! `POST /api/v1/statuses` with the delivery id as `Idempotency-Key` — a repeated attempt
//! gets the first status back. A thread's next part is a status with `in_reply_to_id`,
//! keyed by the delivery id and the part's number.

use futures_util::future::BoxFuture;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use super::{flag, opt, part, text};
use crate::http::{Cx, field};
use crate::{FindResult, Publish, PublishRequest, PublishResult, Published, Thread};
use domain::inbox::ItemKind;

#[derive(Clone, Copy)]
pub struct Mastodon;

impl Publish for Mastodon {
    fn publish<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(status(cx, req, None))
    }
}

impl Thread for Mastodon {
    fn publish_part<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move { status(cx, req, Some(&part(req)?.parent.provider_post_id)).await })
    }

    // The part's own idempotency key replays the status an earlier attempt made.
    fn find_part<'a>(&'a self, _cx: &'a Cx, _req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(async { Ok(None) })
    }
}

async fn status(cx: &Cx, req: &PublishRequest, reply_to: Option<&str>) -> PublishResult {
    let mut media_ids = Vec::new();
    for m in &req.media {
        let part = Part::stream(cx.media_body(m).await?)
            .file_name("media")
            .mime_str(&m.content_type)
            .map_err(|_| cx.unexpected("a media type"))?;
        let mut form = Form::new().part("file", part);
        if let Some(alt) = &m.alt {
            form = form.text("description", alt.clone());
        }
        let up = cx.send(cx.post("/api/v2/media").multipart(form)).await?;
        media_ids.push(field(cx, &up.body, "/id")?);
    }
    let mut status =
        json!({"status": text(req), "media_ids": media_ids, "visibility": opt(req, "visibility").unwrap_or("public")});
    if let Some(s) = opt(req, "spoiler_text") {
        status["spoiler_text"] = json!(s);
    }
    if let Some(s) = flag(req, "sensitive") {
        status["sensitive"] = json!(s);
    }
    if let Some(parent) = reply_to {
        status["in_reply_to_id"] = json!(parent);
    }
    let key = match &req.part {
        None => req.delivery_id.to_string(),
        Some(p) => format!("{}-{}", req.delivery_id, p.index),
    };
    let made = cx.send(cx.post("/api/v1/statuses").header("Idempotency-Key", key).json(&status)).await?;
    Ok(Published::new(field(cx, &made.body, "/id")?, field(cx, &made.body, "/url")?))
}

/// `GET /api/v1/statuses/{id}`: favourites, reblogs, replies.
pub(super) const MASTODON_FIGURES: &[(&str, &str)] =
    &[("likes", "favourites_count"), ("shares", "reblogs_count"), ("comments", "replies_count")];

/// The account's figures (`followers`, `posts`), by the platform's own field names.
const MASTODON_ACCOUNT: &[(&str, &str)] = &[("followers", "followers_count"), ("posts", "statuses_count")];

impl crate::Metrics for Mastodon {
    fn metrics<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
        post: &'a Published,
    ) -> BoxFuture<'a, Result<domain::metrics::Snapshot, crate::ProviderError>> {
        Box::pin(async move {
            super::get_figures(cx, &format!("/api/v1/statuses/{}", post.provider_post_id), "", MASTODON_FIGURES).await
        })
    }

    fn account<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
    ) -> BoxFuture<'a, Result<domain::metrics::AccountSnapshot, crate::ProviderError>> {
        Box::pin(
            async move { super::get_account(cx, "/api/v1/accounts/verify_credentials", "", MASTODON_ACCOUNT).await },
        )
    }
}

/// Answering an item is a status in reply to it, under its own idempotency key.
impl crate::Reply for Mastodon {
    fn reply<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        self.publish_part(cx, req)
    }

    fn find_reply<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        self.find_part(cx, req)
    }
}

/// The inbox: `GET /api/v1/notifications` after the last `since_id`: mentions (a reply to
/// one of our statuses is a comment, a direct one a message), favourites, reblogs, follows.
impl crate::Inbox for Mastodon {
    fn inbox<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
        read: &'a crate::InboxRead,
    ) -> BoxFuture<'a, Result<crate::InboxPage, crate::ProviderError>> {
        Box::pin(async move {
            let mut path =
                "/api/v1/notifications?limit=40&types[]=mention&types[]=favourite&types[]=reblog&types[]=follow"
                    .to_owned();
            if let Some(since) = read.cursors.get("notifications").and_then(serde_json::Value::as_str) {
                path.push_str(&format!("&since_id={since}"));
            }
            let got = cx.send(cx.get(&path)).await?.body;
            let mut page = crate::InboxPage { items: Vec::new(), cursors: read.cursors.clone() };
            let all = got.as_array().cloned().unwrap_or_default();
            if let Some(newest) = all.first().and_then(|n| super::s(n, "/id")) {
                page.cursors.insert("notifications".into(), json!(newest));
            }
            for n in &all {
                let (Some(nid), Some(kind)) = (super::s(n, "/id"), n["type"].as_str()) else { continue };
                let status = &n["status"];
                let who = &n["account"];
                let author = crate::Author {
                    name: super::s(who, "/display_name").filter(|d| !d.is_empty()),
                    username: super::s(who, "/acct"),
                    avatar_url: super::s(who, "/avatar"),
                    profile_url: super::s(who, "/url"),
                };
                let at = crate::recover::timestamp(&n["created_at"]).unwrap_or_else(chrono::Utc::now);
                let item = match kind {
                    "mention" => {
                        let Some(id) = super::s(status, "/id") else { continue };
                        let direct = status["visibility"] == "direct";
                        let about = super::s(status, "/in_reply_to_id");
                        crate::InboxItem {
                            kind: match (direct, &about) {
                                (true, _) => ItemKind::Dm,
                                (false, Some(_)) => ItemKind::Comment,
                                (false, None) => ItemKind::Mention,
                            },
                            text: domain::feeds::strip_html(status["content"].as_str().unwrap_or("")),
                            url: super::s(status, "/url"),
                            about,
                            root: None,
                            // A public answer to a direct message would publish it: not offered.
                            can_reply: !direct,
                            can_hide: false,
                            can_delete: false,
                            author,
                            at,
                            id,
                        }
                    }
                    "favourite" | "reblog" | "follow" => crate::InboxItem {
                        // These have no status of their own: the notification is the item.
                        id: format!("notification:{nid}"),
                        kind: match kind {
                            "favourite" => ItemKind::Like,
                            "reblog" => ItemKind::Share,
                            _ => ItemKind::Follow,
                        },
                        text: String::new(),
                        url: super::s(status, "/url").or_else(|| super::s(who, "/url")),
                        about: super::s(status, "/id"),
                        root: None,
                        can_reply: false,
                        can_hide: false,
                        can_delete: false,
                        author,
                        at,
                    },
                    _ => continue,
                };
                page.items.push(item);
            }
            Ok(page)
        })
    }
}
