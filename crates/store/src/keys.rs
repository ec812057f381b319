use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::{ProfileId, WorkspaceId};
use uuid::Uuid;

use crate::{Conn, StoreResult, models::ApiKeyRow, schema::api_keys};

/// A live (not revoked) key by the hash of its secret.
pub async fn find_active_by_hash(conn: &mut Conn, key_hash: &str) -> StoreResult<Option<ApiKeyRow>> {
    Ok(api_keys::table
        .filter(api_keys::key_hash.eq(key_hash))
        .filter(api_keys::revoked_at.is_null())
        .select(ApiKeyRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Records use at most once a minute per key, so reads do not become a write each.
pub async fn touch(conn: &mut Conn, id: Uuid) -> StoreResult<()> {
    let stale = Utc::now() - chrono::Duration::seconds(60);
    diesel::update(api_keys::table)
        .filter(api_keys::id.eq(id))
        .filter(api_keys::last_used_at.is_null().or(api_keys::last_used_at.lt(stale)))
        .set(api_keys::last_used_at.eq(Utc::now()))
        .execute(conn)
        .await?;
    Ok(())
}

pub struct NewKey<'a> {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub name: &'a str,
    pub key_prefix: &'a str,
    pub key_hash: &'a str,
    pub permission: &'a str,
    pub providers: Option<Vec<String>>,
    pub profile_ids: Option<Vec<ProfileId>>,
    pub policy: &'a str,
}

pub async fn insert(conn: &mut Conn, k: NewKey<'_>) -> StoreResult<()> {
    diesel::insert_into(api_keys::table)
        .values((
            api_keys::id.eq(k.id),
            api_keys::workspace_id.eq(k.workspace_id),
            api_keys::name.eq(k.name),
            api_keys::key_prefix.eq(k.key_prefix),
            api_keys::key_hash.eq(k.key_hash),
            api_keys::permission.eq(k.permission),
            api_keys::providers.eq(k.providers),
            api_keys::profile_ids.eq(k.profile_ids),
            api_keys::policy.eq(k.policy),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The workspace's keys, newest first, revoked ones included (the page shows them as such).
pub async fn list(conn: &mut Conn, workspace_id: WorkspaceId) -> StoreResult<Vec<ApiKeyRow>> {
    Ok(api_keys::table
        .filter(api_keys::workspace_id.eq(workspace_id))
        .order(api_keys::created_at.desc())
        .select(ApiKeyRow::as_select())
        .load(conn)
        .await?)
}

/// Revokes a key of this workspace; `false` when there is no such live key.
pub async fn revoke_in(conn: &mut Conn, workspace_id: WorkspaceId, id: Uuid) -> StoreResult<bool> {
    let n = diesel::update(api_keys::table)
        .filter(api_keys::id.eq(id).and(api_keys::workspace_id.eq(workspace_id)).and(api_keys::revoked_at.is_null()))
        .set(api_keys::revoked_at.eq(Utc::now()))
        .execute(conn)
        .await?;
    Ok(n == 1)
}

/// Whether the key still works (not revoked): long-lived requests (the event feed) ask
/// again while they run.
pub async fn is_active(conn: &mut Conn, id: Uuid) -> StoreResult<bool> {
    let n: i64 = api_keys::table
        .filter(api_keys::id.eq(id).and(api_keys::revoked_at.is_null()))
        .count()
        .get_result(conn)
        .await?;
    Ok(n == 1)
}
