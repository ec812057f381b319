//! API keys kept by the gateway for a short while after they are read (the key read was a
//! statement on every request), forgotten when the trigger of migration `key_changes`
//! notifies a change to one: `store::notified` holds how. A key's use (`last_used_at`) is
//! not a change to it.

use std::time::Duration;

use store::models::ApiKeyRow;
use store::notified::NotifiedCache;

/// Keys by hash.
pub type KeyCache = NotifiedCache<String, ApiKeyRow>;

/// The channel the trigger of migration `key_changes` notifies, with the key's hash.
const CHANNEL: &str = "api_keys_changed";

pub fn new(ttl: Duration) -> KeyCache {
    KeyCache::new(CHANNEL, ttl)
}
