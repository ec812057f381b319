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
