//! API keys kept by the gateway for a short while after they are read: the key read was a
//! statement on every request. A change to a key (revoked, re-scoped, deleted) is pushed
//! by PostgreSQL itself — a trigger on `api_keys` sends `NOTIFY api_keys_changed` with the
//! key's hash, delivered when the change commits — so every gateway forgets the key as
//! soon as the change is visible, whoever made it (the dashboard, another replica, an
//! operator's SQL). The time to live bounds what a notification lost in a dropped
//! connection could leave; while the listener is not connected nothing is kept.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures_util::StreamExt;
use store::models::ApiKeyRow;
use uuid::Uuid;

/// The channel the trigger of migration `key_changes` notifies.
const CHANNEL: &str = "api_keys_changed";

/// Keys kept at most: a gateway serves a bounded number of live keys; past this the
/// oldest reads are dropped rather than the map growing with every key ever seen.
const MOST: usize = 10_000;

pub struct KeyCache {
    ttl: Duration,
    /// The listener is connected: changes reach this cache.
    live: AtomicBool,
    /// Bumped by every change heard and every reconnect: a row read before it is not kept.
    generation: AtomicU64,
    entries: Mutex<HashMap<String, (ApiKeyRow, Instant)>>,
}

impl KeyCache {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, live: AtomicBool::new(false), generation: AtomicU64::new(0), entries: Mutex::default() }
    }

    /// The kept row of the key with this hash, if it was read within the time to live.
    pub fn get(&self, hash: &str) -> Option<ApiKeyRow> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        entries.get(hash).filter(|(_, at)| at.elapsed() < self.ttl).map(|(row, _)| row.clone())
    }

    /// Taken before reading a key from the database, and handed to `keep`.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps a row read since `generation`, unless a change was heard meanwhile (the row
    /// may predate it) or no change could be heard.
    pub fn keep(&self, hash: String, row: ApiKeyRow, generation: u64) {
        if self.ttl.is_zero() || !self.live.load(Ordering::Acquire) {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else { return };
        // Checked under the lock `forget` takes: a change heard after this point
        // removes the row again.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= MOST {
            entries.retain(|_, (_, at)| at.elapsed() < self.ttl);
            if entries.len() >= MOST {
                entries.clear();
            }
        }
        entries.insert(hash, (row, Instant::now()));
    }

    /// Forgets the key with this hash (a change to it was heard).
    pub fn forget(&self, hash: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            entries.remove(hash);
        }
    }

    /// Forgets a key this process changed, without waiting for its notification.
    pub fn forget_id(&self, id: Uuid) {
        if let Ok(mut entries) = self.entries.lock() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            entries.retain(|_, (row, _)| row.id != id);
        }
    }

    fn set_live(&self, live: bool) {
        if let Ok(mut entries) = self.entries.lock() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            entries.clear();
        }
        self.live.store(live, Ordering::Release);
    }
}

/// Listens for key changes for as long as the process runs, reconnecting after a
/// failure; nothing is kept while it is not listening (what it missed is unknown).
pub async fn listen(cache: std::sync::Arc<KeyCache>, database_url: String) {
    if cache.ttl.is_zero() {
        return;
    }
    loop {
        match listen_once(&cache, &database_url).await {
            Ok(()) => tracing::warn!("the key-change listener's connection closed; reconnecting"),
            Err(e) => tracing::warn!(error = %e, "the key-change listener failed; reconnecting"),
        }
        cache.set_live(false);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn listen_once(cache: &KeyCache, database_url: &str) -> Result<(), diesel::result::Error> {
    // Imported here: its blanket `load` would shadow the atomics' above.
    use diesel_async::RunQueryDsl;
    let mut conn = AsyncPgConnection::establish(database_url)
        .await
        .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
    diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn).await?;
    cache.set_live(true);
    loop {
        // The connection is checked now and then: one that died quietly would otherwise
        // look like a quiet channel while changes went unheard.
        let quiet = {
            let mut heard = std::pin::pin!(conn.notifications_stream());
            let ping = tokio::time::sleep(Duration::from_secs(5));
            tokio::pin!(ping);
            loop {
                tokio::select! {
                    n = heard.next() => match n {
                        Some(Ok(n)) => cache.forget(&n.payload),
                        Some(Err(e)) => return Err(e),
                        None => return Ok(()),
                    },
                    () = &mut ping => break true,
                }
            }
        };
        if quiet {
            diesel::sql_query("SELECT 1").execute(&mut conn).await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: Uuid) -> ApiKeyRow {
        ApiKeyRow {
            id,
            workspace_id: domain::WorkspaceId::new(),
            name: "k".into(),
            key_prefix: "pm_".into(),
            key_hash: "h".into(),
            permission: "write".into(),
            providers: None,
            profile_ids: None,
            revoked_at: None,
            last_used_at: None,
            created_at: chrono::Utc::now(),
            policy: "publish".into(),
        }
    }

    #[test]
    fn a_key_is_kept_only_while_changes_can_be_heard_and_none_was() {
        let cache = KeyCache::new(Duration::from_secs(60));
        let id = Uuid::now_v7();
        cache.keep("h".into(), row(id), cache.generation());
        assert!(cache.get("h").is_none(), "not listening: nothing kept");

        cache.set_live(true);
        let before = cache.generation();
        cache.forget("another key");
        cache.keep("h".into(), row(id), before);
        assert!(cache.get("h").is_none(), "read before a change was heard: not kept");

        cache.keep("h".into(), row(id), cache.generation());
        assert_eq!(cache.get("h").map(|r| r.id), Some(id));
        cache.forget("h");
        assert!(cache.get("h").is_none(), "a change to it is forgotten at once");

        cache.keep("h".into(), row(id), cache.generation());
        cache.forget_id(id);
        assert!(cache.get("h").is_none(), "changed here: forgotten by id");

        cache.keep("h".into(), row(id), cache.generation());
        cache.set_live(false);
        assert!(cache.get("h").is_none(), "the listener dropped: everything forgotten");
    }

    #[test]
    fn a_kept_key_expires() {
        let cache = KeyCache::new(Duration::from_millis(1));
        cache.set_live(true);
        cache.keep("h".into(), row(Uuid::now_v7()), cache.generation());
        std::thread::sleep(Duration::from_millis(5));
        assert!(cache.get("h").is_none());
    }
}
