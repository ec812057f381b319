//! Threads API: a container per item (`POST /{user}/threads` with `media_type` TEXT,
//! IMAGE or VIDEO; carousel items then a CAROUSEL container), `POST /{user}/threads_publish`,
//! then the permalink. A thread's next part is a container with `reply_to_id` of the part
//! before; an earlier attempt's part is looked for among the account's replies.

use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::{graph_find, is_video, opt, part, text};
use crate::http::{Cx, field};
use crate::{FindResult, Lookup, Publish, PublishRequest, PublishResult, Published, Thread};

#[derive(Clone, Copy)]
pub struct Threads;

fn item(m: &crate::MediaItem) -> Value {
    let mut v = if is_video(m) {
        json!({"media_type": "VIDEO", "video_url": m.url})
    } else {
        json!({"media_type": "IMAGE", "image_url": m.url})
    };
    if let Some(alt) = &m.alt {
        v["alt_text"] = json!(alt);
    }
    v
}

impl Publish for Threads {
    fn publish<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            let user = &req.account.external_id;
            let path = format!("/{user}/threads");
            let mut container = match req.media.as_slice() {
                [] => json!({"media_type": "TEXT", "text": text(req)}),
                [one] => {
                    let mut c = item(one);
                    c["text"] = json!(text(req));
                    c
                }
                many => {
                    let mut children = Vec::new();
                    for m in many {
                        let mut c = item(m);
                        c["is_carousel_item"] = json!(true);
                        let made = cx.send(cx.post(&path).json(&c)).await?;
                        children.push(field(cx, &made.body, "/id")?);
                    }
                    json!({"media_type": "CAROUSEL", "children": children.join(","), "text": text(req)})
                }
            };
            if let Some(rc) = opt(req, "reply_control") {
                container["reply_control"] = json!(rc);
            }
            if let Some(p) = &req.part {
                container["reply_to_id"] = json!(p.parent.provider_post_id);
            }
            let made = cx.send(cx.post(&path).json(&container)).await?;
            let creation_id = field(cx, &made.body, "/id")?;
            let published = cx
                .send(cx.post(&format!("/{user}/threads_publish")).json(&json!({"creation_id": creation_id})))
                .await?;
            let id = field(cx, &published.body, "/id")?;
            let link = cx.send(cx.get(&format!("/{id}?fields=permalink"))).await?;
            Ok(Published::new(id, field(cx, &link.body, "/permalink")?))
        })
    }
}

impl Lookup for Threads {
    fn find<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(async move {
            let path = format!("/{}/threads?fields=id,text,permalink,timestamp&limit=100", req.account.external_id);
            graph_find(cx, req, &path, "text", "timestamp", |m| m["permalink"].as_str().map(str::to_owned)).await
        })
    }
}

impl Thread for Threads {
    fn publish_part<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            part(req)?;
            self.publish(cx, req).await
        })
    }

    fn find_part<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(async move {
            let path = format!("/{}/replies?fields=id,text,permalink,timestamp&limit=100", req.account.external_id);
            graph_find(cx, req, &path, "text", "timestamp", |m| m["permalink"].as_str().map(str::to_owned)).await
        })
    }
}

/// `GET /{media-id}/insights`: views, likes, replies, reposts and quotes.
pub(super) const THREADS_FIGURES: &[(&str, &str)] = &[
    ("impressions", "views"),
    ("likes", "likes"),
    ("comments", "replies"),
    ("shares", "reposts"),
    ("shares", "quotes"),
];

/// The account's figures (`followers`, `posts`), by the platform's own field names.
const THREADS_ACCOUNT: &[(&str, &str)] = &[("followers", "followers_count")];

impl crate::Metrics for Threads {
    fn metrics<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
        post: &'a Published,
    ) -> BoxFuture<'a, Result<domain::metrics::Snapshot, crate::ProviderError>> {
        Box::pin(async move {
            let got = super::graph_insights(cx, &post.provider_post_id, THREADS_FIGURES).await?;
            Ok(domain::metrics::Snapshot::map(cx.name(), THREADS_FIGURES, |f| got.get(f).cloned()))
        })
    }

    fn account<'a>(
        &'a self,
        cx: &'a Cx,
        account: &'a crate::Account,
    ) -> BoxFuture<'a, Result<domain::metrics::AccountSnapshot, crate::ProviderError>> {
        Box::pin(async move {
            let path = format!("/{}/threads_insights?metric=followers_count", account.external_id);
            let got = super::insights(&cx.send(cx.get(&path)).await?.body);
            Ok(domain::metrics::AccountSnapshot::map(cx.name(), THREADS_ACCOUNT, |f| got.get(f).cloned()))
        })
    }
}
