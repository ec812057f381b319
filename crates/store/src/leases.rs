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
    if cap <= 0 {
        return Ok(None);
    }
    // A slot picked at random is free unless the cap is nearly full: one index probe
    // instead of looking at every slot (a provider's cap is tens to thousands).
    let guess = rand::random_range(0..cap);
    if let Some(slot) = take(conn, ONE_SLOT, key, guess, holder, ttl_ms).await? {
        return Ok(Some(slot));
    }
    acquire_after_guess(conn, key, cap, holder, ttl_ms).await
}

/// The rest of `acquire` once the slot guessed was taken.
async fn acquire_after_guess(
    conn: &mut Conn,
    key: &str,
    cap: i32,
    holder: Uuid,
    ttl_ms: i64,
) -> StoreResult<Option<i32>> {
    // One statement picks a slot no live lease holds (at random, so that two callers
    // rarely pick the same one) and takes it; a caller that lost the race for that slot
    // looks again, a few times, before it says the cap is full.
    for _ in 0..TRIES {
        if let Some(slot) = take(conn, ANY_FREE_SLOT, key, cap, holder, ttl_ms).await? {
            return Ok(Some(slot));
        }
        if free_slots(conn, key, cap).await? == 0 {
            return Ok(None);
        }
    }
    Ok(None)
}

/// Takes a slot of `first`'s key and one of `second`'s (key, cap), or none at all. One
/// statement tries a slot picked at random of each, the second only once the first is
/// taken (a full first cap costs no second lease to give back); a key whose guess was
/// held is then looked at slot by slot, as `acquire` does.
pub async fn acquire_both(
    conn: &mut Conn,
    first: (&str, i32),
    second: (&str, i32),
    holder: Uuid,
    ttl_ms: i64,
) -> StoreResult<Option<[(String, i32); 2]>> {
    if first.1 <= 0 || second.1 <= 0 {
        return Ok(None);
    }
    let got: Vec<KeySlot> = crate::prepared::prepared(
        "WITH a AS (
            INSERT INTO delivery_leases (key, slot, holder, expires_at)
            VALUES ($1, $2, $5, clock_timestamp() + make_interval(secs => $6::bigint / 1000.0))
            ON CONFLICT (key, slot) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
            WHERE delivery_leases.expires_at < clock_timestamp()
            RETURNING key, slot),
         b AS (
            INSERT INTO delivery_leases (key, slot, holder, expires_at)
            SELECT $3, $4, $5, clock_timestamp() + make_interval(secs => $6::bigint / 1000.0)
            WHERE EXISTS (SELECT 1 FROM a)
            ON CONFLICT (key, slot) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
            WHERE delivery_leases.expires_at < clock_timestamp()
            RETURNING key, slot)
         SELECT key, slot FROM a UNION ALL SELECT key, slot FROM b",
    )
    .bind::<Text, _>(first.0)
    .bind::<Int4, _>(rand::random_range(0..first.1))
    .bind::<Text, _>(second.0)
    .bind::<Int4, _>(rand::random_range(0..second.1))
    .bind::<SqlUuid, _>(holder)
    .bind::<BigInt, _>(ttl_ms)
    .load(conn)
    .await?;
    let slot_of = |key: &str| got.iter().find(|g| g.key == key).map(|g| g.slot);
    let a = match slot_of(first.0) {
        Some(slot) => slot,
        None => match acquire_after_guess(conn, first.0, first.1, holder, ttl_ms).await? {
            Some(slot) => slot,
            None => return Ok(None),
        },
    };
    let b = match slot_of(second.0) {
        Some(slot) => Some(slot),
        // The statement tried no second slot when the first guess was held.
        None if got.is_empty() => acquire(conn, second.0, second.1, holder, ttl_ms).await?,
        None => acquire_after_guess(conn, second.0, second.1, holder, ttl_ms).await?,
    };
    match b {
        Some(b) => Ok(Some([(first.0.to_owned(), a), (second.0.to_owned(), b)])),
        None => {
            release(conn, first.0, a, holder).await?;
            Ok(None)
        }
    }
}

#[derive(QueryableByName)]
struct KeySlot {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Int4)]
    slot: i32,
}

/// The slot `$2` (`take`'s source of rows).
const ONE_SLOT: &str = "VALUES ($1, $2, $3, clock_timestamp() + make_interval(secs => $4::bigint / 1000.0))";

/// Any one of the slots below `$2` that no live lease holds.
const ANY_FREE_SLOT: &str = "SELECT $1, s, $3, clock_timestamp() + make_interval(secs => $4::bigint / 1000.0)
     FROM generate_series(0, $2 - 1) AS s
     WHERE NOT EXISTS (SELECT 1 FROM delivery_leases l
                       WHERE l.key = $1 AND l.slot = s AND l.expires_at >= clock_timestamp())
     ORDER BY random() LIMIT 1";

/// Leases the slot `source` names to `holder`, unless a live lease holds it.
async fn take(conn: &mut Conn, source: &str, key: &str, n: i32, holder: Uuid, ttl_ms: i64) -> StoreResult<Option<i32>> {
    let got: Option<Slot> = crate::prepared::prepared(format!(
        "INSERT INTO delivery_leases (key, slot, holder, expires_at) {source}
         ON CONFLICT (key, slot) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
         WHERE delivery_leases.expires_at < clock_timestamp()
         RETURNING slot"
    ))
    .bind::<Text, _>(key)
    .bind::<Int4, _>(n)
    .bind::<SqlUuid, _>(holder)
    .bind::<BigInt, _>(ttl_ms)
    .get_result(conn)
    .await
    .optional()?;
    Ok(got.map(|s| s.slot))
}

/// How often `acquire` looks again after losing the race for a free slot.
const TRIES: usize = 4;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn free_slots(conn: &mut Conn, key: &str, cap: i32) -> StoreResult<i64> {
    let live: Count = crate::prepared::prepared(
        "SELECT count(*) AS n FROM delivery_leases WHERE key = $1 AND slot < $2 AND expires_at >= clock_timestamp()",
    )
    .bind::<Text, _>(key)
    .bind::<Int4, _>(cap)
    .get_result(conn)
    .await?;
    Ok(i64::from(cap) - live.n)
}

/// Gives back every slot `holder` took (one call's profile and provider slots).
pub async fn release_all(conn: &mut Conn, slots: &[(String, i32)], holder: Uuid) -> StoreResult<()> {
    let (keys, numbers): (Vec<&str>, Vec<i32>) = slots.iter().map(|(k, s)| (k.as_str(), *s)).unzip();
    crate::prepared::prepared(
        "DELETE FROM delivery_leases WHERE holder = $3 AND (key, slot) IN (SELECT * FROM unnest($1::text[], $2::int4[]))",
    )
    .bind::<diesel::sql_types::Array<Text>, _>(keys)
    .bind::<diesel::sql_types::Array<Int4>, _>(numbers)
    .bind::<SqlUuid, _>(holder)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn release(conn: &mut Conn, key: &str, slot: i32, holder: Uuid) -> StoreResult<()> {
    crate::prepared::prepared("DELETE FROM delivery_leases WHERE key = $1 AND slot = $2 AND holder = $3")
        .bind::<Text, _>(key)
        .bind::<Int4, _>(slot)
        .bind::<SqlUuid, _>(holder)
        .execute(conn)
        .await?;
    Ok(())
}
