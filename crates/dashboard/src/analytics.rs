//! Analytics in the dashboard, drawn as server-rendered SVG (no script): engagement over
//! time, engagement by provider, a weekday × hour heat map of best times, and the
//! sparkline a post page shows per delivery.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use posting::insights::Filter;

use super::{
    DashResult,
    layout::{self, Page},
    session::Session,
};
use api_gateway::{app::AppState, error::ApiError};

const W: f64 = 640.0;
const H: f64 = 180.0;
const PAD: f64 = 28.0;

/// Engagements (bars) per day of publishing, with the day under each bar.
fn over_time(days: &[posting::insights::Day]) -> Markup {
    let values: Vec<(String, u64)> =
        days.iter().map(|d| (d.date.format("%d %b").to_string(), d.totals.engagements.unwrap_or(0))).collect();
    let top = values.iter().map(|v| v.1).max().unwrap_or(0).max(1) as f64;
    let step = ((W - 2.0 * PAD) / values.len().max(1) as f64).min(80.0);
    html! {
        svg.chart viewBox={ "0 0 " (W) " " (H) } role="img" aria-label="Engagements per day of publishing" data-test="chart-over-time" {
            line x1=(PAD) y1=(H - PAD) x2=(W - PAD) y2=(H - PAD) stroke="#999" {}
            @for (i, (day, v)) in values.iter().enumerate() {
                @let h = (*v as f64 / top) * (H - 2.0 * PAD);
                @let x = PAD + i as f64 * step + step * 0.15;
                rect x=(x) y=(H - PAD - h) width=(step * 0.7) height=(h) fill="#2f7d5b" { title { (day) ": " (v) " engagements" } }
                text x=(x + step * 0.35) y=(H - PAD + 14.0) font-size="10" text-anchor="middle" { (day) }
                text x=(x + step * 0.35) y=(H - PAD - h - 4.0) font-size="10" text-anchor="middle" { (v) }
            }
        }
    }
}

/// Engagements per provider, as horizontal bars.
fn by_provider(rows: &[(String, u64)]) -> Markup {
    let top = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1) as f64;
    let row_h = 22.0;
    let height = rows.len().max(1) as f64 * row_h + 10.0;
    html! {
        svg.chart viewBox={ "0 0 " (W) " " (height) } role="img" aria-label="Engagements by provider" data-test="chart-by-provider" {
            @for (i, (name, v)) in rows.iter().enumerate() {
                @let y = 5.0 + i as f64 * row_h;
                @let w = (*v as f64 / top) * (W - 200.0);
                text x="0" y=(y + 14.0) font-size="12" { (name) }
                rect x="110" y=(y) width=(w.max(1.0)) height=(row_h - 6.0) fill="#4a6fa5" {}
                text x=(115.0 + w) y=(y + 13.0) font-size="11" { (v) }
            }
        }
    }
}

/// The weekday × hour grid of best-time scores; empty cells have too few posts.
fn heat_map(b: &domain::insights::BestTimes) -> Markup {
    let cell = 22.0;
    let (left, top) = (40.0, 16.0);
    html! {
        svg.chart viewBox={ "0 0 " (left + 24.0 * cell + 4.0) " " (top + 7.0 * cell + 4.0) } role="img"
            aria-label="Best posting times by weekday and hour" data-test="chart-heat-map" {
            @for h in (0..24).step_by(3) {
                text x=(left + h as f64 * cell + cell / 2.0) y="11" font-size="9" text-anchor="middle" { (format!("{h:02}")) }
            }
            @for (d, row) in b.grid.iter().enumerate() {
                text x="0" y=(top + d as f64 * cell + 15.0) font-size="11" { (&domain::insights::DAYS[d][..3]) }
                @for (h, c) in row.iter().enumerate() {
                    @let fill = match c { Some(v) => format!("rgba(47, 125, 91, {:.2})", 0.12 + 0.88 * v), None => "#f2f2f2".to_owned() };
                    rect x=(left + h as f64 * cell) y=(top + d as f64 * cell) width=(cell - 2.0) height=(cell - 2.0) fill=(fill) {
                        title { (domain::insights::DAYS[d]) " " (format!("{h:02}:00")) @if let Some(v) = c { ": " (format!("{:.2}", v)) } }
                    }
                }
            }
        }
    }
}

/// A small line of one delivery's impressions (or, without them, engagements) over its
/// snapshots.
pub fn sparkline(history: &[posting::metrics::SnapshotView]) -> Markup {
    let values: Vec<u64> = history
        .iter()
        .filter_map(|s| s.figures.impressions.or(s.figures.video_views).or(s.figures.engagements()))
        .collect();
    if values.len() < 2 {
        return html! { span.muted { (values.len()) " snapshot(s)" } };
    }
    let (w, h) = (120.0, 28.0);
    let top = values.iter().copied().max().unwrap_or(1).max(1) as f64;
    let step = w / (values.len() - 1) as f64;
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{:.1},{:.1}", i as f64 * step, h - 2.0 - (*v as f64 / top) * (h - 4.0)))
        .collect();
    let last = values.last().copied().unwrap_or(0);
    html! {
        svg.sparkline viewBox={ "0 0 " (w) " " (h) } width="120" height="28" role="img" aria-label={ "Figures over " (values.len()) " snapshots, now " (last) } data-test="sparkline" {
            polyline points=(points.join(" ")) fill="none" stroke="#2f7d5b" stroke-width="2" {}
        }
        " " span.muted { (last) }
    }
}

/// A figure, or a muted dash where there is none (never a 0 that was not counted).
fn optional(n: Option<u64>) -> Markup {
    html! { @if let Some(n) = n { (n) } @else { span.muted { "—" } } }
}

pub async fn page(state: web::Data<AppState>, req: HttpRequest, s: Session) -> DashResult<HttpResponse> {
    let caller = s.caller();
    let all = Filter::default();
    let days = state.posting.analytics_by_day(&caller, &all).await.map_err(ApiError::from)?;
    let profiles = state.posting.analytics_by_profile(&caller, &all).await.map_err(ApiError::from)?;
    let best = state.posting.best_times(&caller, &all).await.map_err(ApiError::from)?;
    let stats = state.posting.stats(&caller).await.map_err(ApiError::from)?;
    let mut per_provider: BTreeMap<String, u64> = BTreeMap::new();
    // Providers with something published (every connected profile has a row below).
    for p in profiles.iter().filter(|p| p.totals.posts > 0) {
        *per_provider.entry(p.provider.clone()).or_insert(0) += p.totals.engagements.unwrap_or(0);
    }
    let per_provider: Vec<(String, u64)> = per_provider.into_iter().collect();
    let published: usize = days.iter().map(|d| d.totals.posts).sum();
    let body = html! {
        div.layers {
            div { "Posts " strong { (stats.total) } }
            div { "Published deliveries " strong data-test="published" { (published) } }
            div { "Approval rate " strong { @if let Some(r) = stats.approval_rate { (r) "%" } @else { "—" } } }
            div { "Last 30 days " strong { (stats.last_30_days) } }
        }
        h2 { "Engagement over time" }
        @if days.is_empty() { p.muted { "Nothing published yet." } } @else { (over_time(&days)) }
        h2 { "By provider" }
        @if per_provider.is_empty() { p.muted { "Nothing published yet." } } @else { (by_provider(&per_provider)) }
        h2 { "Best times (" (best.timezone) ")" }
        p.muted data-test="best-note" { (best.note) }
        (heat_map(&best))
        @if let Some(top) = best.slots.first() {
            p { "Best slot: " strong data-test="best-slot" { (domain::insights::DAYS[top.weekday as usize]) " " (format!("{:02}:00", top.hour)) } }
        }
        h2 { "Per profile" }
        table {
            thead { tr { th { "Profile" } th { "Platform" } th { "Followers" } th { "30 days" } th { "Posts" } th { "With figures" } th { "Impressions" } th { "Engagements" } } }
            tbody {
                @for p in &profiles {
                    tr data-test="profile-row" {
                        td { (p.profile_name) } td { (p.provider) }
                        td data-test="followers" { (optional(p.followers)) }
                        td data-test="followers-change" {
                            @match p.followers_change {
                                Some(n) if n > 0 => span.up { "+" (n) },
                                Some(n) => span { (n) },
                                None => span.muted { "—" },
                            }
                        }
                        td { (p.totals.posts) } td { (p.totals.with_figures) }
                        td { (optional(p.totals.figures.impressions)) }
                        td { (optional(p.totals.engagements)) }
                    }
                }
            }
        }
    };
    Ok(layout::page(&req, &s, Page::new("Analytics", "analytics"), body))
}
