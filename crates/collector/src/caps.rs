//! What every read from a platform shares: the account it reads as, the per-profile and
//! per-provider leases it holds while it calls (the delivery workers hold the same, so
//! reads never crowd out publishing), and when a failed read is tried again.

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{ProfileId, Provider};
use store::StoreError;

use crate::app::Ctx;

/// The connected profile as the adapters see it, its token decrypted for this call.
pub fn account(ctx: &Ctx, p: &store::models::ProfileRow) -> providers::Account {
    providers::Account {
        external_id: p.external_id.clone(),
        username: p.username.clone(),
        access_token: credentials::access_token(&ctx.secrets, p),
    }
}

/// Runs `call` holding the profile's and the provider's leases; `None` (nothing called)
/// when either is at its cap, so the job waits for a later round.
pub async fn held<T>(
    ctx: &Ctx,
    provider: Provider,
    profile: ProfileId,
    call: impl Future<Output = T>,
) -> Result<Option<T>, StoreError> {
    let caps = ctx.config.limits.caps(provider.as_str());
    let ttl = ctx.config.providers.timeout_ms as i64 + 30_000;
    let lease = {
        let mut conn = ctx.pool.get().await?;
        store::limits::acquire(&mut conn, caps, provider.as_str(), profile, ttl).await?
    };
    let Some(lease) = lease else { return Ok(None) };
    let out = call.await;
    let mut conn = ctx.pool.get().await?;
    store::limits::release(&mut conn, &lease).await?;
    Ok(Some(out))
}

/// When a read that failed `failures` times in a row is tried again: `retry_after_ms`,
/// doubling, at most an hour.
pub fn retry_at(ctx: &Ctx, failures: i32) -> DateTime<Utc> {
    let wait = ctx.config.retry_after_ms.saturating_mul(1 << failures.clamp(0, 6)).min(3_600_000);
    Utc::now() + chrono::Duration::milliseconds(wait)
}
