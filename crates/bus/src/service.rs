//! Settings and checks every service binary shares.

use serde::{Deserialize, Serialize};
use store::Pool;

use crate::{BusConfig, BusHandle};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Common {
    pub database_url: String,
    pub db_pool_size: usize,
    pub bus: BusConfig,
    /// On SIGTERM, how long handlers in flight may take before the process exits anyway.
    pub shutdown_grace_ms: u64,
    /// Webhook endpoint hosts allowed although they are loopback or private
    /// (comma-separated; empty by default; tests set it). Checked at creation and send.
    pub webhook_allow_hosts: String,
    /// The reconciliation sweeps (scheduler and delivery workers).
    pub sweep: SweepConfig,
    /// AES-256-GCM key (32 bytes, base64) for provider tokens at rest: the gateway stores
    /// them, the delivery workers use them. The default is for development only.
    pub token_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SweepConfig {
    /// How often each sweep runs.
    pub interval_ms: u64,
    /// Work with no sign of life for this long is re-driven (delivery workers wait at
    /// least the retry delay plus two attempt deadlines on top).
    pub stuck_after_s: i64,
}

impl Default for SweepConfig {
    fn default() -> Self {
        Self { interval_ms: 30_000, stuck_after_s: 120 }
    }
}

impl Default for Common {
    fn default() -> Self {
        Self {
            database_url: "postgres://postgres@127.0.0.1:5432/postmantis".into(),
            db_pool_size: 10,
            bus: BusConfig::default(),
            shutdown_grace_ms: 25_000,
            webhook_allow_hosts: String::new(),
            sweep: SweepConfig::default(),
            token_key: domain::secrets::DEVELOPMENT_KEY.into(),
        }
    }
}

impl Common {
    /// Logs what every service shares, as this service reads it (secrets and the database
    /// password left out), so an operator sees at start that one setting reached them all.
    pub fn log(&self, service: &str) {
        let database = self.database_url.rsplit_once('@').map_or(self.database_url.as_str(), |(_, host)| host);
        let development_key = self.token_key == domain::secrets::DEVELOPMENT_KEY;
        tracing::info!(
            service,
            database,
            db_pool_size = self.db_pool_size,
            bus_prefix = %self.bus.prefix,
            queue_type = %self.bus.queue_type,
            retry_delay_ms = self.bus.retry_delay_ms,
            max_redeliveries = self.bus.max_redeliveries,
            shutdown_grace_ms = self.shutdown_grace_ms,
            sweep_interval_ms = self.sweep.interval_ms,
            development_key,
            "shared configuration"
        );
    }
}

/// Ready means: a database connection answers and the broker connection is up.
pub async fn check_ready(pool: &Pool, bus: &BusHandle) -> Result<(), String> {
    use diesel_async::RunQueryDsl;
    let mut conn = pool.get().await.map_err(|e| format!("postgres: {e}"))?;
    diesel::sql_query("SELECT 1").execute(&mut conn).await.map_err(|e| format!("postgres: {e}"))?;
    if bus.get().await.is_none() {
        return Err(bus.unavailable_because().await);
    }
    Ok(())
}

/// Serves `/healthz`, `/readyz` (PostgreSQL and RabbitMQ) and `/metrics` for a worker
/// service on an already-bound listener (tests bind port 0).
pub fn spawn_health(listener: std::net::TcpListener, pool: &Pool, bus: &BusHandle) -> std::io::Result<()> {
    let (p, b) = (pool.clone(), bus.clone());
    let server = telemetry::serve_health(
        listener,
        std::sync::Arc::new(move || {
            let (p, b) = (p.clone(), b.clone());
            Box::pin(async move { check_ready(&p, &b).await })
        }),
    )?;
    tokio::spawn(server);
    Ok(())
}

/// Waits for SIGTERM/SIGINT, then stops consuming, lets handlers in flight finish, and
/// sends what the outbox holds.
pub async fn run_until_shutdown(common: &Common, life: &crate::Lifecycle, pool: &Pool, bus: &BusHandle) {
    crate::shutdown_signal().await;
    let grace = std::time::Duration::from_millis(common.shutdown_grace_ms);
    life.stop(grace).await;
    crate::relay::flush(pool, bus, std::time::Duration::from_secs(5)).await;
    tracing::info!("stopped");
}
