//! Instagram Graph API: a media container (`POST /{ig-user-id}/media` with `image_url`,
//! `caption`, `alt_text`), `POST /{ig-user-id}/media_publish`, then the permalink.

use futures_util::future::BoxFuture;
use serde_json::json;

use super::text;
use crate::http::{Cx, field};
use crate::{Adapter, ProviderError, PublishRequest, PublishResult, Published};

pub struct Instagram;

impl Adapter for Instagram {
    fn publish<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            let user = &req.account.external_id;
            if req.outcome_unknown {
                let listed = cx.send(cx.get(&format!("/{user}/media?fields=id,caption,permalink&limit=100"))).await?;
                if let Some(m) =
                    listed.body["data"].as_array().into_iter().flatten().find(|m| m["caption"] == text(req))
                {
                    return Ok(Published::recovered(field(cx, m, "/id")?, field(cx, m, "/permalink")?));
                }
            }
            let image = req.media.first().ok_or_else(|| ProviderError::Rejected("Instagram needs one JPEG".into()))?;
            let mut container = json!({"image_url": image.url, "caption": text(req)});
            if let Some(alt) = &image.alt {
                container["alt_text"] = json!(alt);
            }
            let made = cx.send(cx.post(&format!("/{user}/media")).json(&container)).await?;
            let creation_id = field(cx, &made.body, "/id")?;
            let published =
                cx.send(cx.post(&format!("/{user}/media_publish")).json(&json!({"creation_id": creation_id}))).await?;
            let id = field(cx, &published.body, "/id")?;
            let link = cx.send(cx.get(&format!("/{id}?fields=permalink"))).await?;
            Ok(Published::new(id, field(cx, &link.body, "/permalink")?))
        })
    }
}
