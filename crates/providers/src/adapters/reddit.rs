//! Reddit: `POST /api/submit` (form: `sr`, `kind`, `title`, `text` or `url`,
//! `api_type=json`). A post with media links to the owned file. The first comment through
//! `POST /api/comment` (`thing_id` of the submission, `text`).

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::{candidates, find_in, flag, opt, part, s, text};
use crate::http::{Cx, field};
use crate::recover::{Candidate, pick, timestamp};
use crate::{Comment, FindResult, Lookup, ProviderError, Publish, PublishRequest, PublishResult, Published};

#[derive(Clone, Copy)]
pub struct Reddit;

impl Publish for Reddit {
    fn publish<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            let sr = opt(req, "subreddit").ok_or_else(|| ProviderError::Rejected("Reddit needs a subreddit".into()))?;
            let title = opt(req, "title").ok_or_else(|| ProviderError::Rejected("Reddit needs a title".into()))?;
            let mut form: Vec<(&str, String)> =
                vec![("api_type", "json".into()), ("sr", sr.into()), ("title", title.into())];
            match req.media.first() {
                Some(m) => {
                    form.push(("kind", "link".into()));
                    form.push(("url", m.url.clone()));
                }
                None => {
                    form.push(("kind", "self".into()));
                    form.push(("text", text(req).into()));
                }
            }
            if let Some(f) = opt(req, "flair_id") {
                form.push(("flair_id", f.into()));
            }
            for name in ["nsfw", "spoiler"] {
                if let Some(b) = flag(req, name) {
                    form.push((name, b.to_string()));
                }
            }
            let made = cx.send(cx.post("/api/submit").form(&form)).await?;
            if let Some(err) = made.body.pointer("/json/errors/0").and_then(Value::as_array) {
                let msg = err.get(1).and_then(Value::as_str).unwrap_or("the submission was refused");
                return Err(ProviderError::Rejected(format!("Reddit rejected the post: {msg}")));
            }
            Ok(Published::new(field(cx, &made.body, "/json/data/name")?, field(cx, &made.body, "/json/data/url")?))
        })
    }
}

impl Lookup for Reddit {
    fn find<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(async move {
            let user = req.account.username.as_deref().unwrap_or(&req.account.external_id);
            let listing = cx.send(cx.get(&format!("/user/{user}/submitted?limit=100"))).await?;
            let found = candidates(&listing.body, "/data/children", |c| {
                Some(Candidate {
                    id: s(c, "/data/name")?,
                    url: s(c, "/data/url")?,
                    text: s(c, "/data/selftext"),
                    title: s(c, "/data/title"),
                    created_at: timestamp(&c["data"]["created_utc"]),
                })
            });
            // A link post (the media) carries no text: only its title can match.
            let body = req.media.is_empty().then(|| text(req));
            Ok(pick(req, body, Some(opt(req, "title").unwrap_or_default()), found))
        })
    }
}

impl Comment for Reddit {
    fn comment<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            let thing = &part(req)?.root.provider_post_id;
            let form = [("api_type", "json"), ("thing_id", thing.as_str()), ("text", text(req))];
            let made = cx.send(cx.post("/api/comment").form(&form)).await?;
            if let Some(err) = made.body.pointer("/json/errors/0").and_then(Value::as_array) {
                let msg = err.get(1).and_then(Value::as_str).unwrap_or("the comment was refused");
                return Err(ProviderError::Rejected(format!("Reddit rejected the comment: {msg}")));
            }
            let made = made.body.pointer("/json/data/things/0/data").cloned().unwrap_or_default();
            let link = format!("https://www.reddit.com{}", field(cx, &made, "/permalink")?);
            Ok(Published::new(field(cx, &made, "/name")?, link))
        })
    }

    fn find_comment<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(async move {
            let thing = &part(req)?.root.provider_post_id;
            let user = req.account.username.as_deref().unwrap_or(&req.account.external_id);
            let listing = cx.send(cx.get(&format!("/user/{user}/comments?limit=100"))).await?;
            find_in(req, &listing.body, "/data/children", |c| {
                // Only a comment on this delivery's submission can be its first comment.
                if s(c, "/data/link_id")? != *thing {
                    return None;
                }
                Some(Candidate {
                    id: s(c, "/data/name")?,
                    url: format!("https://www.reddit.com{}", s(c, "/data/permalink")?),
                    text: s(c, "/data/body"),
                    title: None,
                    created_at: timestamp(&c["data"]["created_utc"]),
                })
            })
        })
    }
}

/// `GET /api/info?id={fullname}`: the score (as likes) and the number of comments.
pub(super) const REDDIT_FIGURES: &[(&str, &str)] = &[("likes", "score"), ("comments", "num_comments")];

/// The account's figures (`followers`, `posts`), by the platform's own field names.
const REDDIT_ACCOUNT: &[(&str, &str)] = &[("followers", "subscribers")];

impl crate::Metrics for Reddit {
    fn metrics<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
        post: &'a Published,
    ) -> BoxFuture<'a, Result<domain::metrics::Snapshot, ProviderError>> {
        Box::pin(async move {
            let path = format!("/api/info?id={}", post.provider_post_id);
            super::get_figures(cx, &path, "/data/children/0/data", REDDIT_FIGURES).await
        })
    }

    fn account<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
    ) -> BoxFuture<'a, Result<domain::metrics::AccountSnapshot, crate::ProviderError>> {
        Box::pin(async move {
            // A user's followers are the subscribers of their profile's own subreddit.
            super::get_account(cx, "/api/v1/me", "/subreddit", REDDIT_ACCOUNT).await
        })
    }
}
