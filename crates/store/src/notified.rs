//! Rows a service keeps for a short while after reading them, forgotten as soon as
//! PostgreSQL says they changed: a trigger on the table sends `NOTIFY <channel>` with the
//! row's key, delivered when the change commits, so every process forgets the row once the
//! change is visible, whoever made it (the dashboard, another replica, an operator's SQL).
//! The time to live bounds what a notification lost in a dropped connection could leave;
//! while the listener is not connected nothing is kept, and a row read before a change was
//! heard is not kept either (it may predate the change).
//!
//! Used for API keys (the gateway's `auth::cache`) and profiles (the acceptance check):
//! each was a statement on every request.

use std::collections::HashMap;
use std::hash::Hash;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures_util::StreamExt;

/// Rows kept at most: past this the expired ones are dropped, and if none were, all of
/// them, rather than the map growing with every row ever read.
const MOST: usize = 10_000;

pub struct NotifiedCache<K, V> {
    /// The channel the table's trigger notifies, with the row's key as the payload.
    channel: &'static str,
    ttl: Duration,
    /// The listener is connected: changes reach this cache.
    live: AtomicBool,
    /// Bumped by every change heard and every reconnect: a row read before it is not kept.
    generation: AtomicU64,
    entries: Mutex<HashMap<K, (V, Instant)>>,
}

impl<K: Eq + Hash, V: Clone> NotifiedCache<K, V> {
    /// A zero time to live keeps nothing (and `listen` returns at once).
    pub fn new(channel: &'static str, ttl: Duration) -> Self {
        Self { channel, ttl, live: AtomicBool::new(false), generation: AtomicU64::new(0), entries: Mutex::default() }
    }

    /// The kept row under this key, if it was read within the time to live.
    pub fn get(&self, key: &K) -> Option<V> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        entries.get(key).filter(|(_, at)| at.elapsed() < self.ttl).map(|(row, _)| row.clone())
    }

    /// Taken before reading rows from the database, and handed to `keep`.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps a row read since `generation`, unless a change was heard meanwhile or no
    /// change could be heard.
    pub fn keep(&self, key: K, row: V, generation: u64) {
        if self.ttl.is_zero() || !self.live.load(Ordering::Acquire) {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else { return };
        // Checked under the lock `forget` takes: a change heard after this point removes
        // the row again.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= MOST {
            entries.retain(|_, (_, at)| at.elapsed() < self.ttl);
            if entries.len() >= MOST {
                entries.clear();
            }
        }
        entries.insert(key, (row, Instant::now()));
    }

    /// Forgets the row under this key (a change to it was heard, or made here: a process
    /// that changed a row reads its own change without waiting for the notification).
    pub fn forget(&self, key: &K) {
        if let Ok(mut entries) = self.entries.lock() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            entries.remove(key);
        }
    }

    /// Forgets every kept row that matches: a change made here, known by another key.
    pub fn forget_where(&self, changed: impl Fn(&V) -> bool) {
        if let Ok(mut entries) = self.entries.lock() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            entries.retain(|_, (row, _)| !changed(row));
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

/// Listens for changes for as long as the process runs, reconnecting after a failure;
/// nothing is kept while it is not listening (what it missed is unknown).
pub async fn listen<K, V>(cache: Arc<NotifiedCache<K, V>>, database_url: String)
where
    K: Eq + Hash + FromStr,
    V: Clone,
{
    if cache.ttl.is_zero() {
        return;
    }
    loop {
        match listen_once(&cache, &database_url).await {
            Ok(()) => tracing::warn!(channel = cache.channel, "a change listener's connection closed; reconnecting"),
            Err(e) => tracing::warn!(channel = cache.channel, error = %e, "a change listener failed; reconnecting"),
        }
        cache.set_live(false);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn listen_once<K, V>(cache: &NotifiedCache<K, V>, database_url: &str) -> Result<(), diesel::result::Error>
where
    K: Eq + Hash + FromStr,
    V: Clone,
{
    // Imported here: its blanket `load` would shadow the atomics' above.
    use diesel_async::RunQueryDsl;
    let mut conn = AsyncPgConnection::establish(database_url)
        .await
        .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
    diesel::sql_query(format!("LISTEN {}", cache.channel)).execute(&mut conn).await?;
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
                        Some(Ok(n)) => match n.payload.parse::<K>() {
                            Ok(key) => cache.forget(&key),
                            // Not a key of ours: whatever it named, forget everything.
                            Err(_) => cache.forget_where(|_| true),
                        },
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

    #[test]
    fn a_row_is_kept_only_while_changes_can_be_heard_and_none_was() {
        let cache: NotifiedCache<String, u32> = NotifiedCache::new("test", Duration::from_secs(60));
        cache.keep("h".into(), 7, cache.generation());
        assert!(cache.get(&"h".into()).is_none(), "not listening: nothing kept");

        cache.set_live(true);
        let before = cache.generation();
        cache.forget(&"another key".into());
        cache.keep("h".into(), 7, before);
        assert!(cache.get(&"h".into()).is_none(), "read before a change was heard: not kept");

        cache.keep("h".into(), 7, cache.generation());
        assert_eq!(cache.get(&"h".into()), Some(7));
        cache.forget(&"h".into());
        assert!(cache.get(&"h".into()).is_none(), "a change to it is forgotten at once");

        cache.keep("h".into(), 7, cache.generation());
        cache.keep("i".into(), 8, cache.generation());
        cache.forget_where(|v| *v == 7);
        assert!(cache.get(&"h".into()).is_none(), "changed here: forgotten by what it holds");
        assert_eq!(cache.get(&"i".into()), Some(8), "another row stays");

        cache.set_live(false);
        assert!(cache.get(&"i".into()).is_none(), "the listener dropped: everything forgotten");
    }

    #[test]
    fn a_kept_row_expires() {
        let cache: NotifiedCache<String, u32> = NotifiedCache::new("test", Duration::from_millis(1));
        cache.set_live(true);
        cache.keep("h".into(), 7, cache.generation());
        std::thread::sleep(Duration::from_millis(5));
        assert!(cache.get(&"h".into()).is_none());
    }

    #[test]
    fn a_zero_time_to_live_keeps_nothing() {
        let cache: NotifiedCache<String, u32> = NotifiedCache::new("test", Duration::ZERO);
        cache.set_live(true);
        cache.keep("h".into(), 7, cache.generation());
        assert!(cache.get(&"h".into()).is_none());
    }
}
