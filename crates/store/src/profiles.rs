use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::ProfileId;

use crate::{
    Conn, KeyScope, StoreResult,
    models::{NewProfile, ProfileRow},
    schema::{deliveries, profiles},
};

fn visible(scope: &KeyScope) -> profiles::BoxedQuery<'static, diesel::pg::Pg> {
    let mut q = profiles::table.filter(profiles::workspace_id.eq(scope.workspace_id)).into_boxed();
    if let Some(p) = &scope.providers {
        q = q.filter(profiles::provider.eq_any(p.clone()));
    }
    if let Some(ids) = &scope.profile_ids {
        q = q.filter(profiles::id.eq_any(ids.clone()));
    }
    q
}

/// Profiles the key may see, with how many posts each carries.
pub async fn list(conn: &mut Conn, scope: &KeyScope) -> StoreResult<Vec<(ProfileRow, i64)>> {
    let rows: Vec<ProfileRow> = visible(scope)
        .order((profiles::created_at.asc(), profiles::id.asc()))
        .select(ProfileRow::as_select())
        .load(conn)
        .await?;
    let ids: Vec<ProfileId> = rows.iter().map(|r| r.id).collect();
    let counts: Vec<(ProfileId, i64)> = deliveries::table
        .filter(deliveries::profile_id.eq_any(&ids))
        .group_by(deliveries::profile_id)
        .select((deliveries::profile_id, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let n = counts.iter().find(|(id, _)| *id == r.id).map_or(0, |(_, n)| *n);
            (r, n)
        })
        .collect())
}

pub async fn get(conn: &mut Conn, scope: &KeyScope, id: ProfileId) -> StoreResult<Option<(ProfileRow, i64)>> {
    let row: Option<ProfileRow> =
        visible(scope).filter(profiles::id.eq(id)).select(ProfileRow::as_select()).first(conn).await.optional()?;
    let Some(row) = row else { return Ok(None) };
    let n: i64 = deliveries::table.filter(deliveries::profile_id.eq(id)).count().get_result(conn).await?;
    Ok(Some((row, n)))
}

/// The profiles among `ids` that the key may see, in the workspace.
pub async fn find_many(conn: &mut Conn, scope: &KeyScope, ids: &[ProfileId]) -> StoreResult<Vec<ProfileRow>> {
    Ok(visible(scope).filter(profiles::id.eq_any(ids.to_vec())).select(ProfileRow::as_select()).load(conn).await?)
}

pub async fn by_id(conn: &mut Conn, id: ProfileId) -> StoreResult<Option<ProfileRow>> {
    Ok(profiles::table.find(id).select(ProfileRow::as_select()).first(conn).await.optional()?)
}

/// Marks a profile disconnected; history stays. Returns false if it already was.
pub async fn disconnect(conn: &mut Conn, id: ProfileId) -> StoreResult<bool> {
    let now = Utc::now();
    let n = diesel::update(profiles::table)
        .filter(profiles::id.eq(id).and(profiles::status.ne(domain::ProfileStatus::Disconnected)))
        .set((
            profiles::status.eq(domain::ProfileStatus::Disconnected),
            profiles::disconnected_at.eq(now),
            profiles::access_token.eq(None::<String>),
            profiles::refresh_token.eq(None::<String>),
            profiles::is_default.eq(false),
            profiles::updated_at.eq(now),
        ))
        .execute(conn)
        .await?;
    Ok(n == 1)
}

/// No provider call for the profile before `until` (a 429's Retry-After); never shortens.
pub async fn hold_until(conn: &mut Conn, id: ProfileId, until: chrono::DateTime<Utc>) -> StoreResult<()> {
    diesel::update(profiles::table.filter(profiles::id.eq(id)))
        .filter(profiles::not_before.is_null().or(profiles::not_before.lt(until)))
        .set(profiles::not_before.eq(until))
        .execute(conn)
        .await?;
    Ok(())
}

/// active → reauth_required: the provider refused the profile's token.
pub async fn require_reauth(conn: &mut Conn, id: ProfileId) -> StoreResult<bool> {
    let n = diesel::update(
        profiles::table.filter(profiles::id.eq(id).and(profiles::status.eq(domain::ProfileStatus::Active))),
    )
    .set((profiles::status.eq(domain::ProfileStatus::ReauthRequired), profiles::updated_at.eq(Utc::now())))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// New tokens (already encrypted) after a refresh or a reconnect; the profile is active again.
pub async fn set_tokens(
    conn: &mut Conn,
    id: ProfileId,
    access: &str,
    refresh: Option<&str>,
    expires_at: Option<chrono::DateTime<Utc>>,
) -> StoreResult<()> {
    diesel::update(profiles::table.filter(profiles::id.eq(id)))
        .set((
            profiles::access_token.eq(access),
            profiles::refresh_token.eq(refresh),
            profiles::expires_at.eq(expires_at),
            profiles::status.eq(domain::ProfileStatus::Active),
            profiles::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Connects (or reconnects) a profile: one row per workspace, provider and account.
pub async fn upsert_connected(conn: &mut Conn, p: &NewProfile) -> StoreResult<ProfileRow> {
    Ok(diesel::insert_into(profiles::table)
        .values(p)
        .on_conflict((profiles::workspace_id, profiles::provider, profiles::external_id))
        .do_update()
        .set((
            profiles::name.eq(&p.name),
            profiles::username.eq(&p.username),
            profiles::picture_url.eq(&p.picture_url),
            profiles::access_token.eq(&p.access_token),
            profiles::refresh_token.eq(&p.refresh_token),
            profiles::expires_at.eq(p.expires_at),
            profiles::status.eq(domain::ProfileStatus::Active),
            profiles::disconnected_at.eq(None::<chrono::DateTime<Utc>>),
            profiles::updated_at.eq(Utc::now()),
        ))
        .returning(ProfileRow::as_returning())
        .get_result(conn)
        .await?)
}

/// Active profiles whose token expires before `before` and can be refreshed, locked for
/// this caller (other workers skip them).
pub async fn lock_due_for_refresh(
    conn: &mut Conn,
    before: chrono::DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<ProfileRow>> {
    Ok(profiles::table
        .filter(profiles::status.eq(domain::ProfileStatus::Active))
        .filter(profiles::refresh_token.is_not_null())
        .filter(profiles::expires_at.lt(before))
        .limit(limit)
        .for_update()
        .skip_locked()
        .select(ProfileRow::as_select())
        .load(conn)
        .await?)
}

pub async fn insert(conn: &mut Conn, p: &NewProfile) -> StoreResult<()> {
    diesel::insert_into(profiles::table).values(p).execute(conn).await?;
    Ok(())
}

/// The profile, locked for update until the transaction ends (token refresh is one at a
/// time per profile).
pub async fn lock(conn: &mut Conn, id: ProfileId) -> StoreResult<Option<ProfileRow>> {
    Ok(profiles::table.find(id).select(ProfileRow::as_select()).for_update().first(conn).await.optional()?)
}

/// Makes the profile its platform's default in its workspace, clearing the one before.
pub async fn set_default(conn: &mut Conn, p: &ProfileRow) -> StoreResult<()> {
    use diesel_async::AsyncConnection;
    let (ws, provider, id) = (p.workspace_id, p.provider, p.id);
    conn.transaction::<(), crate::StoreError, _>(async |conn| {
        diesel::update(profiles::table)
            .filter(profiles::workspace_id.eq(ws).and(profiles::provider.eq(provider)).and(profiles::id.ne(id)))
            .filter(profiles::is_default)
            .set(profiles::is_default.eq(false))
            .execute(conn)
            .await?;
        diesel::update(profiles::table.find(id))
            .set((profiles::is_default.eq(true), profiles::updated_at.eq(Utc::now())))
            .execute(conn)
            .await?;
        Ok(())
    })
    .await
}

/// Descriptive fields of a profile; `None` leaves one as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = profiles)]
pub struct ProfileMeta {
    pub name: Option<String>,
    pub username: Option<Option<String>>,
    pub picture_url: Option<Option<String>>,
    pub profile_url: Option<Option<String>>,
    pub account_type: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub platform_meta: Option<serde_json::Value>,
}

pub async fn update_meta(conn: &mut Conn, id: ProfileId, meta: &ProfileMeta) -> StoreResult<()> {
    diesel::update(profiles::table.find(id)).set((meta, profiles::updated_at.eq(Utc::now()))).execute(conn).await?;
    Ok(())
}
