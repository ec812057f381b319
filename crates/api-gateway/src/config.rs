use serde::{Deserialize, Serialize};

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
    pub storage_dir: String,
    /// How long the gateway waits for the scheduler to answer a cancel or edit.
    pub command_timeout_ms: u64,
    /// How long the gateway waits for media-ingest to own one remote file.
    pub ingest_timeout_ms: u64,
    pub max_body_bytes: usize,
    pub http_workers: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            common: bus::service::Common::default(),
            http_addr: "127.0.0.1:8080".into(),
            public_url: String::new(),
            storage_dir: "./.run/media".into(),
            command_timeout_ms: 10_000,
            ingest_timeout_ms: 30_000,
            max_body_bytes: 1024 * 1024,
            http_workers: 2,
        }
    }
}
