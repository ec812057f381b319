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
