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
}

pub async fn add_comment(
    conn: &mut Conn,
    post_id: PostId,
    kind: &str,
    text: &str,
    author: &str,
) -> StoreResult<Comment> {
    Ok(diesel::insert_into(post_comments::table)
        .values((
            post_comments::id.eq(Uuid::now_v7()),
            post_comments::post_id.eq(post_id),
            post_comments::kind.eq(kind),
            post_comments::text.eq(text),
            post_comments::author.eq(author),
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
