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
    /// How often the collector looks for due work when it found none.
    pub poll_interval_ms: u64,
    /// Jobs claimed at once, and read at once.
    pub batch: i64,
    pub concurrency: usize,
    /// How long a claimed job is this replica's before another may take it.
    pub lease_ms: i64,
    /// A read that failed is tried again after this, doubling up to an hour.
    pub retry_after_ms: i64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            common: bus::service::Common::default(),
            health_addr: "127.0.0.1:8085".into(),
            providers: providers::ProvidersConfig::default(),
            limits: store::limits::LimitsConfig::default(),
            schedule: SnapshotSchedule::default(),
            poll_interval_ms: 1_000,
            batch: 50,
            concurrency: 16,
            lease_ms: 120_000,
            retry_after_ms: 60_000,
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
