use std::sync::Arc;
use std::time::Duration;

use bus::{BusHandle, Role};
use domain::Provider;
use tokio::sync::Notify;

use crate::config::Config;

pub struct Ctx {
    pub pool: store::Pool,
    pub names: bus::Names,
    pub providers: providers::Providers,
    pub relay_wake: Arc<Notify>,
    /// Decrypts webhook secrets (tokens go through `tokens`).
    pub secrets: domain::secrets::SecretKey,
    pub tokens: credentials::Tokens,
    /// Endpoints are checked again before every send (a name may resolve elsewhere now).
    pub webhook_guard: egress::Guard,
    pub webhook_http: reqwest::Client,
    /// When a delivery at a full profile cap looks again.
    pub turns: Arc<crate::turns::Turns>,
    pub config: Config,
}

impl Ctx {
    /// The longest one publish may take: every request of it (media steps included).
    pub fn publish_deadline(&self) -> Duration {
        Duration::from_millis(self.config.providers.timeout_ms.saturating_mul(2))
    }

    /// By then every call an attempt started has ended: at most two publishes (the second
    /// after a token refresh), and a second of margin.
    pub fn attempt_bound(&self) -> Duration {
        self.publish_deadline() * 2 + Duration::from_secs(1)
    }
}

pub async fn run(config: Config, health: std::net::TcpListener) -> anyhow::Result<()> {
    config.common.log("delivery-worker");
    let pool = store::connect_pool(&config.common.database_url, config.common.db_pool_size)?;
    let life = bus::Lifecycle::new();
    let bus = BusHandle::start(config.common.bus.clone(), Role::DeliveryWorker, "delivery-worker");
    let enabled: Vec<Provider> = if config.providers_enabled.is_empty() {
        Provider::ALL.to_vec()
    } else {
        config.providers_enabled.iter().map(|p| p.parse()).collect::<Result<_, _>>()?
    };
    let webhook_guard = egress::Guard::new(&config.common.webhook_allow_hosts);
    let providers = providers::Providers::new(config.providers.clone())?;
    let tokens = credentials::Tokens {
        pool: pool.clone(),
        providers: providers.clone(),
        secrets: domain::secrets::SecretKey::from_base64(&config.common.token_key)?,
    };
    let ctx = Arc::new(Ctx {
        pool: pool.clone(),
        names: bus::Names::new(&config.common.bus.prefix),
        providers: providers.clone(),
        relay_wake: Arc::new(Notify::new()),
        secrets: tokens.secrets.clone(),
        tokens: tokens.clone(),
        webhook_http: egress::client(
            &webhook_guard,
            Duration::from_millis(config.webhook_timeout_ms),
            concat!("PostMantis-Webhooks/", env!("CARGO_PKG_VERSION")),
        )?,
        webhook_guard,
        turns: Arc::default(),
        config: config.clone(),
    });
    tokio::spawn(credentials::refresh_ahead(
        tokens,
        Duration::from_millis(config.token_refresh_interval_ms),
        chrono::Duration::seconds(config.token_refresh_ahead_s),
    ));

    bus::service::spawn_health(health, &pool, &bus)?;
    let relay_pool = store::connect_generic_pool(&config.common.database_url, 1)?;
    tokio::spawn(bus::relay::run(relay_pool, bus.clone(), ctx.relay_wake.clone(), Duration::from_millis(500)));
    tokio::spawn(crate::sweep::run(ctx.clone(), config.common.sweep.clone()));
    tokio::spawn(crate::webhooks::fan_out(ctx.clone(), Duration::from_millis(config.webhook_fan_out_ms)));
    let c = ctx.clone();
    tokio::spawn(bus::consume_forever(
        bus.clone(),
        ctx.names.webhook_queue(),
        config.concurrency,
        life.clone(),
        move |m| {
            let c = c.clone();
            async move { crate::webhooks::handle(&c, m).await }
        },
    ));
    for provider in enabled {
        let c = ctx.clone();
        tokio::spawn(bus::consume_forever(
            bus.clone(),
            ctx.names.delivery_queue(provider),
            config.concurrency,
            life.clone(),
            move |m| {
                let c = c.clone();
                async move { crate::deliver::handle(&c, m).await }
            },
        ));
    }
    bus::service::run_until_shutdown(&config.common, &life, &ctx.pool, &bus).await;
    Ok(())
}
