//! Seed 002's "how did it do?": `/analytics` (snapshots, `view=best-times`,
//! `view=accounts`), `/analytics/{postId}` (read, or POST to refresh), `/stats` and
//! `/ai/best-time`, over the same application layer as the native routes.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use domain::insights::{BestTimes, DAYS};
use serde_json::{Value, json};

use super::{
    auth::Org,
    envelope::{AgencyError, AgencyResult, ok},
    names,
    posts::post_id,
    query::Query,
};
use crate::app::AppState;

fn platform(q: &Query) -> AgencyResult<Option<domain::Provider>> {
    q.one("platform").map(names::platform).transpose()
}

/// The catalogue's figures under the seed's camelCase names.
fn figures(f: &domain::metrics::Figures) -> Value {
    json!({
        "impressions": f.impressions, "reach": f.reach, "likes": f.likes, "comments": f.comments,
        "shares": f.shares, "saves": f.saves, "clicks": f.clicks, "videoViews": f.video_views,
    })
}

/// One snapshot in the seed's terms: engagements beside the catalogue's figures.
fn snapshot(provider: &str, s: &posting::metrics::SnapshotView, post_id: Option<&str>) -> Value {
    let mut v = figures(&s.figures);
    v["platform"] = json!(names::platform_name(provider.parse().unwrap_or(domain::Provider::X)));
    v["engagements"] = json!(s.figures.engagements());
    v["collectedAt"] = json!(s.collected_at);
    v["trigger"] = json!(s.trigger);
    v["warnings"] = json!(s.warnings);
    if let Some(id) = post_id {
        v["postId"] = json!(id);
    }
    v
}

/// `GET /analytics`: every post's snapshots (`platform`, `postId` filters), or
/// `view=best-times` / `view=accounts`.
pub async fn list(state: web::Data<AppState>, org: Org, req: HttpRequest) -> AgencyResult<HttpResponse> {
    let q = Query::parse(&req)?;
    let provider = platform(&q)?;
    let filter = posting::insights::Filter { provider, ..Default::default() };
    match q.one("view") {
        Some("best-times") => {
            let b = state.posting.best_times(&org.caller, &filter).await?;
            let slots: Vec<Value> = b
                .slots
                .iter()
                .map(|s| json!({"day": DAYS[s.weekday as usize], "hour": s.hour, "timezone": b.timezone, "score": (s.score * 100.0).round() / 100.0}))
                .collect();
            Ok(ok(StatusCode::OK, slots))
        }
        Some("accounts") => {
            let all = state.posting.analytics_by_profile(&org.caller, &filter).await?;
            let data: Vec<Value> = all
                .iter()
                .map(|p| {
                    let mut v = figures(&p.totals.figures);
                    v["accountId"] = json!(p.profile_id);
                    v["accountName"] = json!(p.profile_name);
                    v["platform"] = json!(names::platform_name(p.provider.parse().unwrap_or(domain::Provider::X)));
                    v["posts"] = json!(p.totals.posts);
                    v["engagements"] = json!(p.totals.engagements);
                    v["followers"] = json!(p.followers);
                    v["followersChange"] = json!(p.followers_change);
                    v["platformPosts"] = json!(p.account_posts);
                    v["followersCollectedAt"] = json!(p.account_read_at);
                    v["warnings"] = json!(p.account_warnings);
                    v
                })
                .collect();
            Ok(ok(StatusCode::OK, data))
        }
        Some(other) => Err(AgencyError::bad_request(format!(
            "Validation error: view must be best-times or accounts, or left out (got `{other}`)"
        ))),
        None => {
            // An unknown post id simply has no snapshots (the seed filters, it does not look up).
            let only = q.one("postId").map(|p| uuid::Uuid::parse_str(p).map(domain::PostId::from));
            let post = match only {
                Some(Ok(id)) => Some(id),
                Some(Err(_)) => return Ok(ok(StatusCode::OK, Vec::<Value>::new())),
                None => None,
            };
            let all = state.posting.snapshots(&org.caller, &filter, post).await?;
            let data: Vec<Value> =
                all.iter().map(|(post, provider, s)| snapshot(provider.as_str(), s, Some(&post.to_string()))).collect();
            Ok(ok(StatusCode::OK, data))
        }
    }
}

fn post_view(m: &posting::metrics::PostMetrics) -> Value {
    let snapshots: Vec<Value> =
        m.deliveries.iter().flat_map(|d| d.history.iter().map(move |s| snapshot(&d.provider, s, None))).collect();
    let latest: Vec<Value> =
        m.deliveries.iter().filter_map(|d| d.latest.as_ref().map(|s| snapshot(&d.provider, s, None))).collect();
    json!({"snapshots": snapshots, "latest": latest})
}

/// `GET /analytics/{postId}`: its snapshots and the latest per platform.
pub async fn get(state: web::Data<AppState>, org: Org, id: web::Path<String>) -> AgencyResult<HttpResponse> {
    let id = post_id(&id)?;
    Ok(ok(StatusCode::OK, post_view(&state.posting.metrics(&org.caller, id).await?)))
}

/// `POST /analytics/{postId}`: reads the platforms now → `{metrics}`. Only for published
/// posts; at most once a minute per post.
pub async fn refresh(state: web::Data<AppState>, org: Org, id: web::Path<String>) -> AgencyResult<HttpResponse> {
    let id = post_id(&id)?;
    let since = state.posting.refresh_metrics(&org.caller, id).await?;
    let (m, fresh) = state.posting.metrics_since(&org.caller, id, since, std::time::Duration::from_secs(10)).await?;
    let latest: serde_json::Map<String, Value> = m
        .deliveries
        .iter()
        .filter_map(|d| {
            let s = d.latest.as_ref()?;
            Some((names::platform_name(d.provider.parse().ok()?).to_owned(), snapshot(&d.provider, s, None)))
        })
        .collect();
    let status = if fresh { StatusCode::OK } else { StatusCode::ACCEPTED };
    Ok(ok(status, json!({"metrics": latest, "complete": fresh})))
}

/// `GET /stats`: the seed's summary shape.
pub async fn stats(state: web::Data<AppState>, org: Org) -> AgencyResult<HttpResponse> {
    let s = state.posting.stats(&org.caller).await?;
    let by_platform: serde_json::Map<String, Value> = s
        .by_provider
        .iter()
        .map(|(p, n)| (names::platform_name(p.parse().unwrap_or(domain::Provider::X)).to_owned(), json!(n)))
        .collect();
    let mut by_status = serde_json::Map::new();
    for (k, n) in &s.by_status {
        let name = if k == "canceled" { "cancelled" } else { k.as_str() };
        by_status.insert(name.to_owned(), json!(n));
    }
    let series: Vec<Value> =
        s.weekly.iter().enumerate().map(|(i, n)| json!({"label": format!("W{}", i + 1), "value": n})).collect();
    Ok(ok(
        StatusCode::OK,
        json!({
            "total": s.total,
            "byStatus": by_status,
            "byPlatform": by_platform,
            "approvalRate": s.approval_rate,
            "last30Days": s.last_30_days,
            "last30DaysSeries": series,
        }),
    ))
}

fn hour_label(h: u32) -> String {
    let (twelve, half) = match h {
        0 => (12, "AM"),
        1..=11 => (h, "AM"),
        12 => (12, "PM"),
        _ => (h - 12, "PM"),
    };
    format!("{twelve}:00 {half}")
}

/// `GET /ai/best-time?platform=`: the best slots from the workspace's history (or the
/// platform's stated priors, said so in `recommendation`).
pub async fn best_time(state: web::Data<AppState>, org: Org, req: HttpRequest) -> AgencyResult<HttpResponse> {
    let q = Query::parse(&req)?;
    let provider = platform(&q)?.unwrap_or(domain::Provider::X);
    let filter = posting::insights::Filter { provider: Some(provider), ..Default::default() };
    let b: BestTimes = state.posting.best_times(&org.caller, &filter).await?;
    let day_name = |d: u32| {
        let n = DAYS[d as usize];
        let mut c = n.chars();
        c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
    };
    let slots: Vec<Value> = b
        .slots
        .iter()
        .map(|s| {
            // The seed counts days from Sunday (0) to Saturday (6).
            let day_of_week = (s.weekday + 1) % 7;
            json!({
                "dayOfWeek": day_of_week, "hour": s.hour, "avgScore": (s.score * 100.0).round() / 100.0,
                "postCount": s.posts, "dayName": day_name(s.weekday), "timeLabel": hour_label(s.hour),
                "label": format!("{} {}", day_name(s.weekday), hour_label(s.hour)),
            })
        })
        .collect();
    let recommendation = match b.slots.first() {
        Some(s) if b.basis == "history" => format!(
            "Best time to post on {} is {} at {} ({}), from {} published posts",
            provider.display_name(),
            day_name(s.weekday),
            hour_label(s.hour),
            b.timezone,
            b.posts_considered
        ),
        Some(s) => format!(
            "Not enough history yet ({}): PostMantis's starting point for {} is {} at {} ({})",
            b.posts_considered,
            provider.display_name(),
            day_name(s.weekday),
            hour_label(s.hour),
            b.timezone
        ),
        None => format!("No published posts on {} with figures yet", provider.display_name()),
    };
    Ok(ok(
        StatusCode::OK,
        json!({"slots": slots, "recommendation": recommendation, "basis": b.basis, "timezone": b.timezone}),
    ))
}
