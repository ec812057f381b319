use providers::ProvidersConfig;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    #[serde(flatten)]
    pub common: bus::service::Common,
    pub health_addr: String,
    /// Provider calls in flight at once, per provider queue.
    pub concurrency: u16,
    /// Provider ids this worker serves (empty: all), so a fleet can be split by provider.
    pub providers_enabled: Vec<String>,
    pub providers: ProvidersConfig,
    /// Where providers fetch owned media (the gateway's public URL).
    pub media_base_url: String,
    /// Attempts per delivery before it settles failed (the seed's policy is 3).
    pub max_attempts: i32,
    /// Concurrency caps per profile and per provider, across all workers.
    pub limits: store::limits::LimitsConfig,
    /// How often tokens near expiry are refreshed, and how far ahead.
    pub token_refresh_interval_ms: u64,
    pub token_refresh_ahead_s: i64,
    /// Webhooks: how long an endpoint may take, the first retry delay (doubling), sends
    /// per event, and failures in a row before an endpoint is disabled.
    pub webhook_timeout_ms: u64,
    pub webhook_backoff_ms: u64,
    pub webhook_max_attempts: i32,
    pub webhook_disable_after: i32,
    pub webhook_fan_out_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            common: bus::service::Common::default(),
            health_addr: "127.0.0.1:8083".into(),
            concurrency: 16,
            providers_enabled: Vec::new(),
            providers: ProvidersConfig::default(),
            media_base_url: "http://127.0.0.1:8080".into(),
            max_attempts: domain::MAX_DELIVERY_ATTEMPTS,
            limits: store::limits::LimitsConfig::default(),
            token_refresh_interval_ms: 30_000,
            token_refresh_ahead_s: 300,
            webhook_timeout_ms: 10_000,
            webhook_backoff_ms: 5_000,
            webhook_max_attempts: 8,
            webhook_disable_after: 20,
            webhook_fan_out_ms: 250,
        }
    }
}

#[cfg(test)]
mod tests {
    /// Keeps `proto/config-keys.json` true, so every service can refuse a key none knows.
    #[test]
    fn config_keys_are_registered() {
        if let Err(e) = telemetry::config::check_registered::<super::Config>("delivery-worker") {
            panic!("{e}");
        }
    }
}
