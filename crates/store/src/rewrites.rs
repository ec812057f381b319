//! Rewrite jobs: a draft's body rewritten by the assistant after review feedback.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{PostId, WorkspaceId};
use uuid::Uuid;

use crate::{Conn, StoreResult, schema::rewrite_jobs};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rewrite_jobs)]
pub struct RewriteJob {
    pub id: Uuid,
    pub post_id: PostId,
    pub workspace_id: WorkspaceId,
    pub feedback: Vec<String>,
    /// `queued | running | done | failed`
    pub status: String,
    pub attempts: i32,
    pub body_before: Option<String>,
    pub body_after: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

pub async fn insert(
    conn: &mut Conn,
    id: Uuid,
    post_id: PostId,
    workspace_id: WorkspaceId,
    feedback: &[String],
) -> StoreResult<RewriteJob> {
    Ok(diesel::insert_into(rewrite_jobs::table)
        .values((
            rewrite_jobs::id.eq(id),
            rewrite_jobs::post_id.eq(post_id),
            rewrite_jobs::workspace_id.eq(workspace_id),
            rewrite_jobs::feedback.eq(feedback),
        ))
        .returning(RewriteJob::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn of_post(conn: &mut Conn, post_id: PostId) -> StoreResult<Vec<RewriteJob>> {
    Ok(rewrite_jobs::table
        .filter(rewrite_jobs::post_id.eq(post_id))
        .order(rewrite_jobs::created_at.desc())
        .select(RewriteJob::as_select())
        .load(conn)
        .await?)
}

/// Takes a queued job (or one whose runner vanished `stale` ago) for this runner: one
/// runner at a time, whatever the copies of its message.
pub async fn start(conn: &mut Conn, id: Uuid, stale: chrono::Duration) -> StoreResult<Option<RewriteJob>> {
    let cutoff = Utc::now() - stale;
    Ok(diesel::update(rewrite_jobs::table.find(id))
        .filter(
            rewrite_jobs::status
                .eq("queued")
                .or(rewrite_jobs::status.eq("running").and(rewrite_jobs::started_at.lt(cutoff))),
        )
        .set((
            rewrite_jobs::status.eq("running"),
            rewrite_jobs::attempts.eq(rewrite_jobs::attempts + 1),
            rewrite_jobs::started_at.eq(Utc::now()),
        ))
        .returning(RewriteJob::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// The job ends: `done` with the new body, or `failed` with why.
pub async fn finish(
    conn: &mut Conn,
    id: Uuid,
    before: Option<&str>,
    after: Option<&str>,
    error: Option<&str>,
) -> StoreResult<()> {
    diesel::update(rewrite_jobs::table.find(id).filter(rewrite_jobs::status.eq("running")))
        .set((
            rewrite_jobs::status.eq(if error.is_some() { "failed" } else { "done" }),
            rewrite_jobs::body_before.eq(before),
            rewrite_jobs::body_after.eq(after),
            rewrite_jobs::error.eq(error),
            rewrite_jobs::finished_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Back to the queue for another try (the model server was away).
pub async fn requeue(conn: &mut Conn, id: Uuid, why: &str) -> StoreResult<()> {
    diesel::update(rewrite_jobs::table.find(id).filter(rewrite_jobs::status.eq("running")))
        .set((rewrite_jobs::status.eq("queued"), rewrite_jobs::error.eq(why)))
        .execute(conn)
        .await?;
    Ok(())
}
