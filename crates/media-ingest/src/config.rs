use serde::{Deserialize, Serialize};
use storage::StorageConfig;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    #[serde(flatten)]
    pub common: bus::service::Common,
    pub health_addr: String,
    /// Where assets live (shared with the gateway).
    pub storage: StorageConfig,
    /// Largest remote file fetched.
    pub max_remote_bytes: u64,
    /// Whole-download deadline for a remote file.
    pub fetch_timeout_ms: u64,
    pub max_redirects: usize,
    /// Hosts that may be fetched although they are loopback/private (comma-separated;
    /// tests and `make run` allow 127.0.0.1). Everything else private is refused.
    pub remote_allow_hosts: String,
    /// How often expired upload sessions and unused imported assets are removed.
    pub janitor_interval_ms: u64,
    /// An imported or multipart asset no post took is removed after this long.
    pub orphan_grace_s: i64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            common: bus::service::Common::default(),
            health_addr: "127.0.0.1:8084".into(),
            storage: StorageConfig::default(),
            max_remote_bytes: 100 * 1024 * 1024,
            fetch_timeout_ms: 20_000,
            max_redirects: 5,
            remote_allow_hosts: String::new(),
            janitor_interval_ms: 60_000,
            orphan_grace_s: 3600,
        }
    }
}

#[cfg(test)]
mod tests {
    /// Keeps `proto/config-keys.json` true, so every service can refuse a key none knows.
    #[test]
    fn config_keys_are_registered() {
        if let Err(e) = telemetry::config::check_registered::<super::Config>("media-ingest") {
            panic!("{e}");
        }
    }
}
