//! Connected accounts' own figures over time (followers, posts) and the collector's daily
//! job per profile. Like post snapshots: appended by the collector only, jobs claimed with
//! `FOR UPDATE SKIP LOCKED` so replicas never read the same account twice at once.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::metrics::{AccountFigures, AccountSnapshot};
use domain::{ProfileId, Provider, WorkspaceId};
use uuid::Uuid;

use crate::{
    Conn, StoreResult,
    schema::{account_jobs, account_snapshots, profiles},
};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = account_snapshots)]
pub struct AccountRow {
    pub id: i64,
    pub profile_id: ProfileId,
    pub workspace_id: WorkspaceId,
    pub provider: Provider,
    pub collected_at: DateTime<Utc>,
    pub followers: Option<i64>,
    pub posts: Option<i64>,
    pub warnings: Vec<String>,
}

impl AccountRow {
    pub fn figures(&self) -> AccountFigures {
        let u = |v: Option<i64>| v.and_then(|n| u64::try_from(n).ok());
        AccountFigures { followers: u(self.followers), posts: u(self.posts) }
    }
}

#[derive(Debug, Clone, QueryableByName)]
struct ClaimedRow {
    #[diesel(sql_type = SqlUuid)]
    profile_id: Uuid,
}

/// Gives every active profile without a job one, due at once. Returns how many were made.
pub async fn enroll(conn: &mut Conn) -> StoreResult<usize> {
    Ok(diesel::sql_query(
        "INSERT INTO account_jobs (profile_id, due_at) \
         SELECT p.id, now() FROM profiles p \
         WHERE p.status = 'active' AND NOT EXISTS (SELECT 1 FROM account_jobs j WHERE j.profile_id = p.id) \
         ON CONFLICT DO NOTHING",
    )
    .execute(conn)
    .await?)
}

/// Claims up to `limit` due jobs of active profiles, most overdue first, for `lease`.
pub async fn claim(conn: &mut Conn, limit: i64, lease: Duration) -> StoreResult<Vec<ProfileId>> {
    let rows: Vec<ClaimedRow> = diesel::sql_query(
        "UPDATE account_jobs SET claimed_until = now() + make_interval(secs => $2) \
         WHERE profile_id IN ( \
           SELECT j.profile_id FROM account_jobs j JOIN profiles p ON p.id = j.profile_id \
           WHERE j.due_at <= now() AND (j.claimed_until IS NULL OR j.claimed_until < now()) \
             AND p.status = 'active' \
           ORDER BY j.due_at LIMIT $1 FOR UPDATE OF j SKIP LOCKED) \
         RETURNING profile_id",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Double, _>(lease.num_milliseconds() as f64 / 1000.0)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| ProfileId::from(r.profile_id)).collect())
}

/// Appends a snapshot of the profile's account and makes its job due again at `next_due`,
/// in one transaction the caller holds.
pub async fn record(
    conn: &mut Conn,
    profile: &crate::models::ProfileRow,
    snap: &AccountSnapshot,
    next_due: DateTime<Utc>,
) -> StoreResult<()> {
    let i = |v: Option<u64>| v.and_then(|n| i64::try_from(n).ok());
    diesel::insert_into(account_snapshots::table)
        .values((
            account_snapshots::profile_id.eq(profile.id),
            account_snapshots::workspace_id.eq(profile.workspace_id),
            account_snapshots::provider.eq(profile.provider),
            account_snapshots::followers.eq(i(snap.figures.followers)),
            account_snapshots::posts.eq(i(snap.figures.posts)),
            account_snapshots::warnings.eq(&snap.warnings),
        ))
        .execute(conn)
        .await?;
    diesel::update(account_jobs::table.find(profile.id))
        .set((
            account_jobs::due_at.eq(next_due),
            account_jobs::claimed_until.eq(None::<DateTime<Utc>>),
            account_jobs::failures.eq(0),
            account_jobs::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A read that failed: tried again at `retry_at`, the error kept. Returns the failures in
/// a row so far.
pub async fn failed(conn: &mut Conn, profile_id: ProfileId, why: &str, retry_at: DateTime<Utc>) -> StoreResult<i32> {
    Ok(diesel::update(account_jobs::table.find(profile_id))
        .set((
            account_jobs::due_at.eq(retry_at),
            account_jobs::claimed_until.eq(None::<DateTime<Utc>>),
            account_jobs::failures.eq(account_jobs::failures + 1),
            account_jobs::last_error.eq(why),
        ))
        .returning(account_jobs::failures)
        .get_result(conn)
        .await?)
}

/// How many reads of this profile's account failed in a row.
pub async fn failures(conn: &mut Conn, profile_id: ProfileId) -> StoreResult<i32> {
    Ok(account_jobs::table.find(profile_id).select(account_jobs::failures).first(conn).await.optional()?.unwrap_or(0))
}

/// Gives a claimed job back untouched (the caps were full): another round takes it.
pub async fn unclaim(conn: &mut Conn, profile_id: ProfileId) -> StoreResult<()> {
    diesel::update(account_jobs::table.find(profile_id))
        .set(account_jobs::claimed_until.eq(None::<DateTime<Utc>>))
        .execute(conn)
        .await?;
    Ok(())
}

/// A profile the scope sees, with its account snapshots since `since`, oldest first.
#[derive(Debug, Clone)]
pub struct Account {
    pub profile_id: ProfileId,
    pub profile_name: String,
    pub provider: Provider,
    pub history: Vec<AccountRow>,
    /// The newest snapshot from before `since` (what a change over the window starts from).
    pub before: Option<AccountRow>,
}

/// Every connected profile of the workspace the scope sees (optionally of one provider or
/// profile), with its account snapshots within `[since, until)`.
pub async fn accounts(
    conn: &mut Conn,
    scope: &crate::KeyScope,
    provider: Option<Provider>,
    profile: Option<ProfileId>,
    since: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
) -> StoreResult<Vec<Account>> {
    let mut q = profiles::table
        .filter(profiles::workspace_id.eq(scope.workspace_id))
        .filter(profiles::status.ne(domain::ProfileStatus::Disconnected))
        .select((profiles::id, profiles::name, profiles::provider))
        .order((profiles::name, profiles::id))
        .into_boxed();
    if let Some(p) = provider {
        q = q.filter(profiles::provider.eq(p));
    }
    if let Some(p) = profile {
        q = q.filter(profiles::id.eq(p));
    }
    let ps: Vec<(ProfileId, String, Provider)> = q.load(conn).await?;
    let ps: Vec<_> = ps.into_iter().filter(|p| scope.allows(p.2.as_str(), p.0)).collect();
    let ids: Vec<ProfileId> = ps.iter().map(|p| p.0).collect();
    let mut q = account_snapshots::table
        .filter(account_snapshots::profile_id.eq_any(&ids))
        .filter(account_snapshots::collected_at.ge(since))
        .into_boxed();
    if let Some(t) = until {
        q = q.filter(account_snapshots::collected_at.lt(t));
    }
    let history: Vec<AccountRow> = q
        .order((account_snapshots::collected_at.asc(), account_snapshots::id.asc()))
        .select(AccountRow::as_select())
        .load(conn)
        .await?;
    let before: Vec<AccountRow> = account_snapshots::table
        .filter(account_snapshots::profile_id.eq_any(&ids))
        .filter(account_snapshots::collected_at.lt(since))
        .distinct_on(account_snapshots::profile_id)
        .order((account_snapshots::profile_id, account_snapshots::collected_at.desc(), account_snapshots::id.desc()))
        .select(AccountRow::as_select())
        .load(conn)
        .await?;
    Ok(ps
        .into_iter()
        .map(|(profile_id, profile_name, provider)| Account {
            history: history.iter().filter(|s| s.profile_id == profile_id).cloned().collect(),
            before: before.iter().find(|s| s.profile_id == profile_id).cloned(),
            profile_id,
            profile_name,
            provider,
        })
        .collect())
}
