//! Facebook Pages (Graph API): text to `POST /{page-id}/feed` (`message`), one image to
//! `POST /{page-id}/photos` (`url`, `caption`).

use futures_util::future::BoxFuture;
use serde_json::json;

use super::text;
use crate::http::{Cx, field};
use crate::{Adapter, PublishRequest, PublishResult, Published};

pub struct Facebook;

impl Adapter for Facebook {
    fn publish<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            let page = &req.account.external_id;
            if req.outcome_unknown {
                let listed = cx.send(cx.get(&format!("/{page}/feed?fields=id,message&limit=100"))).await?;
                if let Some(m) =
                    listed.body["data"].as_array().into_iter().flatten().find(|m| m["message"] == text(req))
                {
                    let id = field(cx, m, "/id")?;
                    let link = format!("https://www.facebook.com/{id}");
                    return Ok(Published::recovered(id, link));
                }
            }
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
}
