use std::sync::Arc;

use bus::{BusHandle, Role};
use storage::Storage;

use crate::config::Config;

pub struct Ctx {
    pub pool: store::Pool,
    pub bus: BusHandle,
    pub storage: Storage,
    pub http: reqwest::Client,
    pub config: Config,
}

pub async fn run(config: Config, health: std::net::TcpListener) -> anyhow::Result<()> {
    config.common.log("media-ingest");
    let pool = store::connect_pool(&config.common.database_url, config.common.db_pool_size)?;
    let life = bus::Lifecycle::new();
    let bus = BusHandle::start(config.common.bus.clone(), Role::MediaIngest, "media-ingest");
    let names = bus::Names::new(&config.common.bus.prefix);
    let storage = Storage::from_config(&config.storage)?;
    let http = crate::fetch::client(&config)?;
    let ctx = Arc::new(Ctx { pool: pool.clone(), bus: bus.clone(), storage, http, config: config.clone() });

    bus::service::spawn_health(health, &pool, &bus)?;
    let c = ctx.clone();
    tokio::spawn(bus::consume_forever(bus.clone(), names.media_events(), 32, life.clone(), move |m| {
        let c = c.clone();
        async move { crate::handlers::on_event(&c, m).await }
    }));
    let c = ctx.clone();
    tokio::spawn(bus::consume_forever(bus.clone(), names.media_rpc(), 16, life.clone(), move |m| {
        let c = c.clone();
        async move { crate::handlers::on_request(&c, m).await }
    }));
    tokio::spawn(crate::janitor::run(ctx.clone()));
    bus::service::run_until_shutdown(&config.common, &life, &pool, &bus).await;
    Ok(())
}
