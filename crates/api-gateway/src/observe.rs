//! What the gateway records of every request: a span continuing the caller's trace, and
//! latency by route pattern.

use actix_web::web;

use crate::app::AppState;

/// HTTP latency by route pattern (never by raw path, so ids do not multiply series).
pub async fn request(
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
