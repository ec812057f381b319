//! The engagement inbox: items known once per (profile, platform item) however they
//! arrived (a poll, a webhook, a caller), and the polling job of each profile whose
//! platform has an inbox, claimed by the collector with `FOR UPDATE SKIP LOCKED`.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Double, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::{PostId, ProfileId, WorkspaceId};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    Conn, StoreResult,
    schema::{inbox_items, inbox_polls},
};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = inbox_items)]
pub struct ItemRow {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub profile_id: ProfileId,
    pub provider: String,
    pub kind: String,
    pub platform_item_id: String,
    pub platform_url: Option<String>,
    pub from_name: Option<String>,
    pub from_username: Option<String>,
    pub from_avatar_url: Option<String>,
    pub from_profile_url: Option<String>,
    pub content: String,
    pub about_platform_id: Option<String>,
    pub root_platform_id: Option<String>,
    pub post_id: Option<PostId>,
    pub status: String,
    pub priority: String,
    pub sentiment: Option<String>,
    pub can_reply: bool,
    pub can_hide: bool,
    pub can_delete: bool,
    pub source: String,
    pub received_at: DateTime<Utc>,
    pub replied_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Stores the items not known yet (by profile and platform id) and returns those; an item
/// about one of our published posts is linked to it. Known items are left as they are, so
/// a second poll, a webhook repeating a poll, or a redelivered webhook adds nothing.
pub async fn ingest(conn: &mut Conn, items: &[ItemRow]) -> StoreResult<Vec<ItemRow>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: Vec<ItemRow> = diesel::insert_into(inbox_items::table)
        .values(items)
        .on_conflict_do_nothing()
        .returning(ItemRow::as_returning())
        .get_results(conn)
        .await?;
    link_posts(conn, &mut rows).await?;
    Ok(rows)
}

#[derive(QueryableByName)]
struct Linked {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    post_id: Uuid,
}

/// Links new items to the post of ours they are about: a published delivery (or part) of
/// the same profile with that platform id.
async fn link_posts(conn: &mut Conn, rows: &mut [ItemRow]) -> StoreResult<()> {
    let ids: Vec<Uuid> = rows.iter().filter(|r| r.about_platform_id.is_some()).map(|r| r.id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let linked: Vec<Linked> = diesel::sql_query(
        "UPDATE inbox_items i SET post_id = d.post_id FROM deliveries d \
         WHERE i.id = ANY($1) AND d.profile_id = i.profile_id \
           AND (d.provider_post_id IN (i.about_platform_id, i.root_platform_id) \
             OR EXISTS (SELECT 1 FROM delivery_parts p WHERE p.delivery_id = d.id \
                        AND p.provider_post_id IN (i.about_platform_id, i.root_platform_id))) \
         RETURNING i.id, d.post_id",
    )
    .bind::<Array<SqlUuid>, _>(&ids)
    .load(conn)
    .await?;
    for l in linked {
        if let Some(r) = rows.iter_mut().find(|r| r.id == l.id) {
            r.post_id = Some(PostId(l.post_id));
        }
    }
    Ok(())
}

/// What a list asks for; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub provider: Option<String>,
    pub profile: Option<ProfileId>,
    pub priority: Option<String>,
}

/// A page of the workspace's items, newest first, after the item `after` (a cursor).
pub async fn list(
    conn: &mut Conn,
    scope: &crate::KeyScope,
    f: &Filter,
    after: Option<&ItemRow>,
    limit: i64,
) -> StoreResult<Vec<ItemRow>> {
    let mut q = inbox_items::table.filter(inbox_items::workspace_id.eq(scope.workspace_id)).into_boxed();
    if let Some(ps) = &scope.providers {
        q = q.filter(inbox_items::provider.eq_any(ps.clone()));
    }
    if let Some(ids) = &scope.profile_ids {
        q = q.filter(inbox_items::profile_id.eq_any(ids.clone()));
    }
    if let Some(s) = &f.status {
        q = q.filter(inbox_items::status.eq(s.clone()));
    }
    if let Some(k) = &f.kind {
        q = q.filter(inbox_items::kind.eq(k.clone()));
    }
    if let Some(p) = &f.provider {
        q = q.filter(inbox_items::provider.eq(p.clone()));
    }
    if let Some(p) = f.profile {
        q = q.filter(inbox_items::profile_id.eq(p));
    }
    if let Some(p) = &f.priority {
        q = q.filter(inbox_items::priority.eq(p.clone()));
    }
    if let Some(a) = after {
        q = q.filter(
            inbox_items::created_at
                .lt(a.created_at)
                .or(inbox_items::created_at.eq(a.created_at).and(inbox_items::id.lt(a.id))),
        );
    }
    Ok(q.order((inbox_items::created_at.desc(), inbox_items::id.desc()))
        .limit(limit)
        .select(ItemRow::as_select())
        .load(conn)
        .await?)
}

pub async fn get(conn: &mut Conn, workspace: WorkspaceId, id: Uuid) -> StoreResult<Option<ItemRow>> {
    Ok(inbox_items::table
        .filter(inbox_items::workspace_id.eq(workspace).and(inbox_items::id.eq(id)))
        .select(ItemRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Sets the status and/or priority; `None` when the workspace has no such item.
pub async fn update(
    conn: &mut Conn,
    workspace: WorkspaceId,
    id: Uuid,
    status: Option<&str>,
    priority: Option<&str>,
) -> StoreResult<Option<ItemRow>> {
    let target = inbox_items::table.filter(inbox_items::workspace_id.eq(workspace).and(inbox_items::id.eq(id)));
    Ok(diesel::update(target)
        .set((
            status.map(|s| inbox_items::status.eq(s.to_owned())),
            priority.map(|p| inbox_items::priority.eq(p.to_owned())),
            inbox_items::updated_at.eq(Utc::now()),
        ))
        .returning(ItemRow::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn delete(conn: &mut Conn, workspace: WorkspaceId, id: Uuid) -> StoreResult<bool> {
    let n =
        diesel::delete(inbox_items::table.filter(inbox_items::workspace_id.eq(workspace).and(inbox_items::id.eq(id))))
            .execute(conn)
            .await?;
    Ok(n > 0)
}

/// Records that post `post` is a reply answering `to` (in the post's own transaction).
pub async fn answer(conn: &mut Conn, post: PostId, to: &domain::inbox::ReplyTo) -> StoreResult<()> {
    use crate::schema::post_replies;
    diesel::insert_into(post_replies::table)
        .values((
            post_replies::post_id.eq(post),
            post_replies::item_id.eq(to.item_id),
            post_replies::platform_item_id.eq(&to.platform_item_id),
            post_replies::root_platform_id.eq(&to.root_platform_id),
            post_replies::item_url.eq(&to.item_url),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The replies made to an item, oldest first, as (post id, its status): what the team sent.
pub async fn replies_of(conn: &mut Conn, item: Uuid) -> StoreResult<Vec<(PostId, domain::PostStatus)>> {
    use crate::schema::{post_replies, posts};
    Ok(post_replies::table
        .inner_join(posts::table)
        .filter(post_replies::item_id.eq(item))
        .order(posts::created_at.asc())
        .select((posts::id, posts::status))
        .load(conn)
        .await?)
}

/// The profile a webhook names: every connected profile of that provider and account id.
pub async fn profiles_of_account(
    conn: &mut Conn,
    provider: domain::Provider,
    external_id: &str,
) -> StoreResult<Vec<crate::models::ProfileRow>> {
    use crate::schema::profiles;
    Ok(profiles::table
        .filter(profiles::provider.eq(provider).and(profiles::external_id.eq(external_id)))
        .filter(profiles::status.eq(domain::ProfileStatus::Active))
        .select(crate::models::ProfileRow::as_select())
        .load(conn)
        .await?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = inbox_polls)]
pub struct PollRow {
    pub profile_id: ProfileId,
    pub workspace_id: WorkspaceId,
    pub cursors: Value,
    pub due_at: DateTime<Utc>,
    pub claimed_until: Option<DateTime<Utc>>,
    pub polled_at: Option<DateTime<Utc>>,
    pub failures: i32,
    pub last_error: Option<String>,
}

/// A polling job for every active profile of the `providers` that have an inbox.
pub async fn enroll(conn: &mut Conn, providers: &[&str]) -> StoreResult<usize> {
    let providers: Vec<String> = providers.iter().map(|p| (*p).to_owned()).collect();
    Ok(diesel::sql_query(
        "INSERT INTO inbox_polls (profile_id, workspace_id, due_at) \
         SELECT p.id, p.workspace_id, now() FROM profiles p \
         WHERE p.status = 'active' AND p.provider = ANY($1) \
           AND NOT EXISTS (SELECT 1 FROM inbox_polls j WHERE j.profile_id = p.id) \
         ON CONFLICT DO NOTHING",
    )
    .bind::<Array<Text>, _>(&providers)
    .execute(conn)
    .await?)
}

#[derive(QueryableByName)]
struct ClaimedRow {
    #[diesel(sql_type = SqlUuid)]
    profile_id: Uuid,
}

/// Claims up to `limit` due polls of active profiles (or, with `only`, the workspace's
/// own, due or not: a poll asked for now), for `lease`.
pub async fn claim(
    conn: &mut Conn,
    limit: i64,
    lease: Duration,
    only: Option<WorkspaceId>,
) -> StoreResult<Vec<ProfileId>> {
    let rows: Vec<ClaimedRow> = diesel::sql_query(
        "UPDATE inbox_polls SET claimed_until = now() + make_interval(secs => $2) \
         WHERE profile_id IN ( \
           SELECT j.profile_id FROM inbox_polls j JOIN profiles p ON p.id = j.profile_id \
           WHERE ($3::uuid IS NULL AND j.due_at <= now() OR j.workspace_id = $3) \
             AND (j.claimed_until IS NULL OR j.claimed_until < now()) \
             AND p.status = 'active' \
           ORDER BY j.due_at LIMIT $1 FOR UPDATE OF j SKIP LOCKED) \
         RETURNING profile_id",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Double, _>(lease.num_milliseconds() as f64 / 1000.0)
    .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(only.map(|w| w.0))
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| ProfileId(r.profile_id)).collect())
}

pub async fn poll_of(conn: &mut Conn, profile: ProfileId) -> StoreResult<Option<PollRow>> {
    Ok(inbox_polls::table.find(profile).select(PollRow::as_select()).first(conn).await.optional()?)
}

/// A poll that went through: its new cursors kept (in the same transaction as its items),
/// the next one due.
pub async fn polled(conn: &mut Conn, profile: ProfileId, cursors: &Value, next: DateTime<Utc>) -> StoreResult<()> {
    diesel::update(inbox_polls::table.find(profile))
        .set((
            inbox_polls::cursors.eq(cursors),
            inbox_polls::due_at.eq(next),
            inbox_polls::claimed_until.eq(None::<DateTime<Utc>>),
            inbox_polls::polled_at.eq(Utc::now()),
            inbox_polls::failures.eq(0),
            inbox_polls::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A poll that failed: counted, the error kept, retried at `retry_at`.
pub async fn poll_failed(conn: &mut Conn, profile: ProfileId, why: &str, retry_at: DateTime<Utc>) -> StoreResult<i32> {
    Ok(diesel::update(inbox_polls::table.find(profile))
        .set((
            inbox_polls::due_at.eq(retry_at),
            inbox_polls::claimed_until.eq(None::<DateTime<Utc>>),
            inbox_polls::failures.eq(inbox_polls::failures + 1),
            inbox_polls::last_error.eq(why),
        ))
        .returning(inbox_polls::failures)
        .get_result(conn)
        .await?)
}

/// Gives a claimed poll back untouched (the caps were full).
pub async fn unclaim(conn: &mut Conn, profile: ProfileId) -> StoreResult<()> {
    diesel::update(inbox_polls::table.find(profile))
        .set(inbox_polls::claimed_until.eq(None::<DateTime<Utc>>))
        .execute(conn)
        .await?;
    Ok(())
}

/// The platform ids of the profile's latest published posts (what Graph API comments are
/// read under), newest first.
pub async fn recent_posts(conn: &mut Conn, profile: ProfileId, limit: i64) -> StoreResult<Vec<(String, String)>> {
    use crate::schema::deliveries;
    let rows: Vec<(Option<String>, Option<String>)> = deliveries::table
        .filter(deliveries::profile_id.eq(profile))
        .filter(deliveries::status.eq(domain::DeliveryStatus::Published))
        .order(deliveries::published_at.desc())
        .limit(limit)
        .select((deliveries::provider_post_id, deliveries::url))
        .load(conn)
        .await?;
    Ok(rows.into_iter().filter_map(|(id, url)| Some((id?, url.unwrap_or_default()))).collect())
}

pub async fn by_platform_id(
    conn: &mut Conn,
    profile: ProfileId,
    platform_item_id: &str,
) -> StoreResult<Option<ItemRow>> {
    Ok(inbox_items::table
        .filter(inbox_items::profile_id.eq(profile).and(inbox_items::platform_item_id.eq(platform_item_id)))
        .select(ItemRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Makes every poll of the workspace due at `at` (a poll asked for then).
pub async fn due_now(conn: &mut Conn, workspace: WorkspaceId, at: DateTime<Utc>) -> StoreResult<usize> {
    Ok(diesel::update(inbox_polls::table.filter(inbox_polls::workspace_id.eq(workspace)))
        .set(inbox_polls::due_at.eq(at))
        .execute(conn)
        .await?)
}

/// How many of the workspace's polls of active profiles have not ended since `asked`
/// (an ended poll, read or failed, is next due later).
pub async fn pending_polls(conn: &mut Conn, workspace: WorkspaceId, asked: DateTime<Utc>) -> StoreResult<i64> {
    use crate::schema::profiles;
    Ok(inbox_polls::table
        .inner_join(profiles::table)
        .filter(inbox_polls::workspace_id.eq(workspace))
        .filter(inbox_polls::due_at.le(asked))
        .filter(profiles::status.eq(domain::ProfileStatus::Active))
        .count()
        .get_result(conn)
        .await?)
}

/// Items the workspace's polls stored since `since`.
pub async fn polled_since(conn: &mut Conn, workspace: WorkspaceId, since: DateTime<Utc>) -> StoreResult<i64> {
    Ok(inbox_items::table
        .filter(inbox_items::workspace_id.eq(workspace))
        .filter(inbox_items::source.eq("poll"))
        .filter(inbox_items::created_at.ge(since))
        .count()
        .get_result(conn)
        .await?)
}
