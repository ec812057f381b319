//! YouTube Data API v3: a resumable upload session
//! (`POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`), the bytes
//! PUT to the session URL, then the custom thumbnail if a cover was given.

use futures_util::future::BoxFuture;
use serde_json::json;

use super::{candidates, flag, opt, s, text};
use crate::http::{Cx, field};
use crate::recover::{Candidate, pick, timestamp};
use crate::{FindResult, Lookup, ProviderError, Publish, PublishRequest, PublishResult, Published};

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
