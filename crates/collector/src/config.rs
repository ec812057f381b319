use domain::metrics::SnapshotSchedule;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    #[serde(flatten)]
    pub common: bus::service::Common,
    pub health_addr: String,
    /// Provider base URLs, timeouts and OAuth applications (shared with the workers).
    pub providers: providers::ProvidersConfig,
    /// Concurrent calls per profile and per provider, across every service's replicas.
    pub limits: store::limits::LimitsConfig,
    /// When a published post's snapshots fall due.
    pub schedule: SnapshotSchedule,
    /// Seconds between two reads of a connected account's own figures (followers, posts).
    pub account_every_s: i64,
    /// Seconds between two inbox reads of a profile whose platform has an inbox
    /// (webhooks bring items sooner where the platform sends them).
    pub inbox_every_s: i64,
    /// How often the collector looks for due work when it found none.
    pub poll_interval_ms: u64,
    /// Jobs claimed at once, and read at once.
    pub batch: i64,
    pub concurrency: usize,
    /// How long a claimed job is this replica's before another may take it.
    pub lease_ms: i64,
    /// A read that failed is tried again after this, doubling up to an hour.
    pub retry_after_ms: i64,
    /// Feed hosts allowed although they are loopback or private (comma-separated; tests
    /// and `make run` allow 127.0.0.1). Every other private address is refused.
    pub feed_allow_hosts: String,
    /// How long one feed fetch may take, redirects included.
    pub feed_timeout_ms: u64,
    /// The most a feed may weigh.
    pub feed_max_bytes: u64,
    /// A feed that fails this many checks in a row pauses itself.
    pub feed_pause_after: i32,
    /// Through the application layer, as the gateway: how long media import and the
    /// scheduler's answers may take for an item's post.
    pub ingest_timeout_ms: u64,
    pub command_timeout_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            common: bus::service::Common::default(),
            health_addr: "127.0.0.1:8085".into(),
            providers: providers::ProvidersConfig::default(),
            limits: store::limits::LimitsConfig::default(),
            schedule: SnapshotSchedule::default(),
            account_every_s: 86_400,
            inbox_every_s: 300,
            poll_interval_ms: 1_000,
            batch: 50,
            concurrency: 16,
            lease_ms: 120_000,
            retry_after_ms: 60_000,
            feed_allow_hosts: String::new(),
            feed_timeout_ms: 15_000,
            feed_max_bytes: 5 * 1024 * 1024,
            feed_pause_after: 5,
            ingest_timeout_ms: 30_000,
            command_timeout_ms: 10_000,
        }
    }
}

#[cfg(test)]
mod tests {
    /// Keeps `proto/config-keys.json` true, so every service can refuse a key none knows.
    #[test]
    fn config_keys_are_registered() {
        if let Err(e) = telemetry::config::check_registered::<super::Config>("collector") {
            panic!("{e}");
        }
    }
}
