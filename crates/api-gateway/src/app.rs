use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, dev::Server, web};
use bus::{BusHandle, Role, RpcClient};
use tokio::sync::Notify;

use crate::{config::Config, error::ApiError, routes};

pub struct AppState {
    pub pool: store::Pool,
    pub bus: BusHandle,
    pub rpc: RpcClient,
    pub names: bus::Names,
    pub relay_wake: Arc<Notify>,
    pub storage: storage::Storage,
    pub secrets: domain::secrets::SecretKey,
    pub limiter: crate::ratelimit::Limiter,
    pub agency_limiter: crate::agency::limits::AgencyLimiter,
    /// The assistant's model client (it answers "not configured" when no model is set).
    pub assistant: assistant::Client,
    /// The application layer: every post change and the dry run go through it.
    pub posting: posting::Posting,
    /// The gateway's own address, for MCP tool calls made through the HTTP API.
    pub self_url: String,
    pub http: reqwest::Client,
    /// The broker's queue figures, refreshed by `queues::watch`.
    pub queues: crate::queues::Watch,
    /// API keys whose use was recorded within the minute.
    pub touched: crate::auth::Touched,
    /// API keys read within the last seconds (`auth::cache`).
    pub keys: std::sync::Arc<crate::auth::cache::KeyCache>,
    pub config: Config,
}

impl AppState {
    pub fn committed(&self) {
        self.relay_wake.notify_one();
    }
}

/// Routes another crate serves on the gateway's server, with its state (the dashboard).
pub type Mount = fn(&mut web::ServiceConfig);

/// Starts the gateway on an already-bound listener (tests bind port 0), with its outbox
/// relay and what `mount` adds. Broker outages do not stop acceptance: accepted posts
/// wait in the outbox.
pub fn run(config: Config, listener: TcpListener, mount: Mount) -> anyhow::Result<Server> {
    config.common.log("api-gateway");
    let pool = store::connect_pool(&config.common.database_url, config.common.db_pool_size)?;
    let bus = BusHandle::start(config.common.bus.clone(), Role::Gateway, "api-gateway");
    let rpc = RpcClient::new(bus.clone());
    let names = bus::Names::new(&config.common.bus.prefix);
    let relay_wake = Arc::new(Notify::new());
    let posting = posting::Posting::new(
        pool.clone(),
        rpc.clone(),
        names.clone(),
        relay_wake.clone(),
        providers::Providers::new(config.providers.clone())?,
        posting::Settings {
            public_url: config.public_url.clone(),
            ingest_timeout: Duration::from_millis(config.ingest_timeout_ms),
            command_timeout: Duration::from_millis(config.command_timeout_ms),
            profile_cache: Duration::from_millis(config.profile_cache_ms),
        },
    );
    tokio::spawn(posting.listen_for_profile_changes(config.common.database_url.clone()));
    let keys = std::sync::Arc::new(crate::auth::cache::new(Duration::from_millis(config.key_cache_ms)));
    let state = web::Data::new(AppState {
        pool: pool.clone(),
        rpc,
        bus: bus.clone(),
        names,
        relay_wake,
        storage: storage::Storage::from_config(&config.storage)?,
        secrets: config.token_secret()?,
        limiter: crate::ratelimit::Limiter::new(&config.rate_limits),
        agency_limiter: crate::agency::limits::AgencyLimiter::new(&config.agency_rate_limits),
        assistant: assistant::Client::new(config.assistant.clone())?,
        posting,
        self_url: format!("http://{}", listener.local_addr()?),
        http: reqwest::Client::builder().timeout(Duration::from_secs(20)).build()?,
        queues: crate::queues::Watch::default(),
        touched: crate::auth::Touched::default(),
        keys: keys.clone(),
        config: config.clone(),
    });
    tokio::spawn(store::notified::listen(keys, config.common.database_url.clone()));
    tokio::spawn(crate::queues::watch(state.clone().into_inner(), Duration::from_millis(config.queue_watch_ms)));
    // /metrics on an internal address of its own, when one is set; else beside the API.
    let public_metrics = config.metrics_addr.is_empty();
    if !public_metrics {
        let for_metrics = state.clone();
        let internal = HttpServer::new(move || {
            App::new().app_data(for_metrics.clone()).route("/metrics", web::get().to(routes::health::metrics))
        })
        .workers(1)
        .bind(&config.metrics_addr)?;
        tracing::info!(addr = %config.metrics_addr, "metrics served on the internal address");
        tokio::spawn(internal.run());
    }
    let relay_pool = store::connect_generic_pool(&config.common.database_url, 1)?;
    tokio::spawn(bus::relay::run(relay_pool, bus, state.relay_wake.clone(), Duration::from_millis(500)));
    let pruned = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(60)).await;
            pruned.limiter.prune();
            pruned.agency_limiter.prune();
        }
    });

    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            // Every extractor's refusal is a problem naming what was wrong, like the rest.
            .app_data(web::QueryConfig::default().error_handler(|e, _| ApiError::field("query", e.to_string()).into()))
            .app_data(web::JsonConfig::default().error_handler(|e, _| ApiError::field("", e.to_string()).into()))
            .app_data(web::FormConfig::default().error_handler(|e, _| ApiError::field("", e.to_string()).into()))
            .app_data(web::PathConfig::default().error_handler(|e, _| ApiError::field("path", e.to_string()).into()))
            .wrap(actix_web::middleware::Compress::default())
            .wrap(actix_web::middleware::from_fn(crate::observe::request))
            // The agency surface (seed 002) first: `/api/v1` would take its paths.
            .service(
                web::scope("/api/v1/social")
                    .app_data(crate::agency::json_config())
                    .wrap(actix_web::middleware::from_fn(crate::idempotency::middleware))
                    .configure(crate::agency::social)
                    .default_service(web::to(crate::agency::not_found)),
            )
            .service(
                web::scope("/api/v1/campaigns")
                    .app_data(crate::agency::json_config())
                    .wrap(actix_web::middleware::from_fn(crate::idempotency::middleware))
                    .configure(crate::agency::campaigns)
                    .default_service(web::to(crate::agency::not_found)),
            )
            .service(
                web::scope("/api/v1/portal/social")
                    .app_data(crate::agency::json_config())
                    .wrap(actix_web::middleware::from_fn(crate::idempotency::middleware))
                    .configure(crate::agency::portal)
                    .default_service(web::to(crate::agency::not_found)),
            )
            .service(
                web::scope("/api/v1")
                    .wrap(actix_web::middleware::from_fn(crate::idempotency::middleware))
                    .configure(crate::agency::organizations)
                    .configure(routes::api),
            )
            .service(
                web::scope("/api")
                    .wrap(actix_web::middleware::from_fn(crate::idempotency::middleware))
                    .configure(routes::api),
            )
            .configure(mount)
            .route("/media/{asset_id}", web::get().to(routes::media::serve))
            .route("/uploads/{id}", web::put().to(routes::uploads::receive))
            .route("/connect/callback", web::get().to(routes::profiles::connect_callback))
            .route("/mcp", web::post().to(crate::mcp::handle))
            .route("/mcp", web::get().to(crate::mcp::no_stream))
            .route("/healthz", web::get().to(|| async { HttpResponse::Ok().json(serde_json::json!({"status": "ok"})) }))
            .route("/readyz", web::get().to(routes::health::ready))
            .configure(|c| {
                if public_metrics {
                    c.route("/metrics", web::get().to(routes::health::metrics));
                }
            })
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::NotFound(crate::error::Missing::Endpoint))
            }))
    })
    .workers(config.http_workers)
    .listen(listener)?
    .run();
    Ok(server)
}
