use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    #[serde(flatten)]
    pub common: bus::service::Common,
    pub health_addr: String,
    /// Where owned assets are written (the gateway serves them from the same place).
    pub storage_dir: String,
    pub max_remote_bytes: u64,
    pub fetch_timeout_ms: u64,
    /// Allow remote URLs on loopback / private addresses (tests and `make run` only).
    pub allow_private_urls: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            common: bus::service::Common::default(),
            health_addr: "127.0.0.1:8084".into(),
            storage_dir: "./.run/media".into(),
            max_remote_bytes: 100 * 1024 * 1024,
            fetch_timeout_ms: 20_000,
            allow_private_urls: false,
        }
    }
}
