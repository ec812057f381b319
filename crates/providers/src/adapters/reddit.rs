//! Reddit: `POST /api/submit` (form: `sr`, `kind`, `title`, `text` or `url`,
//! `api_type=json`). A post with media links to the owned file.

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::{flag, opt, text};
use crate::http::{Cx, field};
use crate::{Adapter, ProviderError, PublishRequest, PublishResult, Published};

pub struct Reddit;

impl Adapter for Reddit {
    fn publish<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            if req.outcome_unknown
                && let Some(found) = find(cx, req).await?
            {
                return Ok(found);
            }
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

/// The account's latest submissions, matched by title.
async fn find(cx: &Cx, req: &PublishRequest) -> Result<Option<Published>, ProviderError> {
    let user = req.account.username.as_deref().unwrap_or(&req.account.external_id);
    let listing = cx.send(cx.get(&format!("/user/{user}/submitted?limit=100"))).await?;
    let title = opt(req, "title");
    let hit = listing
        .body
        .pointer("/data/children")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| c.pointer("/data/title").and_then(Value::as_str) == title);
    Ok(match hit {
        Some(c) => Some(Published::recovered(field(cx, c, "/data/name")?, field(cx, c, "/data/url")?)),
        None => None,
    })
}
