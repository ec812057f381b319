//! Caps that hold across every replica of every service that calls a provider (delivery
//! workers, collectors): concurrent calls per profile and per provider, as leases in
//! PostgreSQL.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(default)]
pub struct Caps {
    /// Provider calls in flight for one profile, across all workers.
    pub profile_concurrency: i32,
    /// Provider calls in flight for one provider, across all workers.
    pub provider_concurrency: i32,
}

impl Default for Caps {
    fn default() -> Self {
        Self { profile_concurrency: 2, provider_concurrency: 64 }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LimitsConfig {
    #[serde(flatten)]
    pub default: Caps,
    /// Overrides per provider id.
    pub per_provider: HashMap<String, Caps>,
}

impl LimitsConfig {
    pub fn caps(&self, provider: &str) -> Caps {
        self.per_provider.get(provider).copied().unwrap_or(self.default)
    }
}

/// The slots one call holds; released when the call is over.
pub struct Held {
    pub slots: Vec<(String, i32)>,
    pub holder: Uuid,
}

/// Takes a slot for the profile and one for the provider, or none at all.
pub async fn acquire(
    conn: &mut crate::Conn,
    caps: Caps,
    provider: &str,
    profile: domain::ProfileId,
    ttl_ms: i64,
) -> Result<Option<Held>, crate::StoreError> {
    let holder = Uuid::now_v7();
    let profile_key = format!("profile:{profile}");
    let provider_key = format!("provider:{provider}");
    let slots = crate::leases::acquire_both(
        conn,
        (&profile_key, caps.profile_concurrency),
        (&provider_key, caps.provider_concurrency),
        holder,
        ttl_ms,
    )
    .await?;
    Ok(slots.map(|slots| Held { slots: slots.into(), holder }))
}

pub async fn release(conn: &mut crate::Conn, held: &Held) -> Result<(), crate::StoreError> {
    crate::leases::release_all(conn, &held.slots, held.holder).await
}
