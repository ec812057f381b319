//! The Publishing Log and Publishing health pages.

use actix_web::{HttpRequest, HttpResponse, web};
use domain::Provider;
use maud::html;
use serde::Deserialize;

use super::{
    DashResult,
    layout::{self, Page, badge},
    posts::{event_name, log_table},
    session::Session,
};
use api_gateway::app::AppState;

#[derive(Deserialize)]
pub struct LogQuery {
    kind: Option<String>,
    provider: Option<String>,
    profile_id: Option<String>,
    post_id: Option<String>,
    before: Option<i64>,
}

const PER_PAGE: i64 = 50;

pub async fn log(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: Session,
    q: web::Query<LogQuery>,
) -> DashResult<HttpResponse> {
    let kind = q.kind.as_deref().filter(|k| domain::events::is_kind(k));
    let provider = q.provider.as_deref().and_then(|p| p.parse::<Provider>().ok());
    let profile = q.profile_id.as_deref().and_then(|p| p.parse::<domain::ProfileId>().ok());
    let post = q.post_id.as_deref().and_then(|p| p.parse::<domain::PostId>().ok());
    let filter = store::publish_log::LogFilter {
        post_id: post,
        profile_id: profile,
        provider: provider.map(|p| p.as_str().to_owned()),
        // The Publishing Log is its domain events; acceptance and completion only on request.
        kinds: Some(match kind {
            Some(k) => vec![k.to_owned()],
            None => domain::events::PUBLISHING_LOG.iter().map(|k| (*k).to_owned()).collect(),
        }),
        before_id: q.before,
        ..Default::default()
    };
    let scope = s.caller().0.scope;
    let mut conn = state.pool.get().await?;
    let rows = store::publish_log::list(&mut conn, &scope, &filter, PER_PAGE).await?;
    let profiles = store::profiles::list(&mut conn, &scope).await?;
    let older = (rows.len() as i64 == PER_PAGE).then(|| rows.last().map(|r| r.id)).flatten();
    let body = html! {
        form.row method="get" action="/dashboard/log" {
            label { "Event" select name="kind" {
                option value="" { "every Publishing Log event" }
                @for k in domain::events::all() { option value=(k) selected[kind == Some(k)] { (event_name(k)) } }
            } }
            (layout::platform_and_profile_filters(provider, &profiles, profile))
            @if let Some(p) = post { input type="hidden" name="post_id" value=(p); }
            button.secondary type="submit" { "Filter" }
        }
        (log_table(&rows, true))
        @if let Some(before) = older {
            p { a href={ "/dashboard/log?" (serde_urlencoded::to_string([
                ("kind", q.kind.clone().unwrap_or_default()),
                ("provider", q.provider.clone().unwrap_or_default()),
                ("profile_id", q.profile_id.clone().unwrap_or_default()),
                ("post_id", q.post_id.clone().unwrap_or_default()),
                ("before", before.to_string()),
            ]).unwrap_or_default()) } { "older →" } }
        }
    };
    Ok(layout::page(&req, &s, Page::new("Publishing Log", "log"), body))
}

pub async fn health(state: web::Data<AppState>, req: HttpRequest, s: Session) -> DashResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let figures = store::health::per_provider_detail(&mut conn, s.workspace_id()).await?;
    let late = store::health::lateness(&mut conn, s.workspace_id()).await?;
    let stale = store::health::stale(&mut conn, &s.caller().scope).await?;
    let broker = state.bus.get().await;
    let sweeps = store::sweep::last_runs(&mut conn).await?;
    let reading = state.queues.read().await.clone();
    let queues = reading.depths();
    let warnings = reading.warnings();
    let depth = |q: &str| queues.get(q).map(|d| d.to_string()).unwrap_or_else(|| "—".into());
    let ms = |v: Option<f64>| v.map(|v| format!("{v:.0} ms")).unwrap_or_else(|| "—".into());
    let body = html! {
        @for w in &warnings {
            p.flash.error data-test="queue-warning" { (w) }
        }
        p {
            "Broker " @if broker.is_some() { (badge("active")) } @else { (badge("failed")) " unreachable" }
            " · retry queue " (depth("deliveries.retry-wait"))
            " · posts pending > 5 min: " strong data-test="stale-pending" { (stale.pending_posts) }
            " · overdue > 5 min: " strong { (stale.overdue_posts) }
        }
        p {
            "Scheduling lateness, last hour (" (late.posts) " posts): p50 " (ms(late.p50_ms)) ", p99 " (ms(late.p99_ms)) ", max " (ms(late.max_ms))
        }
        p data-test="reconciliation" {
            "Reconciliation: "
            @if sweeps.is_empty() { "no sweep has run yet" }
            @for r in &sweeps {
                (r.name) " at " (r.ran_at.format("%H:%M:%S UTC")) " re-drove "
                (r.found.get("pending_posts_reaccepted").and_then(|v| v.as_u64()).unwrap_or(0)
                    + r.found.get("settled_posts_rechecked").and_then(|v| v.as_u64()).unwrap_or(0)
                    + r.found.get("deliveries_redriven").and_then(|v| v.as_u64()).unwrap_or(0))
                " stuck items · "
            }
        }
        p.muted { "Queue depth and reconciliation are shared by every workspace on this installation; the other figures are this workspace's." }
        div.cards {
            @for p in Provider::ALL {
                @let f = figures.iter().find(|f| f.provider == p.as_str());
                div.card data-provider=(p.as_str()) {
                    strong { (p.display_name()) }
                    @if f.is_some_and(|f| f.reauth_profiles > 0) { " " (badge("reauth required")) }
                    dl {
                        dt { "Queue depth" } dd { (depth(&format!("deliveries.{p}"))) }
                        dt { "In flight" } dd { (f.map_or(0, |f| f.in_flight)) }
                        dt { "Published 1 h / 24 h" } dd { (f.map_or(0, |f| f.published_1h)) " / " (f.map_or(0, |f| f.published_24h)) }
                        dt { "Failed 1 h / 24 h" } dd data-test="failed" { (f.map_or(0, |f| f.failed_1h)) " / " (f.map_or(0, |f| f.failed_24h)) }
                        dt { "Stale > 5 min" } dd { (f.map_or(0, |f| f.stale)) }
                        dt { "Profiles needing reauth" } dd { (f.map_or(0, |f| f.reauth_profiles)) }
                    }
                }
            }
        }
    };
    let mut page = Page::new("Publishing health", "health");
    page.refresh = Some(10);
    Ok(layout::page(&req, &s, page, body))
}
