//! The review layer's transitions: the scheduler's alone (feature `post-transitions`, as
//! the post workflow's). Every change is conditional on the status the step started from,
//! so of two racing reviewers one wins.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{PostId, PostStatus, ReviewStatus};

use crate::{Conn, StoreResult, schema::posts};

/// `from` → `to` on a draft (`None`: out of review). With `approved_by`, the approval is
/// recorded; a rejection counts. Returns whether this call made the change.
pub async fn set(
    conn: &mut Conn,
    id: PostId,
    from: Option<ReviewStatus>,
    to: Option<ReviewStatus>,
    approved_by: Option<&str>,
    rejected: bool,
) -> StoreResult<bool> {
    let target = posts::table.filter(posts::id.eq(id)).filter(posts::status.eq(PostStatus::Draft));
    let now = Utc::now();
    let approval = approved_by.map(|who| (posts::approved_at.eq(Some(now)), posts::approved_by.eq(Some(who))));
    let n = match from {
        Some(f) => {
            diesel::update(target.filter(posts::review.eq(f)))
                .set((
                    posts::review.eq(to),
                    approval,
                    posts::rejection_count.eq(posts::rejection_count + i32::from(rejected)),
                    posts::updated_at.eq(now),
                ))
                .execute(conn)
                .await?
        }
        None => {
            diesel::update(target.filter(posts::review.is_null()))
                .set((
                    posts::review.eq(to),
                    approval,
                    posts::rejection_count.eq(posts::rejection_count + i32::from(rejected)),
                    posts::updated_at.eq(now),
                ))
                .execute(conn)
                .await?
        }
    };
    Ok(n == 1)
}
