//! X API v2: `POST /2/media/upload` (multipart) per file, alt text through
//! `POST /2/media/metadata`, then `POST /2/tweets`. X has no idempotency key, so an
//! attempt after an unknown outcome first looks for the post among the account's latest.
//! A thread's next part is a tweet with `reply.in_reply_to_tweet_id` of the part before.

use futures_util::future::BoxFuture;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::{candidates, is_video, opt, part, s, text};
use crate::http::{Cx, field};
use crate::recover::{Candidate, pick, timestamp};
use crate::{FindResult, Lookup, Publish, PublishRequest, PublishResult, Published, Thread};
use domain::inbox::ItemKind;

#[derive(Clone, Copy)]
pub struct X;

fn url(req: &PublishRequest, id: &str) -> String {
    format!("https://x.com/{}/status/{id}", req.account.username.as_deref().unwrap_or("i"))
}

impl Publish for X {
    fn publish<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(tweet(cx, req, None))
    }
}

impl Thread for X {
    fn publish_part<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move { tweet(cx, req, Some(&part(req)?.parent.provider_post_id)).await })
    }

    // The account's timeline holds its replies too: the part is found there by its text.
    fn find_part<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        self.find(cx, req)
    }
}

async fn tweet(cx: &Cx, req: &PublishRequest, reply_to: Option<&str>) -> PublishResult {
    let mut media_ids = Vec::new();
    for m in &req.media {
        let category = if is_video(m) {
            "tweet_video"
        } else if m.content_type == "image/gif" {
            "tweet_gif"
        } else {
            "tweet_image"
        };
        let part = Part::stream(cx.media_body(m).await?)
            .mime_str(&m.content_type)
            .map_err(|_| cx.unexpected("a media type"))?;
        let form = Form::new().text("media_category", category).part("media", part);
        let up = cx.send(cx.post("/2/media/upload").multipart(form)).await?;
        let id = field(cx, &up.body, "/data/id")?;
        if let Some(alt) = &m.alt {
            let meta = json!({"id": id, "metadata": {"alt_text": {"text": alt}}});
            cx.send(cx.post("/2/media/metadata").json(&meta)).await?;
        }
        media_ids.push(id);
    }
    let mut body = json!({"text": text(req)});
    if !media_ids.is_empty() {
        body["media"] = json!({"media_ids": media_ids});
    }
    if let Some(r) = opt(req, "reply_settings") {
        body["reply_settings"] = Value::String(r.to_owned());
    }
    if let Some(parent) = reply_to {
        body["reply"] = json!({"in_reply_to_tweet_id": parent});
    }
    let created = cx.send(cx.post("/2/tweets").json(&body)).await?;
    let id = field(cx, &created.body, "/data/id")?;
    let link = url(req, &id);
    Ok(Published::new(id, link))
}

impl Lookup for X {
    fn find<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(async move {
            let path = format!("/2/users/{}/tweets?max_results=100&tweet.fields=created_at", req.account.external_id);
            let recent = cx.send(cx.get(&path)).await?;
            let found = candidates(&recent.body, "/data", |t| {
                let id = s(t, "/id")?;
                Some(Candidate {
                    url: url(req, &id),
                    id,
                    text: s(t, "/text"),
                    title: None,
                    created_at: timestamp(&t["created_at"]),
                })
            });
            Ok(pick(req, Some(text(req)), None, found))
        })
    }
}

/// `GET /2/tweets/{id}?tweet.fields=public_metrics`: likes, replies, retweets and quotes,
/// bookmarks, impressions.
pub(super) const X_FIGURES: &[(&str, &str)] = &[
    ("likes", "like_count"),
    ("comments", "reply_count"),
    ("shares", "retweet_count"),
    ("shares", "quote_count"),
    ("saves", "bookmark_count"),
    ("impressions", "impression_count"),
];

/// The account's figures (`followers`, `posts`), by the platform's own field names.
const X_ACCOUNT: &[(&str, &str)] = &[("followers", "followers_count"), ("posts", "tweet_count")];

impl crate::Metrics for X {
    fn metrics<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
        post: &'a Published,
    ) -> BoxFuture<'a, Result<domain::metrics::Snapshot, crate::ProviderError>> {
        Box::pin(async move {
            let path = format!("/2/tweets/{}?tweet.fields=public_metrics", post.provider_post_id);
            super::get_figures(cx, &path, "/data/public_metrics", X_FIGURES).await
        })
    }

    fn account<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
    ) -> BoxFuture<'a, Result<domain::metrics::AccountSnapshot, crate::ProviderError>> {
        Box::pin(async move {
            super::get_account(cx, "/2/users/me?user.fields=public_metrics", "/data/public_metrics", X_ACCOUNT).await
        })
    }
}

/// Answering an item is a reply tweet to it; after a lost answer it is found on the
/// account's timeline by its text, like a thread's part.
impl crate::Reply for X {
    fn reply<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        self.publish_part(cx, req)
    }

    fn find_reply<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        self.find(cx, req)
    }
}

/// The inbox: `GET /2/users/{id}/mentions` after the last `since_id` (a mention replying
/// to a tweet is a comment on it) and `GET /2/dm_events` (messages to the account, read
/// back to the newest one already seen).
impl crate::Inbox for X {
    fn inbox<'a>(
        &'a self,
        cx: &'a Cx,
        account: &'a crate::Account,
        read: &'a crate::InboxRead,
    ) -> BoxFuture<'a, Result<crate::InboxPage, crate::ProviderError>> {
        Box::pin(async move {
            let mut page = crate::InboxPage { items: Vec::new(), cursors: read.cursors.clone() };
            let mut path = format!(
                "/2/users/{}/mentions?max_results=100&expansions=author_id&tweet.fields=created_at,conversation_id,referenced_tweets&user.fields=username,name,profile_image_url",
                account.external_id
            );
            if let Some(since) = read.cursors.get("mentions").and_then(Value::as_str) {
                path.push_str(&format!("&since_id={since}"));
            }
            let got = cx.send(cx.get(&path)).await?.body;
            let users = super::by_id(&got, "/includes/users", "/id");
            for t in got.pointer("/data").and_then(Value::as_array).into_iter().flatten() {
                let Some(id) = s(t, "/id") else { continue };
                let author = users.get(&s(t, "/author_id").unwrap_or_default()).cloned().unwrap_or(Value::Null);
                let replied_to = t
                    .pointer("/referenced_tweets")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .find(|r| r["type"] == "replied_to")
                    .and_then(|r| s(r, "/id"));
                let who = s(&author, "/username");
                page.items.push(crate::InboxItem {
                    url: Some(format!("https://x.com/{}/status/{id}", who.as_deref().unwrap_or("i"))),
                    kind: if replied_to.is_some() { ItemKind::Comment } else { ItemKind::Mention },
                    author: x_author(&author),
                    text: s(t, "/text").unwrap_or_default(),
                    at: timestamp(&t["created_at"]).unwrap_or_else(chrono::Utc::now),
                    about: replied_to,
                    root: None,
                    can_reply: true,
                    can_hide: true,
                    can_delete: false,
                    id,
                });
            }
            if let Some(newest) = got.pointer("/meta/newest_id").and_then(Value::as_str) {
                page.cursors.insert("mentions".into(), json!(newest));
            }
            let seen = read.cursors.get("dms").and_then(Value::as_str).map(str::to_owned);
            let dms = cx
                .send(cx.get("/2/dm_events?max_results=100&event_types=MessageCreate&dm_event.fields=created_at,sender_id,dm_conversation_id,text&expansions=sender_id&user.fields=username,name"))
                .await?
                .body;
            let users = super::by_id(&dms, "/includes/users", "/id");
            let mut newest = None;
            for e in dms.pointer("/data").and_then(Value::as_array).into_iter().flatten() {
                let Some(id) = s(e, "/id") else { continue };
                if seen.as_deref() == Some(id.as_str()) {
                    break;
                }
                newest.get_or_insert_with(|| id.clone());
                let sender = s(e, "/sender_id").unwrap_or_default();
                if sender == account.external_id {
                    continue; // the account's own message
                }
                let author = users.get(&sender).cloned().unwrap_or(Value::Null);
                page.items.push(crate::InboxItem {
                    url: s(e, "/dm_conversation_id").map(|c| format!("https://x.com/messages/{c}")),
                    kind: ItemKind::Dm,
                    author: x_author(&author),
                    text: s(e, "/text").unwrap_or_default(),
                    at: timestamp(&e["created_at"]).unwrap_or_else(chrono::Utc::now),
                    about: None,
                    root: None,
                    can_reply: false,
                    can_hide: false,
                    can_delete: false,
                    id,
                });
            }
            if let Some(n) = newest {
                page.cursors.insert("dms".into(), json!(n));
            }
            Ok(page)
        })
    }
}

fn x_author(u: &Value) -> crate::Author {
    let username = s(u, "/username");
    crate::Author {
        name: s(u, "/name"),
        profile_url: username.as_ref().map(|n| format!("https://x.com/{n}")),
        avatar_url: s(u, "/profile_image_url"),
        username,
    }
}
