//! LinkedIn Posts API (versioned `/rest`): images through
//! `POST /rest/images?action=initializeUpload` + PUT, videos through
//! `POST /rest/videos?action=initializeUpload` + PUT + finalize, then `POST /rest/posts`;
//! the new post's URN comes back in `x-restli-id`. The first comment through
//! `POST /rest/socialActions/{post-urn}/comments` (`actor`, `object`, `message.text`).

use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::{candidates, find_in, is_video, opt, part, s, text};
use crate::http::{Cx, field};
use crate::recover::{Candidate, pick, timestamp};
use crate::{Comment, FindResult, Lookup, ProviderError, Publish, PublishRequest, PublishResult, Published};

#[derive(Clone, Copy)]
pub struct LinkedIn;

const VERSION: &str = "202411";

fn rest(cx: &Cx, path: &str) -> reqwest::RequestBuilder {
    cx.post(path).header("LinkedIn-Version", VERSION).header("X-Restli-Protocol-Version", "2.0.0")
}

impl Publish for LinkedIn {
    fn publish<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            let owner = author(req);
            let mut media = Vec::new();
            for m in &req.media {
                let (init_path, init, urn_ptr) = if is_video(m) {
                    (
                        "/rest/videos?action=initializeUpload",
                        json!({"initializeUploadRequest": {"owner": owner, "fileSizeBytes": m.size_bytes, "uploadCaptions": false, "uploadThumbnail": false}}),
                        "/value/video",
                    )
                } else {
                    (
                        "/rest/images?action=initializeUpload",
                        json!({"initializeUploadRequest": {"owner": owner}}),
                        "/value/image",
                    )
                };
                let started = cx.send(rest(cx, init_path).json(&init)).await?;
                let urn = field(cx, &started.body, urn_ptr)?;
                let upload_url = if is_video(m) {
                    field(cx, &started.body, "/value/uploadInstructions/0/uploadUrl")?
                } else {
                    field(cx, &started.body, "/value/uploadUrl")?
                };
                let put = cx.send(cx.call(reqwest::Method::PUT, &upload_url).body(cx.media_body(m).await?)).await?;
                if is_video(m) {
                    let etag = put.headers.get("etag").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                    let token = started.body.pointer("/value/uploadToken").and_then(Value::as_str).unwrap_or("");
                    let fin = json!({"finalizeUploadRequest": {"video": urn, "uploadToken": token, "uploadedPartIds": [etag]}});
                    cx.send(rest(cx, "/rest/videos?action=finalizeUpload").json(&fin)).await?;
                }
                media.push(json!({"id": urn, "altText": m.alt.clone().unwrap_or_default()}));
            }
            let mut post = json!({
                "author": owner,
                "commentary": text(req),
                "visibility": opt(req, "visibility").unwrap_or("PUBLIC"),
                "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
                "lifecycleState": "PUBLISHED",
                "isReshareDisabledByAuthor": false,
            });
            match media.len() {
                0 => {}
                1 => post["content"] = json!({"media": media[0]}),
                _ => post["content"] = json!({"multiImage": {"images": media}}),
            }
            let created = cx.send(rest(cx, "/rest/posts").json(&post)).await?;
            let urn = created
                .headers
                .get("x-restli-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .ok_or_else(|| ProviderError::Retryable("LinkedIn answered without x-restli-id".into()))?;
            let link = format!("https://www.linkedin.com/feed/update/{urn}");
            Ok(Published::new(urn, link))
        })
    }
}

impl Lookup for LinkedIn {
    fn find<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(async move {
            let owner = author(req);
            let path = format!("/rest/posts?q=author&author={}&count=100", url_escape(&owner));
            let listed = cx
                .send(cx.get(&path).header("LinkedIn-Version", VERSION).header("X-Restli-Protocol-Version", "2.0.0"))
                .await?;
            let found = candidates(&listed.body, "/elements", |e| {
                let urn = s(e, "/id")?;
                Some(Candidate {
                    url: format!("https://www.linkedin.com/feed/update/{urn}"),
                    id: urn,
                    text: s(e, "/commentary"),
                    title: None,
                    created_at: timestamp(&e["createdAt"]),
                })
            });
            Ok(pick(req, Some(text(req)), None, found))
        })
    }
}

fn url_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The post's author: an organisation page's URN as stored, else the member's.
fn author(req: &PublishRequest) -> String {
    let id = &req.account.external_id;
    if id.starts_with("urn:li:") { id.clone() } else { format!("urn:li:person:{id}") }
}

fn comment_link(post_urn: &str, comment_urn: &str) -> String {
    format!("https://www.linkedin.com/feed/update/{post_urn}?commentUrn={}", url_escape(comment_urn))
}

impl Comment for LinkedIn {
    fn comment<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult> {
        Box::pin(async move {
            let post = &part(req)?.root.provider_post_id;
            let body = json!({"actor": author(req), "object": post, "message": {"text": text(req)}});
            let path = format!("/rest/socialActions/{}/comments", url_escape(post));
            let made = cx.send(rest(cx, &path).json(&body)).await?;
            let urn = field(cx, &made.body, "/$URN").or_else(|_| {
                made.headers
                    .get("x-restli-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
                    .ok_or_else(|| cx.unexpected("the comment's URN"))
            })?;
            let link = comment_link(post, &urn);
            Ok(Published::new(urn, link))
        })
    }

    fn find_comment<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult> {
        Box::pin(async move {
            let post = &part(req)?.root.provider_post_id;
            let path = format!("/rest/socialActions/{}/comments?count=100", url_escape(post));
            let listed = cx
                .send(cx.get(&path).header("LinkedIn-Version", VERSION).header("X-Restli-Protocol-Version", "2.0.0"))
                .await?;
            find_in(req, &listed.body, "/elements", |c| {
                let urn = s(c, "/$URN")?;
                Some(Candidate {
                    url: comment_link(post, &urn),
                    id: urn,
                    text: s(c, "/message/text"),
                    title: None,
                    created_at: timestamp(&c["created"]["time"]),
                })
            })
        })
    }
}

/// `GET /rest/socialActions/{urn}`: a member's post gets its likes and comments counted
/// (impressions are for organisation pages' share statistics).
pub(super) const LINKEDIN_FIGURES: &[(&str, &str)] =
    &[("likes", "totalLikes"), ("comments", "aggregatedTotalComments")];

impl crate::Metrics for LinkedIn {
    fn metrics<'a>(
        &'a self,
        cx: &'a Cx,
        _account: &'a crate::Account,
        post: &'a Published,
    ) -> BoxFuture<'a, Result<domain::metrics::Snapshot, ProviderError>> {
        Box::pin(async move {
            let path = format!("/rest/socialActions/{}", url_escape(&post.provider_post_id));
            let got = cx
                .send(cx.get(&path).header("LinkedIn-Version", VERSION).header("X-Restli-Protocol-Version", "2.0.0"))
                .await?;
            let summary = serde_json::json!({
                "totalLikes": got.body.pointer("/likesSummary/totalLikes"),
                "aggregatedTotalComments": got.body.pointer("/commentsSummary/aggregatedTotalComments"),
            });
            Ok(super::figures("LinkedIn", &summary, "", LINKEDIN_FIGURES))
        })
    }

    fn account<'a>(
        &'a self,
        cx: &'a Cx,
        account: &'a crate::Account,
    ) -> BoxFuture<'a, Result<domain::metrics::AccountSnapshot, crate::ProviderError>> {
        Box::pin(async move {
            // A page's followers are its network size; a member's, their follower count.
            let (path, at, field) = if account.external_id.starts_with("urn:li:organization:") {
                let urn = url_escape(&account.external_id);
                (format!("/rest/networkSizes/{urn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER"), "", "firstDegreeSize")
            } else {
                ("/rest/memberFollowersCount?q=me".to_owned(), "/elements/0", "memberFollowersCount")
            };
            let got = cx
                .send(cx.get(&path).header("LinkedIn-Version", VERSION).header("X-Restli-Protocol-Version", "2.0.0"))
                .await?;
            let object = got.body.pointer(at).cloned().unwrap_or_default();
            Ok(domain::metrics::AccountSnapshot::map("LinkedIn", &[("followers", field)], |f| object.get(f).cloned()))
        })
    }
}
