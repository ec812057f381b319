//! TikTok Content Posting API (direct post): `POST /v2/post/publish/video/init/` with
//! `PULL_FROM_URL` (TikTok fetches the owned video), then
//! `POST /v2/post/publish/status/fetch/` until the post is public.

use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::{candidates, flag, opt, s, text};
use crate::http::{Cx, field};
use crate::recover::{Candidate, pick, timestamp};
use crate::{FindResult, Lookup, ProviderError, Publish, PublishRequest, PublishResult, Published};

#[derive(Clone, Copy)]
pub struct TikTok;

impl Publish for TikTok {
    fn publish<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            let video = req.media.first().ok_or_else(|| ProviderError::Rejected("TikTok needs a video".into()))?;
            let init = json!({
                "post_info": {
                    "title": text(req),
                    "privacy_level": opt(req, "privacy_status").unwrap_or("PUBLIC_TO_EVERYONE"),
                    "disable_comment": flag(req, "disable_comment").unwrap_or(false),
                },
                "source_info": {"source": "PULL_FROM_URL", "video_url": video.url},
            });
            let started = cx.send(cx.post("/v2/post/publish/video/init/").json(&init)).await?;
            let publish_id = field(cx, &started.body, "/data/publish_id")?;
            for _ in 0..30 {
                let status =
                    cx.send(cx.post("/v2/post/publish/status/fetch/").json(&json!({"publish_id": publish_id}))).await?;
                match status.body.pointer("/data/status").and_then(Value::as_str) {
                    Some("PUBLISH_COMPLETE") => {
                        let id = field(cx, &status.body, "/data/publicaly_available_post_id/0")?;
                        let user = req.account.username.as_deref().unwrap_or("user");
                        let link = format!("https://www.tiktok.com/@{user}/video/{id}");
                        return Ok(Published::new(id, link));
                    }
                    Some("FAILED") => {
                        let reason = status
                            .body
                            .pointer("/data/fail_reason")
                            .and_then(Value::as_str)
                            .unwrap_or("unknown reason");
                        return Err(ProviderError::Rejected(format!("TikTok rejected the post: {reason}")));
                    }
                    _ => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
            Err(ProviderError::Retryable("TikTok is still processing the video".into()))
        })
    }
}

impl Lookup for TikTok {
    fn find<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(async move {
            let listed = cx
                .send(cx.post("/v2/video/list/?fields=id,title,create_time,share_url").json(&json!({"max_count": 20})))
                .await?;
            let user = req.account.username.as_deref().unwrap_or("user");
            let found = candidates(&listed.body, "/data/videos", |v| {
                let id = s(v, "/id")?;
                Some(Candidate {
                    url: format!("https://www.tiktok.com/@{user}/video/{id}"),
                    id,
                    text: s(v, "/title"),
                    title: None,
                    created_at: timestamp(&v["create_time"]),
                })
            });
            Ok(pick(req, Some(text(req)), None, found))
        })
    }
}

/// `POST /v2/video/query/`: views, likes, comments, shares.
pub(super) const TIKTOK_FIGURES: &[(&str, &str)] =
    &[("video_views", "view_count"), ("likes", "like_count"), ("comments", "comment_count"), ("shares", "share_count")];

/// The account's figures (`followers`, `posts`), by the platform's own field names.
const TIKTOK_ACCOUNT: &[(&str, &str)] = &[("followers", "follower_count"), ("posts", "video_count")];

impl crate::Metrics for TikTok {
    fn metrics<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
        post: &'a Published,
    ) -> BoxFuture<'a, Result<domain::metrics::Snapshot, crate::ProviderError>> {
        Box::pin(async move {
            let fields: Vec<&str> = TIKTOK_FIGURES.iter().map(|(_, f)| *f).collect();
            let path = format!("/v2/video/query/?fields=id,{}", fields.join(","));
            let body = serde_json::json!({"filters": {"video_ids": [post.provider_post_id]}});
            let got = cx.send(cx.post(&path).json(&body)).await?;
            Ok(super::figures("TikTok", &got.body, "/data/videos/0", TIKTOK_FIGURES))
        })
    }

    fn account<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
    ) -> BoxFuture<'a, Result<domain::metrics::AccountSnapshot, crate::ProviderError>> {
        Box::pin(async move {
            super::get_account(cx, "/v2/user/info/?fields=follower_count,video_count", "/data/user", TIKTOK_ACCOUNT)
                .await
        })
    }
}
