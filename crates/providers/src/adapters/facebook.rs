//! Facebook Pages (Graph API): text to `POST /{page-id}/feed` (`message`), one image to
//! `POST /{page-id}/photos` (`url`, `caption`).

use futures_util::future::BoxFuture;
use serde_json::json;

use super::{candidates, s, text};
use crate::http::{Cx, field};
use crate::recover::{Candidate, pick, timestamp};
use crate::{Adapter, FindResult, PublishRequest, PublishResult, Published};

pub struct Facebook;

impl Adapter for Facebook {
    fn publish<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            let page = &req.account.external_id;
            let made = match req.media.first() {
                None => cx.send(cx.post(&format!("/{page}/feed")).json(&json!({"message": text(req)}))).await?,
                Some(img) => {
                    cx.send(cx.post(&format!("/{page}/photos")).json(&json!({"url": img.url, "caption": text(req)})))
                        .await?
                }
            };
            let id = field(cx, &made.body, "/post_id").or_else(|_| field(cx, &made.body, "/id"))?;
            let link = format!("https://www.facebook.com/{id}");
            Ok(Published::new(id, link))
        })
    }

    fn find<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(async move {
            let page = &req.account.external_id;
            let listed =
                cx.send(cx.get(&format!("/{page}/feed?fields=id,message,permalink,created_time&limit=100"))).await?;
            let found = candidates(&listed.body, "/data", |m| {
                let id = s(m, "/id")?;
                Some(Candidate {
                    url: format!("https://www.facebook.com/{id}"),
                    id,
                    text: s(m, "/message"),
                    title: None,
                    created_at: timestamp(&m["created_time"]),
                })
            });
            Ok(pick(req, Some(text(req)), None, found))
        })
    }
}
