//! What a workspace requires of review, and the comments on a post. The review status
//! itself is the scheduler's (`transitions::review`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{PostId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    Conn, StoreResult,
    schema::{post_comments, workspace_settings},
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Queryable, Selectable)]
#[diesel(table_name = workspace_settings)]
pub struct Settings {
    pub requires_qa_approval: bool,
    pub requires_client_approval: bool,
    /// `auto_publish | download_only | both`
    pub delivery_mode: String,
    /// IANA zone.
    pub timezone: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            requires_qa_approval: false,
            requires_client_approval: false,
            delivery_mode: "auto_publish".into(),
            timezone: "UTC".into(),
        }
    }
}

pub async fn settings(conn: &mut Conn, ws: WorkspaceId) -> StoreResult<Settings> {
    Ok(workspace_settings::table
        .find(ws)
        .select(Settings::as_select())
        .first(conn)
        .await
        .optional()?
        .unwrap_or_default())
}

pub async fn save_settings(conn: &mut Conn, ws: WorkspaceId, s: &Settings) -> StoreResult<()> {
    let values = (
        workspace_settings::workspace_id.eq(ws),
        workspace_settings::requires_qa_approval.eq(s.requires_qa_approval),
        workspace_settings::requires_client_approval.eq(s.requires_client_approval),
        workspace_settings::delivery_mode.eq(&s.delivery_mode),
        workspace_settings::timezone.eq(&s.timezone),
        workspace_settings::updated_at.eq(Utc::now()),
    );
    diesel::insert_into(workspace_settings::table)
        .values(values)
        .on_conflict(workspace_settings::workspace_id)
        .do_update()
        .set(values)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = post_comments)]
pub struct Comment {
    pub id: Uuid,
    pub post_id: PostId,
    /// `comment | qa_rejection | client_rejection`
    pub kind: String,
    pub text: String,
    pub author: String,
    pub created_at: DateTime<Utc>,
    pub picked_up_at: Option<DateTime<Utc>>,
    /// What the comment is about: `{type: text, text, offset}` or a media item.
    pub anchor: Option<serde_json::Value>,
    /// The anchored text is no longer in the post.
    pub stale: bool,
    /// The version of the post it was made on.
    pub version: Option<i32>,
}

/// A comment to add; `anchor` already checked by the caller.
pub struct NewComment<'a> {
    pub post_id: PostId,
    pub kind: &'a str,
    pub text: &'a str,
    pub author: &'a str,
    pub anchor: Option<&'a serde_json::Value>,
}

pub async fn add_comment(
    conn: &mut Conn,
    post_id: PostId,
    kind: &str,
    text: &str,
    author: &str,
) -> StoreResult<Comment> {
    insert_comment(conn, NewComment { post_id, kind, text, author, anchor: None }).await
}

/// Adds a comment on the post's current version.
pub async fn insert_comment(conn: &mut Conn, c: NewComment<'_>) -> StoreResult<Comment> {
    let version =
        crate::schema::posts::table.find(c.post_id).select(crate::schema::posts::version.nullable()).single_value();
    Ok(diesel::insert_into(post_comments::table)
        .values((
            post_comments::id.eq(Uuid::now_v7()),
            post_comments::post_id.eq(c.post_id),
            post_comments::kind.eq(c.kind),
            post_comments::text.eq(c.text),
            post_comments::author.eq(c.author),
            post_comments::anchor.eq(c.anchor),
            post_comments::version.eq(version),
        ))
        .returning(Comment::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn comments(conn: &mut Conn, post_id: PostId) -> StoreResult<Vec<Comment>> {
    Ok(post_comments::table
        .filter(post_comments::post_id.eq(post_id))
        .order((post_comments::created_at.asc(), post_comments::id.asc()))
        .select(Comment::as_select())
        .load(conn)
        .await?)
}

pub async fn comment(conn: &mut Conn, post_id: PostId, id: Uuid) -> StoreResult<Option<Comment>> {
    Ok(post_comments::table
        .filter(post_comments::post_id.eq(post_id).and(post_comments::id.eq(id)))
        .select(Comment::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Marks a comment picked up by an agent (the first time counts); the comment after.
pub async fn pick_up(conn: &mut Conn, post_id: PostId, id: Uuid) -> StoreResult<Option<Comment>> {
    diesel::update(
        post_comments::table
            .filter(post_comments::post_id.eq(post_id).and(post_comments::id.eq(id)))
            .filter(post_comments::picked_up_at.is_null()),
    )
    .set(post_comments::picked_up_at.eq(Utc::now()))
    .execute(conn)
    .await?;
    comment(conn, post_id, id).await
}

pub async fn delete_comment(conn: &mut Conn, post_id: PostId, id: Uuid) -> StoreResult<bool> {
    let n =
        diesel::delete(post_comments::table.filter(post_comments::post_id.eq(post_id).and(post_comments::id.eq(id))))
            .execute(conn)
            .await?;
    Ok(n == 1)
}

/// Re-anchors a comment after an edit: its new anchor, or stale when the text is gone.
pub async fn reanchor(conn: &mut Conn, id: Uuid, anchor: Option<&serde_json::Value>, stale: bool) -> StoreResult<()> {
    diesel::update(post_comments::table.find(id))
        .set((post_comments::anchor.eq(anchor), post_comments::stale.eq(stale)))
        .execute(conn)
        .await?;
    Ok(())
}
