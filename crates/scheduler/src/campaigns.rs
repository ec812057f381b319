//! A campaign's schedule, applied all or nothing: every post is locked and checked
//! against what the planner saw (a draft, the same review status and version) before
//! anything is written; one that changed refuses the whole, and nothing is scheduled.

use diesel_async::AsyncConnection;
use domain::messages::{CampaignSlotV1, CommandReplyV1, PostAcceptedV1};
use domain::{PostStatus, ReviewStatus};
use store::models::NewLogEntry;
use store::{StoreError, publish_log, transitions::review};

use crate::app::Ctx;

pub async fn schedule(ctx: &Ctx, mut slots: Vec<CampaignSlotV1>, actor: String) -> Result<CommandReplyV1, StoreError> {
    // One lock order for every caller: two schedules over the same posts cannot deadlock.
    slots.sort_by_key(|s| s.post_id);
    let mut conn = ctx.pool.get().await?;
    let answer = conn
        .transaction::<CommandReplyV1, StoreError, _>(async |conn| {
            for s in &slots {
                let Some(post) = store::posts::lock(conn, s.post_id).await? else {
                    return Ok(CommandReplyV1::Conflict {
                        detail: format!("Post {} no longer exists; nothing was scheduled.", s.post_id),
                    });
                };
                if post.status != PostStatus::Draft
                    || post.archived_at.is_some()
                    || post.review != s.expected
                    || post.version != s.version
                {
                    return Ok(CommandReplyV1::Conflict {
                        detail: format!(
                            "Post {} changed since the schedule was worked out; nothing was scheduled. Ask again.",
                            s.post_id
                        ),
                    });
                }
            }
            for s in &slots {
                if s.approve
                    && !review::set(conn, s.post_id, s.expected, Some(ReviewStatus::Approved), Some(&actor), false)
                        .await?
                {
                    // Locked and checked above: cannot happen; undo everything if it does.
                    return Err(StoreError::Db(diesel::result::Error::RollbackTransaction));
                }
                let Some(post) =
                    store::transitions::posts::publish_draft(conn, s.post_id, Some(s.scheduled_at)).await?
                else {
                    return Err(StoreError::Db(diesel::result::Error::RollbackTransaction));
                };
                bus::relay::enqueue_event(
                    conn,
                    &ctx.names,
                    &PostAcceptedV1 { post_id: post.id, workspace_id: post.workspace_id },
                )
                .await?;
                let mut entry = NewLogEntry::post(post.workspace_id, post.id, "post.accepted");
                entry.message = Some(format!("scheduled by a campaign schedule ({actor})"));
                publish_log::append(conn, &entry).await?;
            }
            Ok(CommandReplyV1::Done)
        })
        .await?;
    ctx.relay_wake.notify_one();
    ctx.dispatch_wake.notify_one();
    Ok(answer)
}

/// New times for scheduled posts (a posting queue reshuffled), all or nothing: each post
/// must still be scheduled, undispatched, at the time the mover saw.
pub async fn reschedule(ctx: &Ctx, mut moves: Vec<domain::messages::MoveV1>) -> Result<CommandReplyV1, StoreError> {
    moves.sort_by_key(|m| m.post_id);
    let mut conn = ctx.pool.get().await?;
    let answer = conn
        .transaction::<CommandReplyV1, StoreError, _>(async |conn| {
            for m in &moves {
                let post = store::posts::lock(conn, m.post_id).await?;
                let unchanged = post.is_some_and(|p| {
                    p.status == PostStatus::Scheduled && p.dispatched_at.is_none() && p.scheduled_at == Some(m.from)
                });
                if !unchanged {
                    return Ok(CommandReplyV1::Conflict {
                        detail: format!("Post {} moved or started meanwhile; nothing was rescheduled.", m.post_id),
                    });
                }
            }
            for m in &moves {
                let edit = store::posts::Edit { scheduled_at: Some(Some(m.to)), ..Default::default() };
                if !store::posts::edit(conn, m.post_id, PostStatus::Scheduled, edit).await? {
                    return Err(StoreError::Db(diesel::result::Error::RollbackTransaction));
                }
            }
            Ok(CommandReplyV1::Done)
        })
        .await?;
    ctx.dispatch_wake.notify_one();
    Ok(answer)
}
