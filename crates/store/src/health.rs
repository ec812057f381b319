//! Figures for `GET /api/health`, limited to what a key may see.

use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;

use crate::{Conn, KeyScope, StoreResult};

#[derive(Debug, QueryableByName)]
pub struct ProviderFigures {
    #[diesel(sql_type = Text)]
    pub provider: String,
    #[diesel(sql_type = BigInt)]
    pub published_24h: i64,
    #[diesel(sql_type = BigInt)]
    pub failed_24h: i64,
    /// Dispatched more than five minutes ago and still not settled.
    #[diesel(sql_type = BigInt)]
    pub stale_deliveries: i64,
}

#[derive(Debug, QueryableByName)]
pub struct Stale {
    /// Accepted more than five minutes ago and still pending.
    #[diesel(sql_type = BigInt)]
    pub pending_posts: i64,
    /// Due more than five minutes ago and still not dispatched.
    #[diesel(sql_type = BigInt)]
    pub overdue_posts: i64,
}

const SCOPE: &str = "p.workspace_id = $1
    AND ($2::text[] IS NULL OR d.provider = ANY($2))
    AND ($3::uuid[] IS NULL OR d.profile_id = ANY($3))";

pub async fn per_provider(conn: &mut Conn, scope: &KeyScope) -> StoreResult<Vec<ProviderFigures>> {
    let sql = format!(
        "SELECT d.provider,
                count(*) FILTER (WHERE d.published_at > now() - interval '24 hours') AS published_24h,
                count(*) FILTER (WHERE d.failed_at > now() - interval '24 hours') AS failed_24h,
                count(*) FILTER (WHERE d.status = 'pending' AND d.dispatched_at < now() - interval '5 minutes') AS stale_deliveries
         FROM deliveries d JOIN posts p ON p.id = d.post_id
         WHERE {SCOPE}
         GROUP BY d.provider ORDER BY d.provider"
    );
    Ok(diesel::sql_query(sql)
        .bind::<SqlUuid, _>(scope.workspace_id)
        .bind::<Nullable<Array<Text>>, _>(scope.providers.clone())
        .bind::<Nullable<Array<SqlUuid>>, _>(scope.profile_ids.clone())
        .load(conn)
        .await?)
}

pub async fn stale(conn: &mut Conn, scope: &KeyScope) -> StoreResult<Stale> {
    let sql = format!(
        "SELECT count(DISTINCT p.id) FILTER (WHERE p.status = 'pending' AND p.updated_at < now() - interval '5 minutes') AS pending_posts,
                count(DISTINCT p.id) FILTER (WHERE p.status = 'scheduled' AND p.dispatched_at IS NULL
                                            AND coalesce(p.scheduled_at, p.updated_at) < now() - interval '5 minutes') AS overdue_posts
         FROM posts p JOIN deliveries d ON d.post_id = p.id
         WHERE {SCOPE}"
    );
    Ok(diesel::sql_query(sql)
        .bind::<SqlUuid, _>(scope.workspace_id)
        .bind::<Nullable<Array<Text>>, _>(scope.providers.clone())
        .bind::<Nullable<Array<SqlUuid>>, _>(scope.profile_ids.clone())
        .get_result(conn)
        .await?)
}

/// The dashboard's Publishing health, per provider, for one workspace.
#[derive(Debug, QueryableByName)]
pub struct ProviderHealth {
    #[diesel(sql_type = Text)]
    pub provider: String,
    /// Handed to the workers and not settled yet.
    #[diesel(sql_type = BigInt)]
    pub in_flight: i64,
    #[diesel(sql_type = BigInt)]
    pub published_1h: i64,
    #[diesel(sql_type = BigInt)]
    pub failed_1h: i64,
    #[diesel(sql_type = BigInt)]
    pub published_24h: i64,
    #[diesel(sql_type = BigInt)]
    pub failed_24h: i64,
    /// In flight for more than five minutes.
    #[diesel(sql_type = BigInt)]
    pub stale: i64,
    #[diesel(sql_type = BigInt)]
    pub reauth_profiles: i64,
}

pub async fn per_provider_detail(
    conn: &mut Conn,
    workspace_id: domain::WorkspaceId,
) -> StoreResult<Vec<ProviderHealth>> {
    let sql = "
        WITH d AS (
            SELECT d.* FROM deliveries d JOIN posts p ON p.id = d.post_id WHERE p.workspace_id = $1
        ), figures AS (
            SELECT provider,
                   count(*) FILTER (WHERE status = 'pending' AND dispatched_at IS NOT NULL) AS in_flight,
                   count(*) FILTER (WHERE published_at > now() - interval '1 hour') AS published_1h,
                   count(*) FILTER (WHERE failed_at > now() - interval '1 hour') AS failed_1h,
                   count(*) FILTER (WHERE published_at > now() - interval '24 hours') AS published_24h,
                   count(*) FILTER (WHERE failed_at > now() - interval '24 hours') AS failed_24h,
                   count(*) FILTER (WHERE status = 'pending' AND dispatched_at < now() - interval '5 minutes') AS stale
            FROM d GROUP BY provider
        ), reauth AS (
            SELECT provider, count(*) AS n FROM profiles
            WHERE workspace_id = $1 AND status = 'reauth_required' GROUP BY provider
        )
        SELECT coalesce(f.provider, r.provider) AS provider,
               coalesce(f.in_flight, 0) AS in_flight, coalesce(f.published_1h, 0) AS published_1h,
               coalesce(f.failed_1h, 0) AS failed_1h, coalesce(f.published_24h, 0) AS published_24h,
               coalesce(f.failed_24h, 0) AS failed_24h, coalesce(f.stale, 0) AS stale,
               coalesce(r.n, 0) AS reauth_profiles
        FROM figures f FULL JOIN reauth r ON r.provider = f.provider
        ORDER BY 1";
    Ok(diesel::sql_query(sql).bind::<SqlUuid, _>(workspace_id).load(conn).await?)
}

/// How late the scheduler handed out posts that waited for a time, over the last hour.
#[derive(Debug, QueryableByName)]
pub struct Lateness {
    #[diesel(sql_type = BigInt)]
    pub posts: i64,
    #[diesel(sql_type = Nullable<diesel::sql_types::Double>)]
    pub p50_ms: Option<f64>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Double>)]
    pub p99_ms: Option<f64>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Double>)]
    pub max_ms: Option<f64>,
}

pub async fn lateness(conn: &mut Conn, workspace_id: domain::WorkspaceId) -> StoreResult<Lateness> {
    let sql = "
        WITH l AS (
            SELECT extract(epoch FROM (dispatched_at - scheduled_at)) * 1000 AS ms FROM posts
            WHERE workspace_id = $1 AND scheduled_at IS NOT NULL AND dispatched_at IS NOT NULL
              AND dispatched_at > now() - interval '1 hour' AND dispatched_at >= scheduled_at
        )
        SELECT count(*) AS posts,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::float8 AS p50_ms,
               percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::float8 AS p99_ms,
               max(ms)::float8 AS max_ms
        FROM l";
    Ok(diesel::sql_query(sql).bind::<SqlUuid, _>(workspace_id).get_result(conn).await?)
}

/// A workspace's deliveries by where they are: waiting (not dispatched), being delivered,
/// published, failed, and stale (dispatched over five minutes ago and not settled).
#[derive(Debug, QueryableByName)]
pub struct DeliveryQueue {
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    #[diesel(sql_type = BigInt)]
    pub processing: i64,
    #[diesel(sql_type = BigInt)]
    pub completed: i64,
    #[diesel(sql_type = BigInt)]
    pub failed: i64,
    #[diesel(sql_type = BigInt)]
    pub stale: i64,
}

pub async fn delivery_queue(conn: &mut Conn, scope: &KeyScope) -> StoreResult<DeliveryQueue> {
    let sql = format!(
        "SELECT count(*) FILTER (WHERE d.status = 'pending' AND d.dispatched_at IS NULL
                                  AND p.status IN ('pending', 'scheduled')) AS pending,
                count(*) FILTER (WHERE d.status = 'pending' AND d.dispatched_at IS NOT NULL) AS processing,
                count(*) FILTER (WHERE d.status = 'published') AS completed,
                count(*) FILTER (WHERE d.status = 'failed') AS failed,
                count(*) FILTER (WHERE d.status = 'pending' AND d.dispatched_at < now() - interval '5 minutes') AS stale
         FROM deliveries d JOIN posts p ON p.id = d.post_id WHERE {SCOPE}"
    );
    Ok(diesel::sql_query(sql)
        .bind::<SqlUuid, _>(scope.workspace_id)
        .bind::<Nullable<Array<Text>>, _>(scope.providers.clone())
        .bind::<Nullable<Array<SqlUuid>>, _>(scope.profile_ids.clone())
        .get_result(conn)
        .await?)
}
