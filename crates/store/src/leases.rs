//! Concurrency slots shared by every worker replica: `cap` rows per key, each leased to
//! one holder until it is released or expires.

use diesel::sql_types::{BigInt, Int4, Text, Uuid as SqlUuid};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::{Conn, StoreResult};

#[derive(QueryableByName)]
struct Slot {
    #[diesel(sql_type = Int4)]
    slot: i32,
}

/// Takes a free (or expired) slot of `key`, if any of its `cap` slots is free.
pub async fn acquire(conn: &mut Conn, key: &str, cap: i32, holder: Uuid, ttl_ms: i64) -> StoreResult<Option<i32>> {
    for slot in 0..cap {
        let got: Option<Slot> = diesel::sql_query(
            "INSERT INTO delivery_leases (key, slot, holder, expires_at)
             VALUES ($1, $2, $3, clock_timestamp() + make_interval(secs => $4::bigint / 1000.0))
             ON CONFLICT (key, slot) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
             WHERE delivery_leases.expires_at < clock_timestamp()
             RETURNING slot",
        )
        .bind::<Text, _>(key)
        .bind::<Int4, _>(slot)
        .bind::<SqlUuid, _>(holder)
        .bind::<BigInt, _>(ttl_ms)
        .get_result(conn)
        .await
        .optional()?;
        if let Some(s) = got {
            return Ok(Some(s.slot));
        }
    }
    Ok(None)
}

pub async fn release(conn: &mut Conn, key: &str, slot: i32, holder: Uuid) -> StoreResult<()> {
    diesel::sql_query("DELETE FROM delivery_leases WHERE key = $1 AND slot = $2 AND holder = $3")
        .bind::<Text, _>(key)
        .bind::<Int4, _>(slot)
        .bind::<SqlUuid, _>(holder)
        .execute(conn)
        .await?;
    Ok(())
}
