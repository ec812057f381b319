use serde::{Deserialize, Serialize};
use storage::StorageConfig;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    #[serde(flatten)]
    pub common: bus::service::Common,
    /// Where the HTTP API listens.
    pub http_addr: String,
    /// The URL callers and providers reach the gateway at (media URLs are built on it);
    /// empty: the address it listens on.
    pub public_url: String,
    /// Where owned media are stored (shared with media-ingest).
    pub storage: StorageConfig,
    /// Largest file an upload session or a multipart part may carry.
    pub max_upload_bytes: u64,
    /// How long an upload session accepts bytes.
    pub upload_ttl_s: i64,
    /// How long the gateway waits for the scheduler to answer a cancel or edit.
    pub command_timeout_ms: u64,
    /// How long the gateway waits for media-ingest to own one remote file.
    pub ingest_timeout_ms: u64,
    /// The longest a request with an Idempotency-Key may run; it is cut (503, key freed)
    /// after that, and a claim older than this (plus a margin) whose request never
    /// answered is free again.
    pub idempotency_deadline_ms: u64,
    /// How long an API key read from the database is kept (0: read on every request).
    /// Changes to a key are pushed to every gateway when they commit; this bounds what a
    /// notification lost with a dropped connection could leave.
    pub key_cache_ms: u64,
    /// How long the acceptance check keeps a profile it has read; changes are pushed the
    /// same way as a key's.
    pub profile_cache_ms: u64,
    /// How often the broker's queue figures (depth, consumers) are read for health and
    /// metrics.
    pub queue_watch_ms: u64,
    /// Serve `/metrics` only on this internal address (e.g. `10.0.0.5:9100`); empty:
    /// beside the API on the public listener.
    pub metrics_addr: String,
    pub max_body_bytes: usize,
    pub http_workers: usize,
    /// Provider API bases and OAuth applications (for connecting profiles).
    pub providers: providers::ProvidersConfig,
    /// Request budgets per API key and per workspace.
    pub rate_limits: crate::ratelimit::RateLimits,
    /// The agency surface's budgets per API key, per minute (the seed's 60 / 20 / 10).
    pub agency_rate_limits: crate::agency::limits::AgencyRateLimits,
    /// The assistant's model server(s) (OpenAI-compatible), per task.
    pub assistant: assistant::AssistantConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            common: bus::service::Common::default(),
            http_addr: "127.0.0.1:8080".into(),
            public_url: String::new(),
            storage: StorageConfig::default(),
            max_upload_bytes: 1024 * 1024 * 1024,
            upload_ttl_s: 3600,
            command_timeout_ms: 10_000,
            ingest_timeout_ms: 30_000,
            idempotency_deadline_ms: 60_000,
            key_cache_ms: 5_000,
            profile_cache_ms: 5_000,
            queue_watch_ms: 5_000,
            metrics_addr: String::new(),
            max_body_bytes: 1024 * 1024,
            http_workers: 2,
            providers: providers::ProvidersConfig::default(),
            rate_limits: crate::ratelimit::RateLimits::default(),
            agency_rate_limits: Default::default(),
            assistant: Default::default(),
        }
    }
}

impl Config {
    /// The key provider tokens are encrypted with; the development key only with a warning.
    pub fn token_secret(&self) -> anyhow::Result<domain::secrets::SecretKey> {
        if self.common.token_key == domain::secrets::DEVELOPMENT_KEY {
            tracing::warn!("using the development token key; set POSTMANTIS_TOKEN_KEY in production");
        }
        Ok(domain::secrets::SecretKey::from_base64(&self.common.token_key)?)
    }
}

#[cfg(test)]
mod tests {
    /// Keeps `proto/config-keys.json` true, so every service can refuse a key none knows.
    #[test]
    fn config_keys_are_registered() {
        if let Err(e) = telemetry::config::check_registered::<super::Config>("api-gateway") {
            panic!("{e}");
        }
    }
}
