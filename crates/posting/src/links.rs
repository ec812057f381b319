//! Review links: a client approves, rejects and comments on one post — or a campaign's
//! posts — without an account. The link's secret is 256 random bits shown once; only its
//! SHA-256 is stored (as keys and sessions), so a database read yields no usable link,
//! and a link expires and can be revoked. Everything done through a link is done by a
//! client caller named after the link's label, checked as every other caller is.

use chrono::{Duration, Utc};
use domain::{PostId, ReviewAction, ReviewStatus};
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::{
    KeyScope,
    posts::{PostFilter, PostView},
    review_links::ReviewLink,
};
use uuid::Uuid;

use crate::{Actor, Caller, Posting, PostingError, PostingResult, caller::Policy};

pub const LINK_PREFIX: &str = "rl_";
/// How long a link lives unless asked otherwise, and at most.
pub const DEFAULT_LINK_HOURS: i64 = 7 * 24;
pub const MAX_LINK_HOURS: i64 = 90 * 24;

/// What a link opens.
#[derive(Debug, Clone)]
pub enum LinkTarget {
    Post(PostId),
    Campaign(String),
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn mint() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{LINK_PREFIX}{}", hex::encode(bytes))
}

/// A client's verdict through a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Reject,
}

impl Posting {
    /// A new link; the secret is in the returned token, shown once.
    pub async fn create_link(
        &self,
        caller: &Caller,
        target: LinkTarget,
        label: &str,
        hours: Option<i64>,
    ) -> PostingResult<(ReviewLink, String)> {
        caller.require_write()?;
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 100 {
            return Err(PostingError::field("label", "must have 1 to 100 characters (who the link is for)"));
        }
        let hours = hours.unwrap_or(DEFAULT_LINK_HOURS);
        if !(1..=MAX_LINK_HOURS).contains(&hours) {
            return Err(PostingError::field("expires_in_hours", format!("must be 1 to {MAX_LINK_HOURS}")));
        }
        let mut conn = self.pool.get().await?;
        let (post_id, campaign) = match &target {
            LinkTarget::Post(id) => {
                store::posts::find_visible(&mut conn, &caller.scope, *id, false)
                    .await?
                    .filter(|p| p.archived_at.is_none())
                    .ok_or_else(|| PostingError::field("post_id", "no such post for this key"))?;
                (Some(*id), None)
            }
            LinkTarget::Campaign(c) => {
                let c = c.trim();
                let filter = PostFilter { campaign: Some(c.to_owned()), ..Default::default() };
                let (posts, _) = store::posts::list(&mut conn, &caller.scope, &filter, 1, 0).await?;
                if c.is_empty() || posts.is_empty() {
                    return Err(PostingError::field("campaign", "no posts of this campaign for this key"));
                }
                (None, Some(c.to_owned()))
            }
        };
        let token = mint();
        let link = store::review_links::insert(
            &mut conn,
            store::review_links::NewLink {
                id: Uuid::now_v7(),
                workspace_id: caller.scope.workspace_id,
                post_id,
                campaign: campaign.as_deref(),
                label,
                token_hash: &hash(&token),
                created_by: &caller.who(),
                expires_at: Utc::now() + Duration::hours(hours),
            },
        )
        .await?;
        tracing::info!(link_id = %link.id, actor = %caller.actor, "review link created");
        Ok((link, token))
    }

    pub async fn links(&self, caller: &Caller) -> PostingResult<Vec<ReviewLink>> {
        caller.require_write()?;
        let mut conn = self.pool.get().await?;
        Ok(store::review_links::list(&mut conn, caller.scope.workspace_id).await?)
    }

    /// Revokes a link at once; `false` when there is no such open link.
    pub async fn revoke_link(&self, caller: &Caller, id: Uuid) -> PostingResult<bool> {
        caller.require_write()?;
        let mut conn = self.pool.get().await?;
        Ok(store::review_links::revoke(&mut conn, caller.scope.workspace_id, id).await?)
    }

    /// The link behind a token and the client caller it acts as; `None` when the token is
    /// unknown, expired or revoked (all alike to the holder).
    pub async fn open_link(&self, token: &str) -> PostingResult<Option<(ReviewLink, Caller)>> {
        if !token.starts_with(LINK_PREFIX) || token.len() > 100 {
            return Ok(None);
        }
        let mut conn = self.pool.get().await?;
        let Some(link) = store::review_links::open_by_hash(&mut conn, &hash(token)).await? else { return Ok(None) };
        let mut caller = Caller::new(Actor::ReviewLink(link.id), KeyScope::workspace(link.workspace_id), true);
        caller.policy = Policy::Client;
        caller.label = Some(link.label.clone());
        Ok(Some((link, caller)))
    }

    /// The posts a link shows, in the order they are meant to go out.
    pub async fn link_posts(&self, link: &ReviewLink, caller: &Caller) -> PostingResult<Vec<PostView>> {
        let mut conn = self.pool.get().await?;
        let mut posts = match (&link.post_id, &link.campaign) {
            (Some(id), _) => store::posts::get(&mut conn, &caller.scope, *id).await?.into_iter().collect(),
            (None, Some(c)) => {
                let filter = PostFilter { campaign: Some(c.clone()), ..Default::default() };
                store::posts::list(&mut conn, &caller.scope, &filter, 200, 0).await?.0
            }
            (None, None) => Vec::new(),
        };
        posts.retain(|v| v.post.archived_at.is_none());
        posts.sort_by_key(|v| (v.post.scheduled_at, v.post.created_at));
        Ok(posts)
    }

    async fn link_post(&self, link: &ReviewLink, caller: &Caller, id: PostId) -> PostingResult<PostView> {
        self.link_posts(link, caller).await?.into_iter().find(|v| v.post.id == id).ok_or(PostingError::PostNotFound)
    }

    /// A client's approval or rejection through a link, on the version shown to them:
    /// the client stage's step (or the legacy single stage's).
    pub async fn link_verdict(
        &self,
        link: &ReviewLink,
        caller: &Caller,
        id: PostId,
        verdict: Verdict,
        reason: Option<String>,
        version: Option<i32>,
    ) -> PostingResult<()> {
        let view = self.link_post(link, caller, id).await?;
        let action = match (view.post.review, verdict) {
            (Some(ReviewStatus::PendingApproval), Verdict::Approve) => ReviewAction::Approve,
            (Some(ReviewStatus::PendingApproval), Verdict::Reject) => ReviewAction::Reject,
            (_, Verdict::Approve) => ReviewAction::ClientApprove,
            (_, Verdict::Reject) => ReviewAction::ClientReject,
        };
        if action == ReviewAction::Reject
            && let Some(r) = reason.as_deref().filter(|r| !r.trim().is_empty())
        {
            self.comment_on(caller, id, r, None).await?;
        }
        self.review_version(caller, id, action, reason, version).await
    }

    pub async fn link_comment(
        &self,
        link: &ReviewLink,
        caller: &Caller,
        id: PostId,
        text: &str,
        anchor: Option<&serde_json::Value>,
    ) -> PostingResult<store::review::Comment> {
        self.link_post(link, caller, id).await?;
        self.comment_on(caller, id, text, anchor).await
    }

    pub async fn link_comments(
        &self,
        link: &ReviewLink,
        caller: &Caller,
        id: PostId,
    ) -> PostingResult<Vec<store::review::Comment>> {
        self.link_post(link, caller, id).await?;
        self.comments(caller, id).await
    }
}
