//! The review layer (the scheduler's, like the post workflow): seed 002's steps applied to
//! a draft, each conditional on the review status the caller saw. A final approval is
//! `vaulted` under download_only, else `approved`, and — when the post has a date and the
//! workspace publishes — the draft enters the publishing workflow in the same transaction.
//! A rejection records the reason as a comment and queues the assistant's rewrite
//! (`regenerating`), or hands the post back (`changes_requested`) when no model is set.

use diesel_async::AsyncConnection;
use domain::messages::{CommandReplyV1, PostAcceptedV1, RewriteRequestedV1};
use domain::{DeliveryMode, PostId, PostStatus, ReviewAction, ReviewStatus, ReviewStep, Stages};
use store::models::{NewLogEntry, PostRow};
use store::{StoreError, publish_log, transitions::review};

use crate::app::Ctx;

/// The stages that apply to a post: its own override, else its workspace's.
pub fn stages(post: &PostRow, settings: &store::review::Settings) -> Stages {
    Stages::of(post.requires_approval, settings.requires_qa_approval, settings.requires_client_approval)
}

/// One review step as the gateway sent it.
pub struct Step {
    pub action: ReviewAction,
    /// The review status the caller saw.
    pub expected: Option<ReviewStatus>,
    pub reason: Option<String>,
    pub actor: String,
    /// The version the caller saw.
    pub version: Option<i32>,
}

/// The stages a round starts again at after an edit, from where the post was.
fn restart(from: ReviewStatus, stages: Stages) -> Option<Option<ReviewStatus>> {
    use ReviewStatus as R;
    match from {
        R::QaReview | R::ClientReview | R::Approved | R::Vaulted => Some(stages.first()),
        R::PendingApproval => Some(Some(stages.first().unwrap_or(R::PendingApproval))),
        // Rewriting or with the author: the next submit starts the round.
        R::Regenerating | R::ChangesRequested => None,
    }
}

async fn log(conn: &mut store::Conn, post: &PostRow, message: String) -> Result<(), StoreError> {
    let mut entry = NewLogEntry::post(post.workspace_id, post.id, "post.review");
    entry.message = Some(message);
    publish_log::append(conn, &entry).await
}

/// A draft in review was edited into `version`: the round restarts there (the safety net
/// for a lost command is in `apply`, which does the same before any step).
pub async fn edited(ctx: &Ctx, post_id: PostId, version: i32) -> Result<CommandReplyV1, StoreError> {
    let mut conn = ctx.pool.get().await?;
    conn.transaction::<(), StoreError, _>(async |conn| {
        let Some(post) = store::posts::lock(conn, post_id).await? else { return Ok(()) };
        if post.version == version {
            restart_if_edited(conn, &post).await?;
        }
        Ok(())
    })
    .await?;
    Ok(CommandReplyV1::Done)
}

/// Restarts the round when the post changed since it began; whether it did.
async fn restart_if_edited(conn: &mut store::Conn, post: &PostRow) -> Result<bool, StoreError> {
    let Some(from) = post.review else { return Ok(false) };
    if post.status != PostStatus::Draft || post.review_version.is_none_or(|v| v == post.version) {
        return Ok(false);
    }
    let settings = store::review::settings(conn, post.workspace_id).await?;
    let Some(to) = restart(from, stages(post, &settings)) else { return Ok(false) };
    if !review::reset(conn, post.id, from, to).await? {
        return Ok(false);
    }
    let to = to.map_or("not in review", |r| r.as_str());
    let withdrawn = match post.approved_version {
        Some(v) => format!("; the approval of version {v} is withdrawn"),
        None => String::new(),
    };
    log(conn, post, format!("edited into version {}: {} → {to}{withdrawn}", post.version, from.as_str())).await?;
    Ok(true)
}

pub async fn apply(ctx: &Ctx, post_id: PostId, step: Step) -> Result<CommandReplyV1, StoreError> {
    let Step { action, expected, reason, actor, version } = step;
    let mut conn = ctx.pool.get().await?;
    let rewrites = ctx.assistant.endpoint(assistant::Task::Rewrite).is_ok();
    let answer = conn
        .transaction::<CommandReplyV1, StoreError, _>(async |conn| {
            let Some(post) = store::posts::lock(conn, post_id).await? else { return Ok(CommandReplyV1::NotFound) };
            if post.status != PostStatus::Draft || post.archived_at.is_some() {
                return Ok(CommandReplyV1::Conflict {
                    detail: format!("The post is {}; only drafts are reviewed.", post.status),
                });
            }
            if restart_if_edited(conn, &post).await? {
                return Ok(CommandReplyV1::Conflict {
                    detail: format!(
                        "The post was edited since this review round began; version {} starts the round again.",
                        post.version
                    ),
                });
            }
            if let Some(seen) = version.filter(|v| *v != post.version) {
                return Ok(CommandReplyV1::Conflict {
                    detail: format!(
                        "The post changed: you reviewed version {seen}, it is now version {}.",
                        post.version
                    ),
                });
            }
            if post.review != expected {
                let now = post.review.map_or("not in review", |r| r.as_str());
                return Ok(CommandReplyV1::Conflict {
                    detail: format!("Another review step came first: the post is now {now}."),
                });
            }
            let settings = store::review::settings(conn, post.workspace_id).await?;
            let Some(step) = ReviewStatus::step(post.review, action, stages(&post, &settings)) else {
                let now = post.review.map_or("not in review", |r| r.as_str());
                return Ok(CommandReplyV1::Conflict {
                    detail: format!("This step does not apply to a post in {now}."),
                });
            };
            let moved = match step {
                ReviewStep::To(next) => review::set(conn, post_id, post.review, Some(next), None, false).await?,
                ReviewStep::Leave => review::set(conn, post_id, post.review, None, None, false).await?,
                ReviewStep::Final => {
                    let mode = DeliveryMode::parse(&settings.delivery_mode).unwrap_or(DeliveryMode::AutoPublish);
                    let to =
                        if mode == DeliveryMode::DownloadOnly { ReviewStatus::Vaulted } else { ReviewStatus::Approved };
                    let moved = review::set(conn, post_id, post.review, Some(to), Some(&actor), false).await?;
                    if moved && mode != DeliveryMode::DownloadOnly && post.scheduled_at.is_some() {
                        store::transitions::posts::publish_draft(conn, post_id, post.scheduled_at).await?;
                        bus::relay::enqueue_event(
                            conn,
                            &ctx.names,
                            &PostAcceptedV1 { post_id, workspace_id: post.workspace_id },
                        )
                        .await?;
                        publish_log::append(conn, &NewLogEntry::post(post.workspace_id, post_id, "post.accepted"))
                            .await?;
                    }
                    moved
                }
                ReviewStep::Rejected => {
                    let kind = match action {
                        ReviewAction::QaReject => Some("qa_rejection"),
                        ReviewAction::ClientReject => Some("client_rejection"),
                        _ => None,
                    };
                    if let (Some(kind), Some(reason)) = (kind, reason.as_deref()) {
                        store::review::add_comment(conn, post_id, kind, reason, &actor).await?;
                    }
                    let to = if rewrites { ReviewStatus::Regenerating } else { ReviewStatus::ChangesRequested };
                    let moved = review::set(conn, post_id, post.review, Some(to), None, kind.is_some()).await?;
                    if moved && rewrites {
                        let feedback: Vec<String> = store::review::comments(conn, post_id)
                            .await?
                            .into_iter()
                            .filter(|c| c.kind != "comment")
                            .map(|c| c.text)
                            .collect();
                        let feedback =
                            if feedback.is_empty() { vec!["Improve the post.".to_owned()] } else { feedback };
                        let job =
                            store::rewrites::insert(conn, uuid::Uuid::now_v7(), post_id, post.workspace_id, &feedback)
                                .await?;
                        bus::relay::enqueue_event(conn, &ctx.names, &RewriteRequestedV1 { job_id: job.id, post_id })
                            .await?;
                    }
                    moved
                }
            };
            if moved {
                let after = store::posts::lock(conn, post_id).await?.and_then(|p| p.review);
                let to = after.map_or("not in review", |r| r.as_str());
                let from = post.review.map_or("draft", |r| r.as_str());
                log(conn, &post, format!("{} (version {}): {from} → {to} by {actor}", action.as_str(), post.version))
                    .await?;
            }
            Ok(if moved {
                CommandReplyV1::Done
            } else {
                CommandReplyV1::Conflict { detail: "Another review step came first; read the post again.".into() }
            })
        })
        .await?;
    ctx.relay_wake.notify_one();
    ctx.dispatch_wake.notify_one();
    Ok(answer)
}

/// After a rewrite: back to QA review, or to the author when the rewrite failed.
pub async fn rewritten(conn: &mut store::Conn, post_id: PostId, ok: bool) -> Result<(), StoreError> {
    let to = if ok { ReviewStatus::QaReview } else { ReviewStatus::ChangesRequested };
    review::set(conn, post_id, Some(ReviewStatus::Regenerating), Some(to), None, false).await?;
    Ok(())
}
