//! People who sign in to the dashboard, and the workspaces they belong to.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::WorkspaceId;
use uuid::Uuid;

use crate::{
    Conn, StoreResult,
    schema::{memberships, users, workspaces},
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

/// A workspace as one of its members sees it.
#[derive(Debug, Clone)]
pub struct Membership {
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
    pub role: String,
}

pub async fn any_exist(conn: &mut Conn) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(users::table.select(users::id))).get_result(conn).await?)
}

pub async fn by_email(conn: &mut Conn, email: &str) -> StoreResult<Option<UserRow>> {
    Ok(users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = lower(")
                .bind::<diesel::sql_types::Text, _>(email)
                .sql(")"),
        )
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn by_id(conn: &mut Conn, id: Uuid) -> StoreResult<Option<UserRow>> {
    Ok(users::table.find(id).select(UserRow::as_select()).first(conn).await.optional()?)
}

/// Inserts a user; `false` when the e-mail address is taken (case-insensitively).
pub async fn insert(conn: &mut Conn, id: Uuid, email: &str, password_hash: &str) -> StoreResult<bool> {
    let n = diesel::insert_into(users::table)
        .values((users::id.eq(id), users::email.eq(email), users::password_hash.eq(password_hash)))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(n == 1)
}

pub async fn set_password(conn: &mut Conn, id: Uuid, password_hash: &str) -> StoreResult<()> {
    diesel::update(users::table.find(id)).set(users::password_hash.eq(password_hash)).execute(conn).await?;
    Ok(())
}

pub async fn add_member(conn: &mut Conn, user_id: Uuid, workspace_id: WorkspaceId, role: &str) -> StoreResult<()> {
    diesel::insert_into(memberships::table)
        .values((
            memberships::user_id.eq(user_id),
            memberships::workspace_id.eq(workspace_id),
            memberships::role.eq(role),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// The user's workspaces, oldest membership first (the first is where a sign-in lands).
pub async fn memberships(conn: &mut Conn, user_id: Uuid) -> StoreResult<Vec<Membership>> {
    let rows: Vec<(WorkspaceId, String, String)> = memberships::table
        .inner_join(workspaces::table)
        .filter(memberships::user_id.eq(user_id))
        .order((memberships::created_at.asc(), workspaces::name.asc()))
        .select((workspaces::id, workspaces::name, memberships::role))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(workspace_id, workspace_name, role)| Membership { workspace_id, workspace_name, role })
        .collect())
}

pub async fn is_member(conn: &mut Conn, user_id: Uuid, workspace_id: WorkspaceId) -> StoreResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        memberships::table.filter(memberships::user_id.eq(user_id).and(memberships::workspace_id.eq(workspace_id))),
    ))
    .get_result(conn)
    .await?)
}

/// The members of a workspace: (email, role, joined).
pub async fn members(conn: &mut Conn, workspace_id: WorkspaceId) -> StoreResult<Vec<(String, String, DateTime<Utc>)>> {
    Ok(memberships::table
        .inner_join(users::table)
        .filter(memberships::workspace_id.eq(workspace_id))
        .order(memberships::created_at.asc())
        .select((users::email, memberships::role, memberships::created_at))
        .load(conn)
        .await?)
}

/// The user's role in a workspace, if a member.
pub async fn role(conn: &mut Conn, user_id: Uuid, workspace_id: WorkspaceId) -> StoreResult<Option<String>> {
    Ok(memberships::table
        .filter(memberships::user_id.eq(user_id).and(memberships::workspace_id.eq(workspace_id)))
        .select(memberships::role)
        .first(conn)
        .await
        .optional()?)
}

/// Changes a member's role; an owner's role is not changed here (a workspace keeps its
/// owner). Returns whether a member changed.
pub async fn set_role(conn: &mut Conn, workspace_id: WorkspaceId, email: &str, role: &str) -> StoreResult<bool> {
    let Some(user) = by_email(conn, email).await? else { return Ok(false) };
    let n = diesel::update(
        memberships::table
            .filter(memberships::workspace_id.eq(workspace_id))
            .filter(memberships::user_id.eq(user.id))
            .filter(memberships::role.ne("owner")),
    )
    .set(memberships::role.eq(role))
    .execute(conn)
    .await?;
    Ok(n == 1)
}
