//! YouTube Data API v3: a resumable upload session
//! (`POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`), the bytes
//! PUT to the session URL, then the custom thumbnail if a cover was given. The first
//! comment is a comment thread: `POST /youtube/v3/commentThreads?part=snippet`.

use futures_util::future::BoxFuture;
use serde_json::json;

use super::{candidates, find_in, flag, opt, part, s, text};
use crate::http::{Cx, field};
use crate::recover::{Candidate, pick, timestamp};
use crate::{Comment, FindResult, Lookup, ProviderError, Publish, PublishRequest, PublishResult, Published};

#[derive(Clone, Copy)]
pub struct YouTube;

impl Publish for YouTube {
    fn publish<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            let video = req.media.first().ok_or_else(|| ProviderError::Rejected("YouTube needs a video".into()))?;
            let meta = json!({
                "snippet": {"title": opt(req, "title").unwrap_or("Untitled"), "description": text(req)},
                "status": {
                    "privacyStatus": opt(req, "privacy_status").unwrap_or("public"),
                    "selfDeclaredMadeForKids": flag(req, "made_for_kids").unwrap_or(false),
                },
            });
            let session = cx
                .send(
                    cx.post("/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status")
                        .header("X-Upload-Content-Type", &video.content_type)
                        .header("X-Upload-Content-Length", video.size_bytes)
                        .json(&meta),
                )
                .await?;
            let location = session
                .headers
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .ok_or_else(|| cx.unexpected("an upload session Location"))?;
            let uploaded = cx
                .send(
                    cx.call(reqwest::Method::PUT, &location)
                        .header("Content-Type", &video.content_type)
                        .header("Content-Length", video.size_bytes)
                        .body(cx.media_body(video).await?),
                )
                .await?;
            let id = field(cx, &uploaded.body, "/id")?;
            if let Some(cover) = &req.cover {
                let path = format!("/upload/youtube/v3/thumbnails/set?videoId={id}&uploadType=media");
                cx.send(cx.post(&path).header("Content-Type", &cover.content_type).body(cx.media_body(cover).await?))
                    .await?;
            }
            let link = format!("https://www.youtube.com/watch?v={id}");
            Ok(Published::new(id, link))
        })
    }
}

impl Lookup for YouTube {
    fn find<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(async move {
            let listed = cx
                .send(cx.get("/youtube/v3/search?part=snippet&forMine=true&type=video&order=date&maxResults=50"))
                .await?;
            let found = candidates(&listed.body, "/items", |i| {
                let id = s(i, "/id/videoId")?;
                Some(Candidate {
                    url: format!("https://www.youtube.com/watch?v={id}"),
                    id,
                    text: s(i, "/snippet/description"),
                    title: s(i, "/snippet/title"),
                    created_at: timestamp(&i["snippet"]["publishedAt"]),
                })
            });
            Ok(pick(req, Some(text(req)), Some(opt(req, "title").unwrap_or("Untitled")), found))
        })
    }
}

fn comment_link(video: &str, id: &str) -> String {
    format!("https://www.youtube.com/watch?v={video}&lc={id}")
}

impl Comment for YouTube {
    fn comment<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            let video = &part(req)?.root.provider_post_id;
            let body =
                json!({"snippet": {"videoId": video, "topLevelComment": {"snippet": {"textOriginal": text(req)}}}});
            let made = cx.send(cx.post("/youtube/v3/commentThreads?part=snippet").json(&body)).await?;
            let id = field(cx, &made.body, "/id")?;
            let link = comment_link(video, &id);
            Ok(Published::new(id, link))
        })
    }

    fn find_comment<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(async move {
            let video = &part(req)?.root.provider_post_id;
            let path = format!("/youtube/v3/commentThreads?part=snippet&videoId={video}&maxResults=100");
            let listed = cx.send(cx.get(&path)).await?;
            find_in(req, &listed.body, "/items", |t| {
                let id = s(t, "/id")?;
                let c = t.pointer("/snippet/topLevelComment/snippet")?;
                Some(Candidate {
                    url: comment_link(video, &id),
                    id,
                    text: s(c, "/textOriginal"),
                    title: None,
                    created_at: timestamp(&c["publishedAt"]),
                })
            })
        })
    }
}

/// `GET /youtube/v3/videos?part=statistics`: views, likes, comments (as strings).
pub(super) const YOUTUBE_FIGURES: &[(&str, &str)] =
    &[("video_views", "viewCount"), ("likes", "likeCount"), ("comments", "commentCount")];

/// The account's figures (`followers`, `posts`), by the platform's own field names.
const YOUTUBE_ACCOUNT: &[(&str, &str)] = &[("followers", "subscriberCount"), ("posts", "videoCount")];

impl crate::Metrics for YouTube {
    fn metrics<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
        post: &'a Published,
    ) -> BoxFuture<'a, Result<domain::metrics::Snapshot, ProviderError>> {
        Box::pin(async move {
            let path = format!("/youtube/v3/videos?part=statistics&id={}", post.provider_post_id);
            super::get_figures(cx, &path, "/items/0/statistics", YOUTUBE_FIGURES).await
        })
    }

    fn account<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
    ) -> BoxFuture<'a, Result<domain::metrics::AccountSnapshot, crate::ProviderError>> {
        Box::pin(async move {
            super::get_account(
                cx,
                "/youtube/v3/channels?part=statistics&mine=true",
                "/items/0/statistics",
                YOUTUBE_ACCOUNT,
            )
            .await
        })
    }
}
