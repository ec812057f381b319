//! Stored first responses for `Idempotency-Key`.

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::WorkspaceId;
use serde_json::Value;

use crate::{Conn, StoreResult, schema::idempotency_keys as ik};

/// How long a key's first response is kept.
pub const TTL_HOURS: i64 = 24;

pub enum Claim {
    /// This request is the first with the key: run it, then `finish`.
    First,
    /// A request with the key exists: (fingerprint, stored response if it finished).
    Existing { fingerprint: String, response: Option<(i32, Value, Vec<u8>)> },
}

/// Claims the key for this request, or returns what the earlier request left. A claim
/// with no answer older than `stale_after` belonged to a request that can no longer be
/// running (requests are cut at a deadline shorter than that): it crashed or was
/// dropped, so the key is free again.
pub async fn claim(
    conn: &mut Conn,
    workspace_id: WorkspaceId,
    key: &str,
    fingerprint: &str,
    stale_after: chrono::Duration,
) -> StoreResult<Claim> {
    let now = Utc::now();
    let cutoff = now - chrono::Duration::hours(TTL_HOURS);
    let abandoned = now - stale_after;
    diesel::delete(
        ik::table
            .filter(ik::workspace_id.eq(workspace_id))
            .filter(ik::key.eq(key))
            .filter(ik::created_at.lt(cutoff).or(ik::response_status.is_null().and(ik::created_at.lt(abandoned)))),
    )
    .execute(conn)
    .await?;
    let inserted = diesel::insert_into(ik::table)
        .values((ik::workspace_id.eq(workspace_id), ik::key.eq(key), ik::fingerprint.eq(fingerprint)))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    if inserted == 1 {
        return Ok(Claim::First);
    }
    let (fp, status, headers, body): (String, Option<i32>, Option<Value>, Option<Vec<u8>>) = ik::table
        .filter(ik::workspace_id.eq(workspace_id).and(ik::key.eq(key)))
        .select((ik::fingerprint, ik::response_status, ik::response_headers, ik::response_body))
        .first(conn)
        .await?;
    let response = match (status, headers, body) {
        (Some(s), Some(h), Some(b)) => Some((s, h, b)),
        _ => None,
    };
    Ok(Claim::Existing { fingerprint: fp, response })
}

pub async fn finish(
    conn: &mut Conn,
    workspace_id: WorkspaceId,
    key: &str,
    status: i32,
    headers: &Value,
    body: &[u8],
) -> StoreResult<()> {
    diesel::update(ik::table.filter(ik::workspace_id.eq(workspace_id).and(ik::key.eq(key))))
        .set((ik::response_status.eq(status), ik::response_headers.eq(headers), ik::response_body.eq(body)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Frees the key (the first request failed on our side, so a retry may run it again).
pub async fn release(conn: &mut Conn, workspace_id: WorkspaceId, key: &str) -> StoreResult<()> {
    diesel::delete(ik::table.filter(ik::workspace_id.eq(workspace_id).and(ik::key.eq(key)))).execute(conn).await?;
    Ok(())
}
