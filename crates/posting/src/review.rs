//! Review steps and a workspace's review settings. The review status is the scheduler's:
//! a step is checked here against seed 002's diagram (a step that does not apply is a
//! refusal naming the current state) and sent to the scheduler with the state the caller
//! saw, so of two racing reviewers one wins and the other gets a conflict.

use domain::input::FieldError;
use domain::messages::SchedulerCommandV1;
use domain::{DeliveryMode, PostId, PostStatus, ReviewAction, ReviewStatus};
use store::review::{Comment, Settings};

use crate::{Caller, Posting, PostingError, PostingResult};

pub const MAX_REASON_CHARS: usize = 2_000;

fn stages(post: &store::models::PostRow, s: &Settings) -> domain::Stages {
    domain::Stages::of(post.requires_approval, s.requires_qa_approval, s.requires_client_approval)
}

impl Posting {
    /// One review step on a draft.
    pub async fn review(
        &self,
        caller: &Caller,
        id: PostId,
        action: ReviewAction,
        reason: Option<String>,
    ) -> PostingResult<()> {
        caller.require_write()?;
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
        let now = post.review.map_or("not in review", |r| r.as_str());
        if post.status != PostStatus::Draft || post.archived_at.is_some() {
            return Err(PostingError::Validation(vec![FieldError::new(
                "status",
                format!("only drafts are reviewed; this post is {}", post.status),
            )]));
        }
        let settings = store::review::settings(&mut conn, post.workspace_id).await?;
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
            actor: caller.actor.to_string(),
        })
        .await
    }

    pub async fn settings(&self, caller: &Caller) -> PostingResult<Settings> {
        let mut conn = self.pool.get().await?;
        Ok(store::review::settings(&mut conn, caller.scope.workspace_id).await?)
    }

    /// Changes the workspace's review settings (a key that sees the whole workspace).
    pub async fn save_settings(&self, caller: &Caller, s: Settings) -> PostingResult<Settings> {
        caller.require_write()?;
        caller.require_whole_workspace()?;
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
        caller.require_write()?;
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_REASON_CHARS {
            return Err(PostingError::field("text", format!("must be 1 to {MAX_REASON_CHARS} characters")));
        }
        let mut conn = self.pool.get().await?;
        store::posts::find_visible(&mut conn, &caller.scope, id, false).await?.ok_or(PostingError::PostNotFound)?;
        Ok(store::review::add_comment(&mut conn, id, "comment", text, &caller.actor.to_string()).await?)
    }
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
