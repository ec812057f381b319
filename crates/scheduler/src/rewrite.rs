//! Rewrite jobs: a draft's body rewritten by the operator's model after review feedback,
//! within every target platform's limits (the assistant's guards). The job is taken by one
//! runner (a conditional update), the model called, and the new body written only while
//! the post is still a draft. A model server that is away is tried again later; anything
//! else ends the job `failed` with the reason.

use bus::{Handled, Incoming};
use diesel_async::AsyncConnection;
use domain::messages::RewriteRequestedV1;
use domain::{PostStatus, Provider};
use store::posts;

use crate::app::Ctx;

/// Tries before a job whose model server stays away ends failed.
const MAX_ATTEMPTS: i32 = 3;

pub async fn handle(ctx: &Ctx, m: &Incoming) -> Handled {
    let e = match m.decode::<RewriteRequestedV1>() {
        Ok(e) => e,
        Err(err) => return Handled::Poison(err.to_string()),
    };
    match run(ctx, e).await {
        Ok(handled) => handled,
        Err(err) => Handled::Retry(err.to_string()),
    }
}

async fn run(ctx: &Ctx, e: RewriteRequestedV1) -> Result<Handled, store::StoreError> {
    let mut conn = ctx.pool.get().await?;
    // A copy of a message whose job another runner holds, or that ended, has nothing to do.
    let Some(job) = store::rewrites::start(&mut conn, e.job_id, chrono::Duration::minutes(2)).await? else {
        return Ok(Handled::Ack);
    };
    let Some(view) = posts::view(&mut conn, job.post_id).await? else {
        store::rewrites::finish(&mut conn, job.id, None, None, Some("the post no longer exists")).await?;
        return Ok(Handled::Ack);
    };
    let before = view.post.body.clone().unwrap_or_default();
    if view.post.status != PostStatus::Draft || view.post.archived_at.is_some() {
        store::rewrites::finish(&mut conn, job.id, Some(&before), None, Some("the post is no longer a draft")).await?;
        return Ok(Handled::Ack);
    }
    let targets: Vec<Provider> = view.deliveries.iter().map(|(d, _)| d.provider).collect();
    drop(conn);
    let outcome = ctx.assistant.rewrite(&before, &job.feedback, &targets).await;
    let mut conn = ctx.pool.get().await?;
    match outcome {
        Ok(after) => {
            // The new text is a new version, and the review round (back in QA) is on it.
            let written = conn
                .transaction::<bool, store::StoreError, _>(async |conn| {
                    let edit = posts::Edit { body: Some(Some(after.as_str())), ..Default::default() };
                    if !posts::edit(conn, job.post_id, PostStatus::Draft, edit).await? {
                        return Ok(false);
                    }
                    store::versions::record(conn, job.post_id, "assistant", true).await?;
                    store::rewrites::finish(conn, job.id, Some(&before), Some(&after), None).await?;
                    crate::review::rewritten(conn, job.post_id, true).await?;
                    Ok(true)
                })
                .await?;
            if written {
                tracing::info!(job_id = %job.id, post_id = %job.post_id, "draft rewritten");
            } else {
                let why = "the post left draft while it was being rewritten";
                store::rewrites::finish(&mut conn, job.id, Some(&before), None, Some(why)).await?;
            }
            Ok(Handled::Ack)
        }
        Err(assistant::AssistantError::Unavailable(why)) if job.attempts < MAX_ATTEMPTS => {
            store::rewrites::requeue(&mut conn, job.id, &why).await?;
            Ok(Handled::Retry(format!("rewrite {}: the model server is away ({why})", job.id)))
        }
        Err(err) => {
            store::rewrites::finish(&mut conn, job.id, Some(&before), None, Some(&err.to_string())).await?;
            crate::review::rewritten(&mut conn, job.post_id, false).await?;
            Ok(Handled::Ack)
        }
    }
}
