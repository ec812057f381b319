//! Instagram Graph API: a media container (`POST /{ig-user-id}/media` with `image_url`,
//! `caption`, `alt_text`), `POST /{ig-user-id}/media_publish`, then the permalink. The
//! first comment through `POST /{ig-media-id}/comments` (`message`); Instagram gives a
//! comment no address of its own, so its link is the post's.

use futures_util::future::BoxFuture;
use serde_json::json;

use super::{graph_comment, graph_find, graph_find_comment, text};
use crate::http::{Cx, field};
use crate::{Comment, FindResult, Lookup, ProviderError, Publish, PublishRequest, PublishResult, Published};

#[derive(Clone, Copy)]
pub struct Instagram;

impl Publish for Instagram {
    fn publish<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            let user = &req.account.external_id;
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

impl Lookup for Instagram {
    fn find<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(async move {
            let path = format!("/{}/media?fields=id,caption,permalink,timestamp&limit=100", req.account.external_id);
            graph_find(cx, req, &path, "caption", "timestamp", |m| m["permalink"].as_str().map(str::to_owned)).await
        })
    }
}

fn comment_link(post: &Published, _id: &str) -> String {
    post.url.clone()
}

impl Comment for Instagram {
    fn comment<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(graph_comment(cx, req, comment_link))
    }

    fn find_comment<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(graph_find_comment(cx, req, "text", "timestamp", comment_link))
    }
}

/// `GET /{media-id}/insights`: Instagram counts views (it retired impressions), reach,
/// likes, comments, shares and saves.
pub(super) const INSTAGRAM_FIGURES: &[(&str, &str)] = &[
    ("impressions", "views"),
    ("reach", "reach"),
    ("likes", "likes"),
    ("comments", "comments"),
    ("shares", "shares"),
    ("saves", "saved"),
];

/// The account's figures (`followers`, `posts`), by the platform's own field names.
const INSTAGRAM_ACCOUNT: &[(&str, &str)] = &[("followers", "followers_count"), ("posts", "media_count")];

impl crate::Metrics for Instagram {
    fn metrics<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
        post: &'a Published,
    ) -> BoxFuture<'a, Result<domain::metrics::Snapshot, ProviderError>> {
        Box::pin(async move {
            let got = super::graph_insights(cx, &post.provider_post_id, INSTAGRAM_FIGURES).await?;
            Ok(domain::metrics::Snapshot::map(cx.name(), INSTAGRAM_FIGURES, |f| got.get(f).cloned()))
        })
    }

    fn account<'a>(
        &'a self,
        cx: &'a Cx,
        account: &'a crate::Account,
    ) -> BoxFuture<'a, Result<domain::metrics::AccountSnapshot, crate::ProviderError>> {
        Box::pin(async move {
            let path = format!("/{}?fields=followers_count,media_count", account.external_id);
            super::get_account(cx, &path, "", INSTAGRAM_ACCOUNT).await
        })
    }
}

/// Answering a comment: `POST /{ig-comment-id}/replies` (`message`); after a lost answer
/// the reply is looked for among the comment's replies.
impl crate::Reply for Instagram {
    fn reply<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            let p = super::part(req)?;
            let path = format!("/{}/replies", p.parent.provider_post_id);
            let made = cx.send(cx.post(&path).json(&json!({"message": text(req)}))).await?;
            let id = field(cx, &made.body, "/id")?;
            Ok(Published::new(id, p.root.url.clone()))
        })
    }

    fn find_reply<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(async move {
            let p = super::part(req)?;
            let path = format!("/{}/replies?fields=id,text,timestamp&limit=100", p.parent.provider_post_id);
            let listed = cx.send(cx.get(&path)).await?;
            super::find_in(req, &listed.body, "/data", |c| {
                Some(crate::recover::Candidate {
                    id: super::s(c, "/id")?,
                    url: p.root.url.clone(),
                    text: super::s(c, "/text"),
                    title: None,
                    created_at: crate::recover::timestamp(&c["timestamp"]),
                })
            })
        })
    }
}

/// The inbox: the comments on the account's latest media (`GET /{ig-media-id}/comments`),
/// its own left out. Mentions arrive by webhook only; Instagram messages are not read.
impl crate::Inbox for Instagram {
    fn inbox<'a>(
        &'a self,
        cx: &'a Cx,
        account: &'a crate::Account,
        read: &'a crate::InboxRead,
    ) -> BoxFuture<'a, Result<crate::InboxPage, ProviderError>> {
        Box::pin(super::graph_inbox(
            cx,
            read,
            "id,text,username,timestamp",
            "text",
            "timestamp",
            |c| {
                let name = super::s(c, "/username");
                let ours = name
                    .as_deref()
                    .is_some_and(|n| Some(n) == account.username.as_deref() || n == account.external_id.as_str());
                let who = crate::Author {
                    profile_url: name.as_ref().map(|n| format!("https://www.instagram.com/{n}/")),
                    username: name,
                    name: None,
                    avatar_url: None,
                };
                (who, ours)
            },
            |post, _| post.url.clone(),
        ))
    }
}
