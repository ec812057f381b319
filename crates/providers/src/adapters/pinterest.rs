//! Pinterest API v5: `POST /v5/pins` with `board_id` and `media_source` (an image URL; a
//! video is registered with `POST /v5/media`, uploaded, then referenced by id).

use futures_util::future::BoxFuture;
use serde_json::json;

use super::{candidates, is_video, opt, s, text};
use crate::http::{Cx, field};
use crate::recover::{Candidate, pick, timestamp};
use crate::{FindResult, Lookup, ProviderError, Publish, PublishRequest, PublishResult, Published};

#[derive(Clone, Copy)]
pub struct Pinterest;

impl Publish for Pinterest {
    fn publish<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            let m =
                req.media.first().ok_or_else(|| ProviderError::Rejected("Pinterest needs an image or video".into()))?;
            let board =
                opt(req, "board_id").ok_or_else(|| ProviderError::Rejected("Pinterest needs a board_id".into()))?;
            let source = if is_video(m) {
                let reg = cx.send(cx.post("/v5/media").json(&json!({"media_type": "video"}))).await?;
                let media_id = field(cx, &reg.body, "/media_id")?;
                let upload_url = field(cx, &reg.body, "/upload_url")?;
                cx.send(cx.call(reqwest::Method::PUT, &upload_url).body(cx.media_body(m).await?)).await?;
                let mut s = json!({"source_type": "video_id", "media_id": media_id});
                if let Some(cover) = &req.cover {
                    s["cover_image_url"] = json!(cover.url);
                }
                s
            } else {
                json!({"source_type": "image_url", "url": m.url})
            };
            let mut pin = json!({"board_id": board, "description": text(req), "media_source": source});
            if let Some(t) = opt(req, "title") {
                pin["title"] = json!(t);
            }
            if let Some(l) = opt(req, "link") {
                pin["link"] = json!(l);
            }
            if let Some(alt) = &m.alt {
                pin["alt_text"] = json!(alt);
            }
            let made = cx.send(cx.post("/v5/pins").json(&pin)).await?;
            let id = field(cx, &made.body, "/id")?;
            let link = format!("https://www.pinterest.com/pin/{id}/");
            Ok(Published::new(id, link))
        })
    }
}

impl Lookup for Pinterest {
    fn find<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(async move {
            let Some(board) = opt(req, "board_id") else { return Ok(None) };
            let listed = cx.send(cx.get(&format!("/v5/boards/{board}/pins?page_size=100"))).await?;
            let found = candidates(&listed.body, "/items", |p| {
                let id = s(p, "/id")?;
                Some(Candidate {
                    url: format!("https://www.pinterest.com/pin/{id}/"),
                    id,
                    text: s(p, "/description"),
                    title: None,
                    created_at: timestamp(&p["created_at"]),
                })
            });
            Ok(pick(req, Some(text(req)), None, found))
        })
    }
}

/// `GET /v5/pins/{id}/analytics`: impressions, saves, pin and outbound clicks (lifetime).
pub(super) const PINTEREST_FIGURES: &[(&str, &str)] =
    &[("impressions", "IMPRESSION"), ("saves", "SAVE"), ("clicks", "PIN_CLICK"), ("clicks", "OUTBOUND_CLICK")];

/// The account's figures (`followers`, `posts`), by the platform's own field names.
const PINTEREST_ACCOUNT: &[(&str, &str)] = &[("followers", "follower_count"), ("posts", "pin_count")];

impl crate::Metrics for Pinterest {
    fn metrics<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
        post: &'a Published,
    ) -> BoxFuture<'a, Result<domain::metrics::Snapshot, crate::ProviderError>> {
        Box::pin(async move {
            let types: Vec<&str> = PINTEREST_FIGURES.iter().map(|(_, f)| *f).collect();
            let today = chrono::Utc::now().date_naive();
            let from = today - chrono::Duration::days(89);
            let path = format!(
                "/v5/pins/{}/analytics?start_date={from}&end_date={today}&metric_types={}",
                post.provider_post_id,
                types.join(",")
            );
            super::get_figures(cx, &path, "/all/lifetime_metrics", PINTEREST_FIGURES).await
        })
    }

    fn account<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
    ) -> BoxFuture<'a, Result<domain::metrics::AccountSnapshot, crate::ProviderError>> {
        Box::pin(async move { super::get_account(cx, "/v5/user_account", "", PINTEREST_ACCOUNT).await })
    }
}
