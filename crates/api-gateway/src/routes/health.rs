use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

use crate::{app::AppState, auth, error::ApiResult};

/// Liveness for anyone; with a valid key, the figures an operator needs, limited to what
/// the key may see.
#[utoipa::path(
    get, path = "/api/health", operation_id = "health", tag = "operations",
    responses((status = 200, description = "Liveness; with a key, queue depths, outbox backlog, stale work and per-provider failures", body = crate::openapi::Health))
)]
pub async fn health(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let database_ok = state.pool.get().await.is_ok();
    let broker = state.bus.get().await;
    let status = if database_ok && broker.is_some() { "ok" } else { "degraded" };
    let mut body = json!({
        "status": status,
        "checks": {
            "database": if database_ok { "ok" } else { "unavailable" },
            "broker": if broker.is_some() { "ok" } else { "unavailable" },
        },
    });
    let caller = match auth::bearer(&req) {
        Some(token) => auth::authenticate(&state, &token).await.ok(),
        None => None,
    };
    if let (Some(caller), true) = (caller, database_ok) {
        let mut conn = state.pool.get().await?;
        let per_provider = store::health::per_provider(&mut conn, &caller.scope).await?;
        let stale = store::health::stale(&mut conn, &caller.scope).await?;
        let backlog = store::outbox::backlog(&mut conn).await?;
        let reading = state.queues.read().await.clone();
        let queues: Map<String, Value> = reading.depths().into_iter().map(|(k, n)| (k, json!(n))).collect();
        body["queues"] = Value::Object(queues);
        body["consumers"] =
            Value::Object(reading.queues.iter().map(|(k, s)| (k.clone(), json!(s.consumers))).collect());
        body["queues_read_at"] = json!(reading.read_at);
        body["warnings"] = json!(reading.warnings());
        body["reconciliation"] = reconciliation(&mut conn).await?;
        body["outbox_backlog"] = json!(backlog);
        body["stale"] = json!({"pending_posts": stale.pending_posts, "overdue_posts": stale.overdue_posts});
        body["providers"] = Value::Object(
            per_provider
                .iter()
                .map(|f| {
                    (f.provider.clone(), json!({"published_24h": f.published_24h, "failed_24h": f.failed_24h, "stale_deliveries": f.stale_deliveries}))
                })
                .collect(),
        );
    }
    Ok(HttpResponse::Ok().json(body))
}

pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match bus::service::check_ready(&state.pool, &state.bus).await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(reason) => HttpResponse::ServiceUnavailable().json(json!({"status": "not_ready", "reason": reason})),
    }
}

/// HTTP latency by route pattern (never by raw path, so ids do not multiply series).
pub async fn measure(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let method = req.method().to_string();
    // Every request is a span, continuing the caller's trace when it sends one.
    let span = tracing::info_span!(
        "http",
        otel.name = %format!("{method} {}", req.path()),
        otel.kind = "server",
        http.method = %method,
        trace_id = tracing::field::Empty,
    );
    let parent = req.headers().get("traceparent").and_then(|v| v.to_str().ok()).map(str::to_owned);
    telemetry::continue_trace(&span, parent.as_deref());
    let res = tracing::Instrument::instrument(next.call(req), span).await?;
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
    let status = res.status().as_u16().to_string();
    metrics::histogram!("postmantis_http_request_duration_seconds", "method" => method, "route" => route, "status" => status)
        .record(started.elapsed().as_secs_f64());
    let (in_use, max) = res.request().app_data::<web::Data<AppState>>().map(|s| s.pool.usage()).unwrap_or((0, 0));
    metrics::gauge!("postmantis_db_pool_in_use").set(in_use as f64);
    metrics::gauge!("postmantis_db_pool_max").set(max as f64);
    Ok(res)
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
