//! Campaigns: a name, a status, a client type and a content calendar; posts join one by
//! naming its id in `posts.campaign`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::WorkspaceId;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::{Conn, StoreResult, schema::campaigns};

#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = campaigns)]
pub struct Campaign {
    pub id: Uuid,
    #[serde(skip)]
    pub workspace_id: WorkspaceId,
    pub name: String,
    /// `draft | active | archived`
    pub status: String,
    pub client_type: Option<String>,
    /// Day entries `{day, date, pillar_id, channel, format, title, week}`.
    pub calendar: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a create or an edit sets (`None`: unchanged on an edit).
#[derive(Debug, Default, Clone)]
pub struct Fields {
    pub name: Option<String>,
    pub status: Option<String>,
    pub client_type: Option<Option<String>>,
    pub calendar: Option<Value>,
}

pub async fn insert(conn: &mut Conn, id: Uuid, ws: WorkspaceId, f: &Fields) -> StoreResult<Campaign> {
    Ok(diesel::insert_into(campaigns::table)
        .values((
            campaigns::id.eq(id),
            campaigns::workspace_id.eq(ws),
            campaigns::name.eq(f.name.clone().unwrap_or_default()),
            campaigns::status.eq(f.status.clone().unwrap_or_else(|| "draft".into())),
            campaigns::client_type.eq(f.client_type.clone().flatten()),
            campaigns::calendar.eq(f.calendar.clone().unwrap_or_else(|| Value::Array(Vec::new()))),
        ))
        .returning(Campaign::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn update(conn: &mut Conn, ws: WorkspaceId, id: Uuid, f: &Fields) -> StoreResult<Option<Campaign>> {
    Ok(diesel::update(campaigns::table.filter(campaigns::workspace_id.eq(ws).and(campaigns::id.eq(id))))
        .set((
            f.name.as_ref().map(|n| campaigns::name.eq(n)),
            f.status.as_ref().map(|s| campaigns::status.eq(s)),
            f.client_type.as_ref().map(|c| campaigns::client_type.eq(c.clone())),
            f.calendar.as_ref().map(|c| campaigns::calendar.eq(c.clone())),
            campaigns::updated_at.eq(Utc::now()),
        ))
        .returning(Campaign::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn get(conn: &mut Conn, ws: WorkspaceId, id: Uuid) -> StoreResult<Option<Campaign>> {
    Ok(campaigns::table
        .filter(campaigns::workspace_id.eq(ws).and(campaigns::id.eq(id)))
        .select(Campaign::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Newest first; `status` filters.
pub async fn list(conn: &mut Conn, ws: WorkspaceId, status: Option<&str>) -> StoreResult<Vec<Campaign>> {
    let mut q = campaigns::table.filter(campaigns::workspace_id.eq(ws)).into_boxed();
    if let Some(s) = status {
        q = q.filter(campaigns::status.eq(s.to_owned()));
    }
    Ok(q.order(campaigns::created_at.desc()).select(Campaign::as_select()).load(conn).await?)
}

pub async fn delete(conn: &mut Conn, ws: WorkspaceId, id: Uuid) -> StoreResult<bool> {
    let n = diesel::delete(campaigns::table.filter(campaigns::workspace_id.eq(ws).and(campaigns::id.eq(id))))
        .execute(conn)
        .await?;
    Ok(n == 1)
}
