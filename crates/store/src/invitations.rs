//! Invitations to join a workspace, redeemed once through a link with a secret token.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::WorkspaceId;
use uuid::Uuid;

use crate::{
    Conn, StoreResult,
    schema::{invitations, workspaces},
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invitations)]
pub struct InvitationRow {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub email: String,
    pub token_hash: String,
    pub invited_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    /// The role the invitee joins with.
    pub role: String,
}

pub async fn insert(
    conn: &mut Conn,
    workspace_id: WorkspaceId,
    email: &str,
    token_hash: &str,
    invited_by: Uuid,
    expires_at: DateTime<Utc>,
    role: &str,
) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    diesel::insert_into(invitations::table)
        .values((
            invitations::id.eq(id),
            invitations::workspace_id.eq(workspace_id),
            invitations::email.eq(email),
            invitations::token_hash.eq(token_hash),
            invitations::invited_by.eq(invited_by),
            invitations::expires_at.eq(expires_at),
            invitations::role.eq(role),
        ))
        .execute(conn)
        .await?;
    Ok(id)
}

/// An open invitation (not accepted, not expired) with its workspace's name.
pub async fn open_by_token(conn: &mut Conn, token_hash: &str) -> StoreResult<Option<(InvitationRow, String)>> {
    Ok(invitations::table
        .inner_join(workspaces::table)
        .filter(invitations::token_hash.eq(token_hash))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::expires_at.gt(Utc::now()))
        .select((InvitationRow::as_select(), workspaces::name))
        .first(conn)
        .await
        .optional()?)
}

/// Marks an invitation used; `false` when someone used it first.
pub async fn accept(conn: &mut Conn, id: Uuid) -> StoreResult<bool> {
    let n = diesel::update(invitations::table.find(id).filter(invitations::accepted_at.is_null()))
        .set(invitations::accepted_at.eq(Utc::now()))
        .execute(conn)
        .await?;
    Ok(n == 1)
}

pub async fn list(conn: &mut Conn, workspace_id: WorkspaceId) -> StoreResult<Vec<InvitationRow>> {
    Ok(invitations::table
        .filter(invitations::workspace_id.eq(workspace_id))
        .order(invitations::created_at.desc())
        .limit(50)
        .select(InvitationRow::as_select())
        .load(conn)
        .await?)
}
