//! What every binary shares at startup: logging, layered configuration, the
//! `/healthz` + `/readyz` server of the workers, and the line that announces an address.

use std::future::Future;
use std::net::TcpListener;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, web};
use tracing_subscriber::EnvFilter;

pub mod config;
mod traces;

pub use config::load_config;
pub use traces::{TraceGuard, continue_trace, current_traceparent};

/// Logs to stderr; JSON when `POSTMANTIS_LOG_FORMAT=json` (for collectors), text otherwise.
/// Spans go to OTLP too when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Keep the guard for the
/// life of `main`: dropping it flushes what is buffered.
pub fn init_tracing(service: &'static str) -> TraceGuard {
    use tracing_subscriber::{Layer, layer::SubscriberExt, util::SubscriberInitExt};
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,lapin=warn,actix_server=warn"));
    let json = std::env::var("POSTMANTIS_LOG_FORMAT").is_ok_and(|v| v == "json");
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_target(false);
    let fmt = if json { fmt.json().boxed() } else { fmt.compact().boxed() };
    // Built on a plain thread: the exporter's blocking HTTP client must not be made inside
    // the async runtime `main` runs on.
    let provider = std::thread::spawn(move || traces::otlp_provider(service)).join().ok().flatten();
    let otel = provider.as_ref().map(|p| traces::layer(p, service));
    let _ = tracing_subscriber::registry().with(filter).with(fmt).with(otel).try_init();
    tracing::info!(service, version = env!("CARGO_PKG_VERSION"), otlp = provider.is_some(), "starting");
    // Installed before anything is recorded, or the first samples go nowhere.
    metrics();
    traces::guard(provider)
}

/// The process's Prometheus registry (installed on first use). Dispatch lateness and
/// durations get explicit buckets so they are histograms, not summaries.
pub fn metrics() -> &'static metrics_exporter_prometheus::PrometheusHandle {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> = std::sync::OnceLock::new();
    HANDLE.get_or_init(|| {
        let buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &buckets)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        match builder.install_recorder() {
            Ok(h) => h,
            // A recorder is already installed (tests in one process): keep a detached one.
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        }
    })
}

/// Prints the address a server listens on, on stdout, in a form scripts and tests parse.
pub fn announce(what: &str, listener: &TcpListener) -> std::io::Result<String> {
    let url = format!("http://{}", listener.local_addr()?);
    println!("LISTENING {what} {url}");
    Ok(url)
}

pub type ReadyCheck = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

/// `/healthz` answers while the process runs; `/readyz` runs the service's checks
/// (PostgreSQL, RabbitMQ) and answers 503 with the reason when one fails.
pub fn serve_health(listener: TcpListener, ready: ReadyCheck) -> std::io::Result<actix_web::dev::Server> {
    let ready = web::Data::new(ready);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(ready.clone())
            .route("/healthz", web::get().to(|| async { HttpResponse::Ok().json(serde_json::json!({"status": "ok"})) }))
            .route("/metrics", web::get().to(render_metrics))
            .route(
                "/readyz",
                web::get().to(|ready: web::Data<ReadyCheck>| async move {
                    match (ready.get_ref())().await {
                        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ready"})),
                        Err(why) => HttpResponse::ServiceUnavailable()
                            .json(serde_json::json!({"status": "not_ready", "reason": why})),
                    }
                }),
            )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run())
}

/// `GET /metrics` in the Prometheus text format.
pub async fn render_metrics() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(metrics().render())
}
