//! Facebook Pages (Graph API): text to `POST /{page-id}/feed` (`message`), one image to
//! `POST /{page-id}/photos` (`url`, `caption`); the first comment through
//! `POST /{post-id}/comments` (`message`).

use futures_util::future::BoxFuture;
use serde_json::json;

use super::{graph_comment, graph_find, graph_find_comment, text};
use crate::http::{Cx, field};
use crate::{Comment, FindResult, Lookup, Publish, PublishRequest, PublishResult, Published};

#[derive(Clone, Copy)]
pub struct Facebook;

impl Publish for Facebook {
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
}

impl Lookup for Facebook {
    fn find<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(async move {
            let path = format!("/{}/feed?fields=id,message,created_time&limit=100", req.account.external_id);
            graph_find(cx, req, &path, "message", "created_time", |m| {
                m["id"].as_str().map(|id| format!("https://www.facebook.com/{id}"))
            })
            .await
        })
    }
}

fn comment_link(post: &Published, id: &str) -> String {
    format!("https://www.facebook.com/{}?comment_id={id}", post.provider_post_id)
}

impl Comment for Facebook {
    fn comment<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(graph_comment(cx, req, comment_link))
    }

    fn find_comment<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(graph_find_comment(cx, req, "message", "created_time", comment_link))
    }
}

/// `GET /{post-id}/insights` (impressions, reach, clicks, reactions) and the post's
/// `shares` and `comments` summary.
pub(super) const FACEBOOK_FIGURES: &[(&str, &str)] = &[
    ("impressions", "post_impressions"),
    ("reach", "post_impressions_unique"),
    ("clicks", "post_clicks"),
    ("likes", "post_reactions_by_type_total"),
    ("comments", "comments"),
    ("shares", "shares"),
];

/// The account's figures (`followers`, `posts`), by the platform's own field names.
const FACEBOOK_ACCOUNT: &[(&str, &str)] = &[("followers", "followers_count")];

impl crate::Metrics for Facebook {
    fn metrics<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
        post: &'a Published,
    ) -> BoxFuture<'a, Result<domain::metrics::Snapshot, crate::ProviderError>> {
        Box::pin(async move {
            let id = &post.provider_post_id;
            // The first four are insights; comments and shares are the post's own fields.
            let mut got = super::graph_insights(cx, id, &FACEBOOK_FIGURES[..4]).await?;
            let object = cx.send(cx.get(&format!("/{id}?fields=shares,comments.summary(true)"))).await?.body;
            if let Some(n) = object.pointer("/comments/summary/total_count") {
                got.insert("comments".into(), n.clone());
            }
            // A post nobody shared has no `shares` at all: that is none, not a retired figure.
            got.insert("shares".into(), object.pointer("/shares/count").cloned().unwrap_or(json!(0)));
            Ok(domain::metrics::Snapshot::map(cx.name(), FACEBOOK_FIGURES, |f| got.get(f).cloned()))
        })
    }

    fn account<'a>(
        &'a self,
        cx: &'a Cx,
        account: &'a crate::Account,
    ) -> BoxFuture<'a, Result<domain::metrics::AccountSnapshot, crate::ProviderError>> {
        Box::pin(async move {
            let path = format!("/{}?fields=followers_count,fan_count", account.external_id);
            super::get_account(cx, &path, "", FACEBOOK_ACCOUNT).await
        })
    }
}

/// Answering a comment is a comment on it (`POST /{comment-id}/comments`): the item is
/// the object commented on, found among its replies after a lost answer.
impl crate::Reply for Facebook {
    fn reply<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        self.comment(cx, req)
    }

    fn find_reply<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        self.find_comment(cx, req)
    }
}

/// The inbox: the comments on the page's latest posts (`GET /{post-id}/comments`), the
/// page's own left out. Mentions and messages arrive by webhook only.
impl crate::Inbox for Facebook {
    fn inbox<'a>(
        &'a self,
        cx: &'a Cx,
        account: &'a crate::Account,
        read: &'a crate::InboxRead,
    ) -> BoxFuture<'a, Result<crate::InboxPage, crate::ProviderError>> {
        Box::pin(super::graph_inbox(
            cx,
            read,
            "id,message,from{id,name},created_time,permalink_url",
            "message",
            "created_time",
            |c| {
                let id = super::s(c, "/from/id");
                let who = crate::Author {
                    name: super::s(c, "/from/name"),
                    username: None,
                    avatar_url: None,
                    profile_url: id.as_ref().map(|i| format!("https://www.facebook.com/{i}")),
                };
                (who, id.as_deref() == Some(account.external_id.as_str()))
            },
            comment_link,
        ))
    }
}
