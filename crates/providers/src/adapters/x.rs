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
