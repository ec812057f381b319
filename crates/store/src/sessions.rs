//! Dashboard sessions, looked up by the hash of the cookie's value.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::WorkspaceId;
use uuid::Uuid;

use crate::{
    Conn, StoreResult,
    schema::{memberships, sessions, users, workspaces},
};

/// A live session with what every page needs (fields in the order `find` selects them).
#[derive(Debug, Clone, Queryable)]
pub struct SessionRow {
    pub user_id: Uuid,
    pub email: String,
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
    pub role: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(
    conn: &mut Conn,
    token_hash: &str,
    user_id: Uuid,
    workspace_id: WorkspaceId,
    csrf_token: &str,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(token_hash),
            sessions::user_id.eq(user_id),
            sessions::workspace_id.eq(workspace_id),
            sessions::csrf_token.eq(csrf_token),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The session if it is live and its user still belongs to its workspace.
pub async fn find(conn: &mut Conn, token_hash: &str) -> StoreResult<Option<SessionRow>> {
    Ok(sessions::table
        .inner_join(users::table)
        .inner_join(workspaces::table)
        .inner_join(
            memberships::table.on(memberships::user_id
                .eq(sessions::user_id)
                .and(memberships::workspace_id.eq(sessions::workspace_id))),
        )
        .filter(sessions::token_hash.eq(token_hash))
        .filter(sessions::expires_at.gt(Utc::now()))
        .select((
            users::id,
            users::email,
            workspaces::id,
            workspaces::name,
            memberships::role,
            sessions::csrf_token,
            sessions::expires_at,
        ))
        .first::<SessionRow>(conn)
        .await
        .optional()?)
}

pub async fn switch_workspace(conn: &mut Conn, token_hash: &str, workspace_id: WorkspaceId) -> StoreResult<()> {
    diesel::update(sessions::table.find(token_hash)).set(sessions::workspace_id.eq(workspace_id)).execute(conn).await?;
    Ok(())
}

pub async fn delete(conn: &mut Conn, token_hash: &str) -> StoreResult<()> {
    diesel::delete(sessions::table.find(token_hash)).execute(conn).await?;
    Ok(())
}

pub async fn delete_expired(conn: &mut Conn) -> StoreResult<usize> {
    Ok(diesel::delete(sessions::table.filter(sessions::expires_at.le(Utc::now()))).execute(conn).await?)
}
