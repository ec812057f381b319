//! YouTube Data API v3: a resumable upload session
//! (`POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`), the bytes
//! PUT to the session URL, then the custom thumbnail if a cover was given.

use futures_util::future::BoxFuture;
use serde_json::json;

use super::{flag, opt, text};
use crate::http::{Cx, field};
use crate::{Adapter, ProviderError, PublishRequest, PublishResult, Published};

pub struct YouTube;

impl Adapter for YouTube {
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
            Ok(Published { url: format!("https://www.youtube.com/watch?v={id}"), provider_post_id: id })
        })
    }
}
