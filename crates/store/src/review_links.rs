//! Review links: a client reviews one post, or a campaign's posts, without an account.
//! Only the SHA-256 of the link's secret is stored; a link expires and can be revoked.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{PostId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

use crate::{Conn, StoreResult, schema::review_links};

#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = review_links)]
pub struct ReviewLink {
    pub id: Uuid,
    #[serde(skip)]
    pub workspace_id: WorkspaceId,
    pub post_id: Option<PostId>,
    pub campaign: Option<String>,
    pub label: String,
    #[serde(skip)]
    pub token_hash: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub struct NewLink<'a> {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub post_id: Option<PostId>,
    pub campaign: Option<&'a str>,
    pub label: &'a str,
    pub token_hash: &'a str,
    pub created_by: &'a str,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(conn: &mut Conn, l: NewLink<'_>) -> StoreResult<ReviewLink> {
    Ok(diesel::insert_into(review_links::table)
        .values((
            review_links::id.eq(l.id),
            review_links::workspace_id.eq(l.workspace_id),
            review_links::post_id.eq(l.post_id),
            review_links::campaign.eq(l.campaign),
            review_links::label.eq(l.label),
            review_links::token_hash.eq(l.token_hash),
            review_links::created_by.eq(l.created_by),
            review_links::expires_at.eq(l.expires_at),
        ))
        .returning(ReviewLink::as_returning())
        .get_result(conn)
        .await?)
}

/// A link that still works: not revoked, not expired.
pub async fn open_by_hash(conn: &mut Conn, token_hash: &str) -> StoreResult<Option<ReviewLink>> {
    Ok(review_links::table
        .filter(review_links::token_hash.eq(token_hash))
        .filter(review_links::revoked_at.is_null())
        .filter(review_links::expires_at.gt(Utc::now()))
        .select(ReviewLink::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn list(conn: &mut Conn, workspace_id: WorkspaceId) -> StoreResult<Vec<ReviewLink>> {
    Ok(review_links::table
        .filter(review_links::workspace_id.eq(workspace_id))
        .order(review_links::created_at.desc())
        .select(ReviewLink::as_select())
        .load(conn)
        .await?)
}

pub async fn revoke(conn: &mut Conn, workspace_id: WorkspaceId, id: Uuid) -> StoreResult<bool> {
    let n = diesel::update(
        review_links::table
            .filter(review_links::workspace_id.eq(workspace_id).and(review_links::id.eq(id)))
            .filter(review_links::revoked_at.is_null()),
    )
    .set(review_links::revoked_at.eq(Utc::now()))
    .execute(conn)
    .await?;
    Ok(n == 1)
}
