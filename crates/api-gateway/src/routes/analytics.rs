//! The workspace's figures over HTTP: stats, figures per day and per profile, and best
//! posting times (`posting::insights`).

use actix_web::{HttpRequest, HttpResponse, web};
use posting::insights::Filter;

use crate::{
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult},
    routes::request::QueryPairs,
    views::Envelope,
};

/// `provider`, `profile`, `from`, `to` (RFC 3339), each optional.
fn filter(req: &HttpRequest) -> ApiResult<Filter> {
    let q = QueryPairs::parse(req)?;
    q.check_known(&["provider", "profile", "from", "to"])?;
    let provider = match q.one("provider") {
        Some(p) => Some(p.parse::<domain::Provider>().map_err(|e| ApiError::field("provider", e.to_string()))?),
        None => None,
    };
    let profile = q.uuids::<domain::ProfileId>("profile")?.and_then(|v| v.into_iter().next());
    let (from, to) = (q.time("from")?, q.time("to")?);
    if let (Some(a), Some(b)) = (from, to)
        && b <= a
    {
        return Err(ApiError::field("to", "must be after `from`"));
    }
    Ok(Filter { provider, profile, from, to })
}

#[utoipa::path(
    get, path = "/api/stats", operation_id = "get_stats", tag = "metrics",
    responses((status = 200, description = "Posts by outcome and by provider, the approval rate, the last 30 days and seven weekly buckets (oldest first)", body = Envelope<posting::insights::Stats>))
)]
pub async fn stats(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Envelope::of(state.posting.stats(&caller).await?)))
}

#[utoipa::path(
    get, path = "/api/analytics", operation_id = "get_analytics", tag = "metrics",
    params(("provider" = Option<String>, Query), ("profile" = Option<uuid::Uuid>, Query), ("from" = Option<chrono::DateTime<chrono::Utc>>, Query), ("to" = Option<chrono::DateTime<chrono::Utc>>, Query)),
    responses((status = 200, description = "Per day of publishing (the workspace's zone), the figures of the posts published that day, each by its newest snapshot", body = Envelope<Vec<posting::insights::Day>>))
)]
pub async fn by_day(state: web::Data<AppState>, caller: Caller, req: HttpRequest) -> ApiResult<HttpResponse> {
    let f = filter(&req)?;
    Ok(HttpResponse::Ok().json(Envelope::of(state.posting.analytics_by_day(&caller, &f).await?)))
}

#[utoipa::path(
    get, path = "/api/analytics/profiles", operation_id = "get_profile_analytics", tag = "metrics",
    params(("provider" = Option<String>, Query), ("profile" = Option<uuid::Uuid>, Query), ("from" = Option<chrono::DateTime<chrono::Utc>>, Query), ("to" = Option<chrono::DateTime<chrono::Utc>>, Query)),
    responses((status = 200, description = "Per profile, its account's followers and posts (read daily) and its published posts' figures", body = Envelope<Vec<posting::insights::ProfileFigures>>))
)]
pub async fn by_profile(state: web::Data<AppState>, caller: Caller, req: HttpRequest) -> ApiResult<HttpResponse> {
    let f = filter(&req)?;
    Ok(HttpResponse::Ok().json(Envelope::of(state.posting.analytics_by_profile(&caller, &f).await?)))
}

#[utoipa::path(
    get, path = "/api/analytics/best-times", operation_id = "get_best_times", tag = "metrics",
    params(("provider" = Option<String>, Query), ("profile" = Option<uuid::Uuid>, Query), ("from" = Option<chrono::DateTime<chrono::Utc>>, Query), ("to" = Option<chrono::DateTime<chrono::Utc>>, Query)),
    responses((status = 200, description = "Weekday × hour engagement rates in the workspace's zone (smoothed, a minimum sample per slot), the best five first; with too little history, the platform's stated priors and a note saying so", body = Envelope<domain::insights::BestTimes>))
)]
pub async fn best_times(state: web::Data<AppState>, caller: Caller, req: HttpRequest) -> ApiResult<HttpResponse> {
    let f = filter(&req)?;
    Ok(HttpResponse::Ok().json(Envelope::of(state.posting.best_times(&caller, &f).await?)))
}
