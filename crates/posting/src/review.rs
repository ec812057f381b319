//! Review steps and a workspace's review settings. The review status is the scheduler's:
//! a step is checked here against seed 002's diagram (a step that does not apply is a
//! refusal naming the current state) and sent to the scheduler with the state the caller
//! saw, so of two racing reviewers one wins and the other gets a conflict.

use domain::input::FieldError;
use domain::messages::SchedulerCommandV1;
use domain::{DeliveryMode, PostId, PostStatus, ReviewAction, ReviewStatus};
use store::review::{Comment, Settings};

use diesel_async::AsyncConnection;

use crate::caller::Policy;
use crate::{Caller, Posting, PostingError, PostingResult};

pub const MAX_REASON_CHARS: usize = 2_000;

fn stages(post: &store::models::PostRow, s: &Settings) -> domain::Stages {
    domain::Stages::of(post.requires_approval, s.requires_qa_approval, s.requires_client_approval)
}

/// A post in an active review stage is not published around its review.
pub(crate) fn not_held(post: &store::models::PostRow) -> PostingResult<()> {
    match post.review.filter(|r| r.holds_publishing()) {
        Some(r) => Err(PostingError::Conflict(format!(
            "The post is in review ({}); it is published once review approves it.",
            r.as_str()
        ))),
        None => Ok(()),
    }
}

/// After an edit: each text anchor is looked for in the new body — moved to where its
/// text is now, or flagged stale when the text is gone.
pub(crate) async fn reanchor(conn: &mut store::Conn, id: PostId) -> PostingResult<()> {
    let body = store::posts::lock(conn, id).await?.and_then(|p| p.body).unwrap_or_default();
    for c in store::review::comments(conn, id).await? {
        let Some(mut anchor) = c.anchor.clone() else { continue };
        if anchor.get("type").and_then(|t| t.as_str()) != Some("text") {
            continue;
        }
        let quoted = anchor.get("text").and_then(|t| t.as_str()).unwrap_or_default().to_owned();
        let near = anchor.get("offset").and_then(serde_json::Value::as_u64).unwrap_or(0) as usize;
        // The occurrence nearest the old place, counted in characters.
        let found = body
            .match_indices(quoted.as_str())
            .map(|(byte, _)| body[..byte].chars().count())
            .min_by_key(|at| at.abs_diff(near));
        match found {
            Some(at) => {
                anchor["offset"] = serde_json::json!(at);
                store::review::reanchor(conn, c.id, Some(&anchor), false).await?;
            }
            None => store::review::reanchor(conn, c.id, Some(&anchor), true).await?,
        }
    }
    Ok(())
}

/// What a client may do: approve or reject at the client stage (or the legacy single one).
fn client_may(action: ReviewAction, now: Option<ReviewStatus>) -> bool {
    use ReviewAction as A;
    use ReviewStatus as R;
    matches!(
        (action, now),
        (A::ClientApprove | A::ClientReject, _) | (A::Approve | A::Reject, Some(R::ClientReview | R::PendingApproval))
    )
}

fn approves(action: ReviewAction) -> bool {
    matches!(action, ReviewAction::QaApprove | ReviewAction::ClientApprove | ReviewAction::Approve)
}

/// A comment's anchor, checked: `{type: text, text ≤ 400, offset}` or a media item
/// (`{type: media, asset_id}` of the post, or the agency's `{type: image, mediaUrl}`).
pub fn check_anchor(anchor: &serde_json::Value, post: &store::posts::PostView) -> PostingResult<serde_json::Value> {
    use serde_json::{Value, json};
    const MAX_TEXT: usize = 400;
    const MAX_URL: usize = 1000;
    let kind = anchor.get("type").and_then(Value::as_str);
    match kind {
        Some("text") => {
            let Some(text) = anchor.get("text").and_then(Value::as_str).filter(|t| !t.trim().is_empty()) else {
                return Err(PostingError::field("anchor.text", "is required: the text the comment is about"));
            };
            if text.chars().count() > MAX_TEXT {
                return Err(PostingError::field("anchor.text", format!("must be at most {MAX_TEXT} characters")));
            }
            let offset = match anchor.get("offset") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_u64().ok_or_else(|| {
                    PostingError::field("anchor.offset", "must be a whole number of characters from the start")
                })?),
            };
            let body = post.post.body.clone().unwrap_or_default();
            let offset = offset.or_else(|| body.find(text).map(|b| body[..b].chars().count() as u64)).unwrap_or(0);
            Ok(json!({"type": "text", "text": text, "offset": offset}))
        }
        Some("media") => {
            let Some(asset) = anchor.get("asset_id").and_then(Value::as_str).and_then(|a| a.parse::<uuid::Uuid>().ok())
            else {
                return Err(PostingError::field("anchor.asset_id", "is required: the id of one of the post's media"));
            };
            if !post.media.iter().any(|(m, _)| m.asset_id == asset) {
                return Err(PostingError::field("anchor.asset_id", "is not one of this post's media"));
            }
            Ok(json!({"type": "media", "asset_id": asset}))
        }
        Some("image") => {
            let Some(url) = anchor.get("mediaUrl").and_then(Value::as_str).filter(|u| !u.is_empty()) else {
                return Err(PostingError::field("anchor.mediaUrl", "is required: the image the comment is about"));
            };
            if url.chars().count() > MAX_URL {
                return Err(PostingError::field("anchor.mediaUrl", format!("must be at most {MAX_URL} characters")));
            }
            Ok(json!({"type": "image", "mediaUrl": url}))
        }
        _ => Err(PostingError::field("anchor.type", "one of text, media (native) or image (agency)")),
    }
}

impl Posting {
    /// One review step on a draft, on the version the caller saw (`version`; `None`: the
    /// current one).
    pub async fn review(
        &self,
        caller: &Caller,
        id: PostId,
        action: ReviewAction,
        reason: Option<String>,
    ) -> PostingResult<()> {
        self.review_version(caller, id, action, reason, None).await
    }

    pub async fn review_version(
        &self,
        caller: &Caller,
        id: PostId,
        action: ReviewAction,
        reason: Option<String>,
        version: Option<i32>,
    ) -> PostingResult<()> {
        caller.require_review()?;
        let reason = reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
        if matches!(action, ReviewAction::QaReject | ReviewAction::ClientReject) {
            match &reason {
                None => return Err(PostingError::field("reason", "is required: say what to change")),
                Some(r) if r.chars().count() > MAX_REASON_CHARS => {
                    return Err(PostingError::field(
                        "reason",
                        format!("must be at most {MAX_REASON_CHARS} characters"),
                    ));
                }
                Some(_) => {}
            }
        }
        let mut conn = self.pool.get().await?;
        let post =
            store::posts::find_visible(&mut conn, &caller.scope, id, false).await?.ok_or(PostingError::PostNotFound)?;
        match caller.policy {
            Policy::Client if !client_may(action, post.review) => {
                return Err(PostingError::Forbidden(
                    "A client approves or rejects at the client stage, nothing else.".into(),
                ));
            }
            Policy::DraftOnly if action != ReviewAction::Submit => {
                return Err(PostingError::Forbidden(
                    "This key is draft_only: it submits posts for review; it never approves or rejects.".into(),
                ));
            }
            Policy::ApprovalRequired
                if approves(action) && post.created_by.as_deref() == Some(caller.actor.to_string().as_str()) =>
            {
                return Err(PostingError::Forbidden(
                    "This key is approval_required: it never approves a post it made; another reviewer does.".into(),
                ));
            }
            _ => {}
        }
        let now = post.review.map_or("not in review", |r| r.as_str());
        if post.status != PostStatus::Draft || post.archived_at.is_some() {
            return Err(PostingError::Validation(vec![FieldError::new(
                "status",
                format!("only drafts are reviewed; this post is {}", post.status),
            )]));
        }
        let settings = store::review::settings(&mut conn, post.workspace_id).await?;
        if matches!(caller.policy, Policy::DraftOnly | Policy::ApprovalRequired)
            && action == ReviewAction::Submit
            && stages(&post, &settings).first().is_none()
        {
            return Err(PostingError::Forbidden(format!(
                "This key is {}: submitting a post no review stage applies to would publish it; a person or a publish key submits it.",
                caller.policy.name()
            )));
        }
        if ReviewStatus::step(post.review, action, stages(&post, &settings)).is_none() {
            return Err(PostingError::Validation(vec![FieldError::new(
                "status",
                format!("this step does not apply: the post is {now}"),
            )]));
        }
        drop(conn);
        self.command(SchedulerCommandV1::Review {
            post_id: id,
            action,
            expected: post.review,
            reason,
            actor: caller.who(),
            version: Some(version.unwrap_or(post.version)),
        })
        .await
    }

    pub async fn settings(&self, caller: &Caller) -> PostingResult<Settings> {
        let mut conn = self.pool.get().await?;
        Ok(store::review::settings(&mut conn, caller.scope.workspace_id).await?)
    }

    /// Changes the workspace's review settings (a key that sees the whole workspace, an
    /// owner or an admin).
    pub async fn save_settings(&self, caller: &Caller, s: Settings) -> PostingResult<Settings> {
        caller.require_admin()?;
        let mut errors = Vec::new();
        if DeliveryMode::parse(&s.delivery_mode).is_none() {
            errors.push(FieldError::new("delivery_mode", "one of auto_publish, download_only, both"));
        }
        if s.timezone.parse::<chrono_tz::Tz>().is_err() {
            errors.push(FieldError::new("timezone", "an IANA time zone, e.g. Africa/Johannesburg"));
        }
        if !errors.is_empty() {
            return Err(PostingError::Validation(errors));
        }
        let mut conn = self.pool.get().await?;
        store::review::save_settings(&mut conn, caller.scope.workspace_id, &s).await?;
        Ok(store::review::settings(&mut conn, caller.scope.workspace_id).await?)
    }

    /// The comments on a post the caller may see, oldest first.
    pub async fn comments(&self, caller: &Caller, id: PostId) -> PostingResult<Vec<Comment>> {
        let mut conn = self.pool.get().await?;
        store::posts::find_visible(&mut conn, &caller.scope, id, false).await?.ok_or(PostingError::PostNotFound)?;
        Ok(store::review::comments(&mut conn, id).await?)
    }

    pub async fn comment(&self, caller: &Caller, id: PostId, text: &str) -> PostingResult<Comment> {
        self.comment_on(caller, id, text, None).await
    }

    /// A comment, optionally anchored; on the Publishing Log (and so the event feed and
    /// webhooks) as `comment.created`, in the same transaction.
    pub async fn comment_on(
        &self,
        caller: &Caller,
        id: PostId,
        text: &str,
        anchor: Option<&serde_json::Value>,
    ) -> PostingResult<Comment> {
        caller.require_review()?;
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_REASON_CHARS {
            return Err(PostingError::field("text", format!("must be 1 to {MAX_REASON_CHARS} characters")));
        }
        let mut conn = self.pool.get().await?;
        let view = store::posts::get(&mut conn, &caller.scope, id).await?.ok_or(PostingError::PostNotFound)?;
        let anchor = anchor.filter(|a| !a.is_null()).map(|a| check_anchor(a, &view)).transpose()?;
        let who = caller.who();
        let comment = conn
            .transaction::<Comment, PostingError, _>(async |conn| {
                let mut c = store::review::insert_comment(
                    conn,
                    store::review::NewComment {
                        post_id: id,
                        kind: "comment",
                        text,
                        author: &who,
                        anchor: anchor.as_ref(),
                    },
                )
                .await?;
                let quoted = anchor.as_ref().and_then(|a| a.get("text")).and_then(|t| t.as_str());
                // Words that are not in the post (quoted from an older version) are stale now.
                if quoted.is_some_and(|q| !view.post.body.as_deref().unwrap_or_default().contains(q)) {
                    store::review::reanchor(conn, c.id, anchor.as_ref(), true).await?;
                    c.stale = true;
                }
                let message = match quoted {
                    Some(q) => format!("{who} on “{}”: {}", preview(q), preview(text)),
                    None => format!("{who}: {}", preview(text)),
                };
                log(conn, &view.post, "comment.created", message).await?;
                Ok(c)
            })
            .await?;
        self.committed();
        Ok(comment)
    }

    /// Marks a comment picked up by an agent (no body; the first time counts).
    pub async fn pick_up_comment(&self, caller: &Caller, id: PostId, comment: uuid::Uuid) -> PostingResult<Comment> {
        caller.require_write()?;
        let mut conn = self.pool.get().await?;
        let post =
            store::posts::find_visible(&mut conn, &caller.scope, id, false).await?.ok_or(PostingError::PostNotFound)?;
        let who = caller.who();
        conn.transaction::<Comment, PostingError, _>(async |conn| {
            let before = store::review::comment(conn, id, comment).await?.ok_or(PostingError::CommentNotFound)?;
            let after = store::review::pick_up(conn, id, comment).await?.ok_or(PostingError::CommentNotFound)?;
            if before.picked_up_at.is_none() {
                log(conn, &post, "comment.picked_up", format!("{who} picked up comment {comment}")).await?;
            }
            Ok(after)
        })
        .await
    }

    /// Deletes a comment; a client only its own.
    pub async fn delete_comment(&self, caller: &Caller, id: PostId, comment: uuid::Uuid) -> PostingResult<()> {
        caller.require_review()?;
        let mut conn = self.pool.get().await?;
        let post =
            store::posts::find_visible(&mut conn, &caller.scope, id, false).await?.ok_or(PostingError::PostNotFound)?;
        let who = caller.who();
        conn.transaction::<(), PostingError, _>(async |conn| {
            let c = store::review::comment(conn, id, comment).await?.ok_or(PostingError::CommentNotFound)?;
            if caller.policy == Policy::Client && c.author != who {
                return Err(PostingError::Forbidden("A client deletes only its own comments.".into()));
            }
            store::review::delete_comment(conn, id, comment).await?;
            log(conn, &post, "comment.deleted", format!("{who} deleted comment {comment}")).await?;
            Ok(())
        })
        .await?;
        self.committed();
        Ok(())
    }

    /// A post's versions, oldest first.
    pub async fn versions(&self, caller: &Caller, id: PostId) -> PostingResult<Vec<store::versions::Version>> {
        let mut conn = self.pool.get().await?;
        store::posts::find_visible(&mut conn, &caller.scope, id, false).await?.ok_or(PostingError::PostNotFound)?;
        Ok(store::versions::list(&mut conn, id).await?)
    }
}

fn preview(s: &str) -> String {
    const MOST: usize = 120;
    let mut out: String = s.chars().take(MOST).collect();
    if s.chars().count() > MOST {
        out.push('…');
    }
    out
}

async fn log(conn: &mut store::Conn, post: &store::models::PostRow, kind: &str, message: String) -> PostingResult<()> {
    let mut entry = store::models::NewLogEntry::post(post.workspace_id, post.id, kind);
    entry.message = Some(message);
    store::publish_log::append(conn, &entry).await?;
    Ok(())
}

impl Posting {
    /// The vault: content that passed final approval, whether or not it was published,
    /// newest approval first; filtered by provider, label and approval time.
    pub async fn vault(
        &self,
        caller: &Caller,
        provider: Option<domain::Provider>,
        label: Option<&str>,
        from: Option<chrono::DateTime<chrono::Utc>>,
        to: Option<chrono::DateTime<chrono::Utc>>,
    ) -> PostingResult<Vec<store::posts::PostView>> {
        const PAGE: i64 = 500;
        const MOST: i64 = 10_000;
        let filter =
            store::posts::PostFilter { providers: provider.map(|p| vec![p.as_str().to_owned()]), ..Default::default() };
        let mut all = Vec::new();
        for page in 0.. {
            let crate::Page { posts, total } = self.list(caller, &filter, PAGE, page).await?;
            let done = posts.len() < PAGE as usize || (page + 1) * PAGE >= total.min(MOST);
            all.extend(posts);
            if done {
                break;
            }
        }
        all.retain(|v| {
            let p = &v.post;
            p.approved_at.is_some()
                && p.archived_at.is_none()
                && label.is_none_or(|l| p.labels.iter().any(|x| x == l))
                && from.is_none_or(|f| p.approved_at.is_some_and(|a| a >= f))
                && to.is_none_or(|t| p.approved_at.is_some_and(|a| a <= t))
        });
        all.sort_by_key(|v| std::cmp::Reverse(v.post.approved_at));
        Ok(all)
    }
}

impl Posting {
    /// The post's current version carries a final approval.
    fn approved_now(post: &store::models::PostRow) -> PostingResult<()> {
        if post.approved_at.is_some() && post.approved_version == Some(post.version) {
            Ok(())
        } else if post.approved_at.is_some() {
            Err(PostingError::Conflict("The post was edited after its approval; it needs approving again.".into()))
        } else {
            Err(PostingError::Conflict("Only approved posts are published or rescheduled this way.".into()))
        }
    }

    /// The client portal's publish-now and reschedule: an approved post (scheduled and not
    /// yet dispatched, or an approved draft) goes out now or at `at`. Not for a
    /// draft_only key, which never publishes.
    pub async fn release(
        &self,
        caller: &Caller,
        id: PostId,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> PostingResult<()> {
        caller.require_write()?;
        if caller.policy == Policy::DraftOnly {
            return Err(PostingError::Forbidden("This key is draft_only: it never publishes.".into()));
        }
        if let Some(t) = at
            && t < chrono::Utc::now() - chrono::Duration::minutes(1)
        {
            return Err(PostingError::field("scheduledAt", "must not be in the past"));
        }
        let mut conn = self.pool.get().await?;
        let view = store::posts::get(&mut conn, &caller.scope, id).await?.ok_or(PostingError::PostNotFound)?;
        let post = &view.post;
        if post.archived_at.is_some() {
            return Err(PostingError::Conflict("The post was deleted.".into()));
        }
        Self::approved_now(post)?;
        match post.status {
            PostStatus::Draft => {
                crate::acceptance::check_edited(
                    &mut conn,
                    caller,
                    &view,
                    &domain::input::PostPatch::default(),
                    None,
                    None,
                )
                .await?;
                drop(conn);
                self.command(SchedulerCommandV1::PublishDraft { post_id: id, scheduled_at: at }).await
            }
            PostStatus::Scheduled if post.dispatched_at.is_none() => {
                drop(conn);
                self.command(SchedulerCommandV1::UpdateScheduled {
                    post_id: id,
                    details: Box::default(),
                    body: None,
                    scheduled_at: Some(Some(at.unwrap_or_else(chrono::Utc::now))),
                    provider_options: None,
                    media: None,
                })
                .await
            }
            other => Err(PostingError::Conflict(format!(
                "The post is {other}; only approved posts not yet published are published now or rescheduled."
            ))),
        }
    }
}
