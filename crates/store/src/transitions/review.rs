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
    // An approval names the version it approved; every step is on the current version.
    let approval = approved_by.map(|who| {
        (
            posts::approved_at.eq(Some(now)),
            posts::approved_by.eq(Some(who)),
            posts::approved_version.eq(posts::version.nullable()),
        )
    });
    let changes = (
        posts::review.eq(to),
        approval,
        posts::review_version.eq(posts::version.nullable()),
        posts::rejection_count.eq(posts::rejection_count + i32::from(rejected)),
        posts::updated_at.eq(now),
    );
    let n = match from {
        Some(f) => diesel::update(target.filter(posts::review.eq(f))).set(changes).execute(conn).await?,
        None => diesel::update(target.filter(posts::review.is_null())).set(changes).execute(conn).await?,
    };
    Ok(n == 1)
}

/// After an edit: the post, in `from`, goes back to `to` for its new version, and any
/// approval it had is withdrawn. Only when the review round is on an older version.
pub async fn reset(conn: &mut Conn, id: PostId, from: ReviewStatus, to: Option<ReviewStatus>) -> StoreResult<bool> {
    let n = diesel::update(
        posts::table
            .filter(posts::id.eq(id))
            .filter(posts::status.eq(PostStatus::Draft))
            .filter(posts::review.eq(from))
            .filter(posts::review_version.is_distinct_from(posts::version.nullable())),
    )
    .set((
        posts::review.eq(to),
        posts::review_version.eq(posts::version.nullable()),
        posts::approved_at.eq(None::<chrono::DateTime<Utc>>),
        posts::approved_by.eq(None::<String>),
        posts::approved_version.eq(None::<i32>),
        posts::updated_at.eq(Utc::now()),
    ))
    .execute(conn)
    .await?;
    Ok(n == 1)
}
