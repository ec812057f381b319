use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;

pub struct Ctx {
    pub pool: store::Pool,
    pub providers: providers::Providers,
    pub secrets: domain::secrets::SecretKey,
    pub config: Config,
}

/// Ready means a database connection answers (the collector uses no broker).
async fn ready(pool: &store::Pool) -> Result<(), String> {
    use diesel_async::RunQueryDsl;
    let mut conn = pool.get().await.map_err(|e| format!("postgres: {e}"))?;
    diesel::sql_query("SELECT 1").execute(&mut conn).await.map_err(|e| format!("postgres: {e}"))?;
    Ok(())
}

pub async fn run(config: Config, health: std::net::TcpListener) -> anyhow::Result<()> {
    config.common.log("collector");
    let pool = store::connect_pool(&config.common.database_url, config.common.db_pool_size)?;
    let ctx = Arc::new(Ctx {
        pool: pool.clone(),
        providers: providers::Providers::new(config.providers.clone())?,
        secrets: domain::secrets::SecretKey::from_base64(&config.common.token_key)?,
        config: config.clone(),
    });
    let p = pool.clone();
    let server = telemetry::serve_health(
        health,
        Arc::new(move || {
            let p = p.clone();
            Box::pin(async move { ready(&p).await })
        }),
    )?;
    tokio::spawn(server);
    let stop = Arc::new(tokio::sync::Notify::new());
    let work = tokio::spawn(crate::snapshots::run(ctx.clone(), stop.clone()));
    bus::shutdown_signal().await;
    // Reads in flight finish (their jobs are recorded); nothing new is claimed.
    stop.notify_waiters();
    let grace = Duration::from_millis(config.common.shutdown_grace_ms);
    if tokio::time::timeout(grace, work).await.is_err() {
        tracing::warn!(
            "reads still in flight at the end of the grace period; their leases lapse and another replica retakes them"
        );
    }
    tracing::info!("stopped");
    Ok(())
}
