//! Asking for a draft to be rewritten by the assistant after review feedback: a job row and
//! its message, in one transaction; the scheduler runs it.

use diesel_async::AsyncConnection;
use domain::messages::RewriteRequestedV1;
use domain::{PostId, PostStatus};
use store::{posts, rewrites::RewriteJob};
use uuid::Uuid;

use crate::{Caller, Posting, PostingError, PostingResult};

pub const MAX_FEEDBACK: usize = 20;
pub const MAX_FEEDBACK_CHARS: usize = 2_000;

impl Posting {
    /// Queues a rewrite of a draft with the reviewers' feedback.
    pub async fn request_rewrite(
        &self,
        caller: &Caller,
        id: PostId,
        feedback: Vec<String>,
    ) -> PostingResult<RewriteJob> {
        caller.require_write()?;
        if feedback.is_empty() || feedback.len() > MAX_FEEDBACK {
            return Err(PostingError::field("feedback", format!("give 1 to {MAX_FEEDBACK} comments")));
        }
        if let Some(i) = feedback.iter().position(|f| f.trim().is_empty() || f.chars().count() > MAX_FEEDBACK_CHARS) {
            return Err(PostingError::field(
                format!("feedback[{i}]"),
                format!("must be 1 to {MAX_FEEDBACK_CHARS} characters"),
            ));
        }
        let mut conn = self.pool.get().await?;
        let names = &self.names;
        let job = conn
            .transaction::<RewriteJob, PostingError, _>(async |conn| {
                let post =
                    posts::find_visible(conn, &caller.scope, id, true).await?.ok_or(PostingError::PostNotFound)?;
                if post.status != PostStatus::Draft || post.archived_at.is_some() {
                    return Err(PostingError::Conflict(format!(
                        "Only drafts are rewritten; this post is {}.",
                        post.status
                    )));
                }
                let job = store::rewrites::insert(conn, Uuid::now_v7(), id, post.workspace_id, &feedback).await?;
                bus::relay::enqueue_event(conn, names, &RewriteRequestedV1 { job_id: job.id, post_id: id })
                    .await
                    .map_err(PostingError::from)?;
                Ok(job)
            })
            .await?;
        self.committed();
        Ok(job)
    }

    /// The rewrite jobs of a post the caller may see, newest first.
    pub async fn rewrites(&self, caller: &Caller, id: PostId) -> PostingResult<Vec<RewriteJob>> {
        let mut conn = self.pool.get().await?;
        posts::find_visible(&mut conn, &caller.scope, id, false).await?.ok_or(PostingError::PostNotFound)?;
        Ok(store::rewrites::of_post(&mut conn, id).await?)
    }
}
