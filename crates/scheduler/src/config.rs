use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    #[serde(flatten)]
    pub common: bus::service::Common,
    /// Where `/healthz` and `/readyz` listen (port 0: any free port, printed at start).
    pub health_addr: String,
    /// Longest the dispatcher sleeps without looking at the database; posts written by
    /// another replica are seen at the latest after this.
    pub dispatch_poll_ms: u64,
    pub dispatch_batch: i64,
    /// The assistant's model, for rewrite jobs.
    pub assistant: assistant::AssistantConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            common: bus::service::Common::default(),
            health_addr: "127.0.0.1:8082".into(),
            dispatch_poll_ms: 500,
            dispatch_batch: 500,
            assistant: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    /// Keeps `proto/config-keys.json` true, so every service can refuse a key none knows.
    #[test]
    fn config_keys_are_registered() {
        if let Err(e) = telemetry::config::check_registered::<super::Config>("scheduler") {
            panic!("{e}");
        }
    }
}
