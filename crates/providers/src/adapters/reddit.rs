//! Reddit: `POST /api/submit` (form: `sr`, `kind`, `title`, `text` or `url`,
//! `api_type=json`). A post with media links to the owned file.

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::{candidates, flag, opt, s, text};
use crate::http::{Cx, field};
use crate::recover::{Candidate, pick, timestamp};
use crate::{FindResult, Lookup, ProviderError, Publish, PublishRequest, PublishResult, Published};

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
