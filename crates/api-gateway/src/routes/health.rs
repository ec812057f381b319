use actix_web::{HttpRequest, HttpResponse, web};
use domain::Provider;
use serde_json::{Map, Value, json};

use crate::{app::AppState, auth, error::ApiResult};

/// Liveness for anyone; with a valid key, the figures an operator needs, limited to what
/// the key may see.
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
        let mut queues = Map::new();
        if let Some(b) = &broker {
            for p in Provider::ALL {
                let name = state.names.delivery_queue(*p);
                if let Ok(n) = b.queue_depth(&name).await {
                    queues.insert(format!("deliveries.{p}"), json!(n));
                }
            }
            if let Ok(n) = b.queue_depth(&state.names.retry_queue()).await {
                queues.insert("deliveries.retry".into(), json!(n));
            }
        }
        body["queues"] = Value::Object(queues);
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
