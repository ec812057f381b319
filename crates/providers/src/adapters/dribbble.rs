//! Dribbble API v2: `POST /v2/shots` (multipart: `image`, `title`, `description`,
//! `tags[]`, `low_profile`). The API answers 202 with the new shot's URL in `Location`;
//! the shot's id is its last segment. A shot is one image with a title.

use futures_util::future::BoxFuture;
use reqwest::multipart::{Form, Part};

use super::{candidates, flag, opt, s, text};
use crate::http::Cx;
use crate::recover::{Candidate, pick, timestamp};
use crate::{FindResult, Lookup, ProviderError, Publish, PublishRequest, PublishResult, Published};

#[derive(Clone, Copy)]
pub struct Dribbble;

fn shot_url(id: &str) -> String {
    format!("https://dribbble.com/shots/{id}")
}

impl Publish for Dribbble {
    fn publish<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            let m = req.media.first().ok_or_else(|| ProviderError::Rejected("Dribbble needs an image".into()))?;
            let title = opt(req, "title").ok_or_else(|| ProviderError::Rejected("Dribbble needs a title".into()))?;
            let image = Part::stream(cx.media_body(m).await?)
                .file_name("shot")
                .mime_str(&m.content_type)
                .map_err(|_| cx.unexpected("a media type"))?;
            let mut form = Form::new().part("image", image).text("title", title.to_owned());
            if !text(req).is_empty() {
                form = form.text("description", text(req).to_owned());
            }
            for tag in opt(req, "tags").unwrap_or("").split(',').map(str::trim).filter(|t| !t.is_empty()).take(12) {
                form = form.text("tags[]", tag.to_owned());
            }
            if let Some(low) = flag(req, "low_profile") {
                form = form.text("low_profile", low.to_string());
            }
            let made = cx.send(cx.post("/v2/shots").multipart(form)).await?;
            let located = made.headers.get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok());
            let id = located
                .and_then(|l| l.trim_end_matches('/').rsplit('/').next())
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                // A dry run's placeholder answer carries the id in its body.
                .or_else(|| s(&made.body, "/id"))
                .ok_or_else(|| cx.unexpected("a Location header naming the new shot"))?;
            Ok(Published::new(id.clone(), shot_url(&id)))
        })
    }
}

impl Lookup for Dribbble {
    fn find<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(async move {
            let listed = cx.send(cx.get("/v2/user/shots?per_page=100")).await?;
            let found = candidates(&listed.body, "", |shot| {
                let id = s(shot, "/id")?;
                Some(Candidate {
                    url: s(shot, "/html_url").unwrap_or_else(|| shot_url(&id)),
                    id,
                    text: s(shot, "/description"),
                    title: s(shot, "/title"),
                    created_at: timestamp(&shot["published_at"]),
                })
            });
            Ok(pick(req, Some(text(req)), Some(opt(req, "title").unwrap_or_default()), found))
        })
    }
}

/// `GET /v2/shots/{id}`: likes and views.
pub(super) const DRIBBBLE_FIGURES: &[(&str, &str)] = &[("likes", "likes_count"), ("impressions", "views_count")];

/// The account's figures (`followers`, `posts`), by the platform's own field names.
const DRIBBBLE_ACCOUNT: &[(&str, &str)] = &[("followers", "followers_count")];

impl crate::Metrics for Dribbble {
    fn metrics<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
        post: &'a Published,
    ) -> BoxFuture<'a, Result<domain::metrics::Snapshot, crate::ProviderError>> {
        Box::pin(async move {
            super::get_figures(cx, &format!("/v2/shots/{}", post.provider_post_id), "", DRIBBBLE_FIGURES).await
        })
    }

    fn account<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
    ) -> BoxFuture<'a, Result<domain::metrics::AccountSnapshot, crate::ProviderError>> {
        Box::pin(async move { super::get_account(cx, "/v2/user", "", DRIBBBLE_ACCOUNT).await })
    }
}
