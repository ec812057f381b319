//! `GET /social/health`: deliveries by where they are, and accounts by status.

use actix_web::{HttpResponse, http::StatusCode, web};
use serde_json::json;

use super::{
    auth::Org,
    envelope::{AgencyResult, ok},
    names,
};
use crate::app::AppState;

pub async fn get(state: web::Data<AppState>, org: Org) -> AgencyResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let q = store::health::delivery_queue(&mut conn, &org.scope).await?;
    let profiles = store::profiles::list(&mut conn, &org.scope).await?;
    let count = |s: &str| profiles.iter().filter(|(p, _)| names::account_status(p) == s).count();
    Ok(ok(
        StatusCode::OK,
        json!({
            "queue": {"pending": q.pending, "processing": q.processing, "completed": q.completed, "failed": q.failed, "stale": q.stale},
            "accounts": {
                "active": count("active"),
                "token_expired": count("token_expired"),
                "disconnected": count("disconnected"),
                "rate_limited": count("rate_limited"),
                "total": profiles.len(),
            },
            "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }),
    ))
}
