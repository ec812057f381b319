use std::sync::Arc;
use std::time::Duration;

use bus::{BusHandle, Role};
use tokio::sync::Notify;

use crate::config::Config;
use crate::gather::{Gather, Kind};

/// Shared by the scheduler's tasks.
pub struct Ctx {
    pub pool: store::Pool,
    pub bus: BusHandle,
    pub names: bus::Names,
    /// Wakes the outbox relay after a commit.
    pub relay_wake: Arc<Notify>,
    /// Wakes the dispatcher when a post may have become due sooner.
    pub dispatch_wake: Arc<crate::dispatcher::Wake>,
    /// The assistant's model client, for rewrite jobs.
    pub assistant: assistant::Client,
    /// pending → scheduled moves, gathered into one statement.
    pub schedules: Gather,
    /// scheduled → completed moves, gathered into one statement.
    pub completions: Gather,
}

pub async fn run(config: Config, health: std::net::TcpListener) -> anyhow::Result<()> {
    config.common.log("scheduler");
    let pool = store::connect_pool(&config.common.database_url, config.common.db_pool_size)?;
    // The relay and the gathered moves, each on its generic plan (see the pool's doc).
    let moves_pool = store::connect_generic_pool(&config.common.database_url, crate::gather::CONNECTIONS)?;
    // The dispatcher's one connection, planned for its claim (see the pool's doc).
    let claim_pool = store::connect_claim_pool(&config.common.database_url, 1)?;
    let life = bus::Lifecycle::new();
    let bus = BusHandle::start(config.common.bus.clone(), Role::Scheduler, "scheduler");
    let relay_wake = Arc::new(Notify::new());
    let dispatch_wake = Arc::new(crate::dispatcher::Wake::default());
    let schedules = Gather::start(Kind::Schedule, moves_pool.clone(), {
        let (relay_wake, dispatch_wake) = (relay_wake.clone(), dispatch_wake.clone());
        move |moved| {
            if !moved.is_empty() {
                relay_wake.notify_one();
            }
            for m in moved {
                dispatch_wake.scheduled_for(m.scheduled_at);
            }
        }
    });
    let completions = Gather::start(Kind::Complete, moves_pool.clone(), {
        let relay_wake = relay_wake.clone();
        move |moved| {
            if !moved.is_empty() {
                metrics::counter!("postmantis_posts_completed_total").increment(moved.len() as u64);
                relay_wake.notify_one();
            }
        }
    });
    let ctx = Arc::new(Ctx {
        pool: pool.clone(),
        bus: bus.clone(),
        names: bus::Names::new(&config.common.bus.prefix),
        relay_wake,
        dispatch_wake,
        assistant: assistant::Client::new(config.assistant.clone())?,
        schedules,
        completions,
    });

    bus::service::spawn_health(health, &pool, &bus)?;

    tokio::spawn(bus::relay::run(moves_pool, bus.clone(), ctx.relay_wake.clone(), Duration::from_millis(500)));
    let c = ctx.clone();
    tokio::spawn(bus::consume_forever(bus.clone(), ctx.names.scheduler_events(), 64, life.clone(), move |m| {
        let c = c.clone();
        async move { crate::events::handle(&c, m).await }
    }));
    let c = ctx.clone();
    tokio::spawn(bus::consume_forever(bus.clone(), ctx.names.scheduler_rpc(), 32, life.clone(), move |m| {
        let c = c.clone();
        async move { crate::commands::handle(&c, m).await }
    }));
    tokio::spawn(crate::sweep::run(ctx.clone(), config.common.sweep.clone()));
    let dispatcher = tokio::spawn(crate::dispatcher::run(ctx.clone(), claim_pool, config.clone()));

    tokio::select! {
        _ = bus::service::run_until_shutdown(&config.common, &life, &pool, &bus) => {}
        r = dispatcher => tracing::error!(?r, "dispatcher stopped"),
    }
    Ok(())
}
