use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;

pub struct Ctx {
    pub pool: store::Pool,
    pub providers: providers::Providers,
    pub secrets: domain::secrets::SecretKey,
    pub config: Config,
    /// The application layer, for the posts feeds make (as the gateway makes them).
    pub posting: posting::Posting,
    /// Feeds are fetched through `egress` (no private address, redirects checked by hand).
    pub web: reqwest::Client,
}

/// Ready means a database connection answers (the broker only carries the feeds' posts,
/// which wait in the outbox while it is away).
async fn ready(pool: &store::Pool) -> Result<(), String> {
    use diesel_async::RunQueryDsl;
    let mut conn = pool.get().await.map_err(|e| format!("postgres: {e}"))?;
    diesel::sql_query("SELECT 1").execute(&mut conn).await.map_err(|e| format!("postgres: {e}"))?;
    Ok(())
}

pub async fn run(config: Config, health: std::net::TcpListener) -> anyhow::Result<()> {
    config.common.log("collector");
    let pool = store::connect_pool(&config.common.database_url, config.common.db_pool_size)?;
    let bus = bus::BusHandle::start(config.common.bus.clone(), bus::Role::Gateway, "collector");
    let relay_wake = Arc::new(tokio::sync::Notify::new());
    let posting = posting::Posting::new(
        pool.clone(),
        bus::RpcClient::new(bus.clone()),
        bus::Names::new(&config.common.bus.prefix),
        relay_wake.clone(),
        providers::Providers::new(config.providers.clone())?,
        posting::Settings {
            public_url: String::new(),
            ingest_timeout: Duration::from_millis(config.ingest_timeout_ms),
            command_timeout: Duration::from_millis(config.command_timeout_ms),
            // A feed's posts are few: not worth a listening connection.
            profile_cache: Duration::ZERO,
        },
    );
    let web = egress::client(
        &egress::Guard::new(&config.feed_allow_hosts),
        Duration::from_millis(config.feed_timeout_ms),
        concat!("PostMantis-feeds/", env!("CARGO_PKG_VERSION")),
    )?;
    let ctx = Arc::new(Ctx {
        pool: pool.clone(),
        providers: providers::Providers::new(config.providers.clone())?,
        secrets: domain::secrets::SecretKey::from_base64(&config.common.token_key)?,
        config: config.clone(),
        posting,
        web,
    });
    let relay_pool = store::connect_generic_pool(&config.common.database_url, 1)?;
    tokio::spawn(bus::relay::run(relay_pool, bus, relay_wake, Duration::from_millis(500)));
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
    let posts = tokio::spawn(crate::snapshots::run(ctx.clone(), stop.clone()));
    let accounts = tokio::spawn(crate::accounts::run(ctx.clone(), stop.clone()));
    let feeds = tokio::spawn(crate::feeds::run(ctx.clone(), stop.clone()));
    let inbox = tokio::spawn(crate::inbox::run(ctx.clone(), stop.clone()));
    bus::shutdown_signal().await;
    // Reads in flight finish (their jobs are recorded); nothing new is claimed.
    stop.notify_waiters();
    let grace = Duration::from_millis(config.common.shutdown_grace_ms);
    if tokio::time::timeout(grace, async { tokio::join!(posts, accounts, feeds, inbox) }).await.is_err() {
        tracing::warn!(
            "reads still in flight at the end of the grace period; their leases lapse and another replica retakes them"
        );
    }
    tracing::info!("stopped");
    Ok(())
}
