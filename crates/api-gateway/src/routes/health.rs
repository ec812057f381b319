use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::{app::AppState, auth, error::ApiResult, views};

/// Liveness for anyone; with a valid key, the figures an operator needs, limited to what
/// the key may see.
#[utoipa::path(
    get, path = "/api/health", operation_id = "health", tag = "operations",
    responses((status = 200, description = "Liveness; with a key, queue depths, outbox backlog, stale work and per-provider failures", body = views::Health))
)]
pub async fn health(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let database_ok = state.pool.get().await.is_ok();
    let broker = state.bus.get().await;
    let checks = views::HealthChecks {
        database: if database_ok { "ok" } else { "unavailable" },
        broker: if broker.is_some() { "ok" } else { "unavailable" },
    };
    let caller = match auth::bearer(&req) {
        Some(token) => auth::authenticate(&state, &token).await.ok(),
        None => None,
    };
    let figures = match (caller, database_ok) {
        (Some(caller), true) => {
            let mut conn = state.pool.get().await?;
            let per_provider = store::health::per_provider(&mut conn, &caller.scope).await?;
            let stale = store::health::stale(&mut conn, &caller.scope).await?;
            let reading = state.queues.read().await.clone();
            Some(views::OperatorFigures {
                queues: reading.depths(),
                consumers: reading.queues.iter().map(|(k, s)| (k.clone(), s.consumers)).collect(),
                queues_read_at: reading.read_at,
                warnings: reading.warnings(),
                reconciliation: reconciliation(&mut conn).await?,
                outbox_backlog: store::outbox::backlog(&mut conn).await?,
                stale: views::StaleWork { pending_posts: stale.pending_posts, overdue_posts: stale.overdue_posts },
                providers: per_provider
                    .iter()
                    .map(|f| {
                        let figures = views::ProviderFigures {
                            published_24h: f.published_24h,
                            failed_24h: f.failed_24h,
                            stale_deliveries: f.stale_deliveries,
                        };
                        (f.provider.clone(), figures)
                    })
                    .collect(),
            })
        }
        _ => None,
    };
    let status = if database_ok && broker.is_some() { "ok" } else { "degraded" };
    Ok(HttpResponse::Ok().json(views::Health { status, checks, figures }))
}

pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match bus::service::check_ready(&state.pool, &state.bus).await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(reason) => HttpResponse::ServiceUnavailable().json(json!({"status": "not_ready", "reason": reason})),
    }
}

/// `/metrics`: the process's counters and histograms, plus the system gauges read at
/// scrape time: queue depths (from the broker) and the outbox backlog.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    // Queue gauges are set by the queue watch, on its interval: no broker call here.
    if let Ok(mut conn) = state.pool.get().await
        && let Ok(n) = store::outbox::backlog(&mut conn).await
    {
        metrics::gauge!("postmantis_outbox_backlog").set(n as f64);
    }
    telemetry::render_metrics().await
}

/// What each reconciliation sweep found on its last run, by sweep.
pub async fn reconciliation(conn: &mut store::Conn) -> Result<Value, store::StoreError> {
    let runs = store::sweep::last_runs(conn).await?;
    Ok(Value::Object(runs.into_iter().map(|r| (r.name, json!({"ran_at": r.ran_at, "found": r.found}))).collect()))
}
