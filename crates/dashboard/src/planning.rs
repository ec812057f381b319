//! Planning in the dashboard: the Calendar (month or week, every dated post per profile,
//! in the workspace's time zone), Campaigns (their posts, and a schedule previewed before
//! it is applied), and a CSV import showing each row's result.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;
use store::posts::PostFilter;

use super::{
    DashResult, after,
    form::Pairs,
    layout::{self, Page, badge, csrf, when},
    posts::{excerpt, label},
    session::Session,
};
use api_gateway::{app::AppState, error::ApiError, routes::request::path_id};

#[derive(Deserialize)]
pub struct CalendarQuery {
    view: Option<String>,
    date: Option<String>,
    profile_id: Option<String>,
}

pub async fn calendar(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: Session,
    q: web::Query<CalendarQuery>,
) -> DashResult<HttpResponse> {
    let caller = s.caller();
    let settings = state.posting.settings(&caller).await.map_err(ApiError::from)?;
    let tz: chrono_tz::Tz = settings.timezone.parse().unwrap_or(chrono_tz::UTC);
    let today = Utc::now().with_timezone(&tz).date_naive();
    let day = q.date.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()).unwrap_or(today);
    let week = q.view.as_deref() == Some("week");
    // The days shown: a week from Monday, or the month's weeks from Monday.
    let (first, days) = if week {
        (day - Duration::days(i64::from(day.weekday().num_days_from_monday())), 7)
    } else {
        let start = day.with_day(1).unwrap_or(day);
        let first = start - Duration::days(i64::from(start.weekday().num_days_from_monday()));
        let next_month = if start.month() == 12 {
            NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)
        }
        .unwrap_or(start);
        let span = (next_month - first).num_days();
        (first, span + (7 - span % 7) % 7)
    };
    let from = domain::planning::resolve(tz, first.and_time(NaiveTime::MIN));
    let to = domain::planning::resolve(tz, (first + Duration::days(days)).and_time(NaiveTime::MIN));
    let profile = q.profile_id.as_deref().and_then(|p| p.parse::<domain::ProfileId>().ok());
    let filter = PostFilter {
        scheduled_after: Some(from),
        scheduled_before: Some(to),
        profile_ids: profile.map(|p| vec![p]),
        ..Default::default()
    };
    let mut conn = state.pool.get().await?;
    let (posts, _) = store::posts::list(&mut conn, &caller.scope, &filter, 500, 0).await?;
    let profiles = store::profiles::list(&mut conn, &caller.scope).await?;
    drop(conn);
    let mut by_day: std::collections::BTreeMap<NaiveDate, Vec<&store::posts::PostView>> = Default::default();
    for v in posts.iter().filter(|v| v.post.archived_at.is_none()) {
        if let Some(at) = v.post.scheduled_at {
            by_day.entry(at.with_timezone(&tz).date_naive()).or_default().push(v);
        }
    }
    for list in by_day.values_mut() {
        list.sort_by_key(|v| v.post.scheduled_at);
    }
    let view = if week { "week" } else { "month" };
    let step = if week { Duration::days(7) } else { Duration::days(31) };
    let nav = |d: NaiveDate| {
        let mut href = format!("/dashboard/calendar?view={view}&date={}", d.format("%Y-%m-%d"));
        if let Some(p) = profile {
            href.push_str(&format!("&profile_id={p}"));
        }
        href
    };
    let prev = if week { day - step } else { day.with_day(1).unwrap_or(day) - Duration::days(1) };
    let next = if week { day + step } else { day.with_day(28).unwrap_or(day) + Duration::days(7) };
    let title = if week { format!("Week of {}", first.format("%-d %B %Y")) } else { day.format("%B %Y").to_string() };
    let body = html! {
        form.row method="get" action="/dashboard/calendar" {
            input type="hidden" name="date" value=(day.format("%Y-%m-%d"));
            label { "View" select name="view" { option value="month" selected[!week] { "month" } option value="week" selected[week] { "week" } } }
            label { "Profile" select name="profile_id" {
                option value="" { "every profile" }
                @for (p, _) in &profiles { option value=(p.id) selected[profile == Some(p.id)] { (p.name) " (" (p.provider.display_name()) ")" } }
            } }
            button.secondary type="submit" { "Show" }
        }
        p.calendar-nav {
            a href=(nav(prev)) { "← earlier" } " "
            strong data-test="calendar-title" { (title) } " "
            a href=(nav(next)) { "later →" } " "
            span.muted { "times in " (tz.name()) " (the workspace's zone)" }
        }
        table.calendar data-test="calendar" data-view=(view) {
            thead { tr { @for d in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] { th { (d) } } } }
            tbody {
                @for w in 0..(days / 7) {
                    tr {
                        @for i in 0..7 {
                            @let d = first + Duration::days(w * 7 + i);
                            td.today[d == today]."other-month"[!week && d.month() != day.month()] data-date=(d.format("%Y-%m-%d")) {
                                div.day { (d.day()) }
                                @for v in by_day.get(&d).map(Vec::as_slice).unwrap_or_default() {
                                    a.cal-post href={ "/dashboard/posts/" (v.post.id) } data-post=(v.post.id) {
                                        span.time { (v.post.scheduled_at.map(|t| t.with_timezone(&tz).format("%H:%M").to_string()).unwrap_or_default()) }
                                        " " (v.deliveries.iter().map(|(d, _)| d.provider.display_name()).collect::<Vec<_>>().join(", "))
                                        " " (badge(label(&v.post)))
                                        br; span.muted { (excerpt(v.post.body.as_deref())) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        p.muted { "Open a post to reschedule it (scheduled posts whose deliveries have not started)." }
    };
    Ok(layout::page(&req, &s, Page::new("Calendar", "calendar"), body))
}

pub async fn campaigns(state: web::Data<AppState>, req: HttpRequest, s: Session) -> DashResult<HttpResponse> {
    let all = state.posting.campaigns(&s.caller(), None).await.map_err(ApiError::from)?;
    let body = html! {
        @if all.is_empty() { p.muted { "No campaigns yet." } } @else {
            table data-test="campaigns" {
                thead { tr { th { "Name" } th { "Status" } th { "Client type" } th { "Created" } } }
                tbody {
                    @for c in &all {
                        tr { td { a href={ "/dashboard/campaigns/" (c.id) } { (c.name) } } td { (badge(&c.status)) } td { (c.client_type.clone().unwrap_or_default()) } td { (when(Some(c.created_at))) } }
                    }
                }
            }
        }
        h2 { "New campaign" }
        form.row method="post" action="/dashboard/campaigns" {
            (csrf(&s))
            label { "Name" input type="text" name="name" required maxlength="200"; }
            label { "Client type" input type="text" name="client_type" maxlength="100"; }
            button type="submit" { "Create" }
        }
        p.muted { "Add posts to a campaign with its id as post.campaign (campaignId on the agency API), or " a href="/dashboard/import" { "import a CSV" } " with a campaign_id column." }
    };
    Ok(layout::page(&req, &s, Page::new("Campaigns", "campaigns"), body))
}

#[derive(Deserialize)]
pub struct NewCampaignForm {
    #[serde(default)]
    csrf_token: String,
    name: String,
    #[serde(default)]
    client_type: String,
}

pub async fn create_campaign(
    state: web::Data<AppState>,
    s: Session,
    form: web::Form<NewCampaignForm>,
) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let fields = store::campaigns::Fields {
        name: Some(form.name.clone()),
        client_type: Some(Some(form.client_type.trim().to_owned()).filter(|c| !c.is_empty())),
        ..Default::default()
    };
    match state.posting.create_campaign(&s.caller(), fields).await.map_err(ApiError::from) {
        Ok(c) => after(&format!("/dashboard/campaigns/{}", c.id), Ok("Campaign created.".into())),
        Err(e) => after("/dashboard/campaigns", Err(e)),
    }
}

/// A campaign's page: its posts, and the schedule form (preview, then apply).
async fn campaign_page(
    state: &AppState,
    req: &HttpRequest,
    s: &Session,
    id: uuid::Uuid,
    plan: Option<(posting::campaigns::Plan, Vec<(String, String)>)>,
) -> DashResult<HttpResponse> {
    let caller = s.caller();
    let c = state.posting.campaign(&caller, id).await.map_err(ApiError::from)?;
    let posts = state.posting.campaign_posts(&caller, id).await.map_err(ApiError::from)?;
    let settings = state.posting.settings(&caller).await.map_err(ApiError::from)?;
    let tz: chrono_tz::Tz = settings.timezone.parse().unwrap_or(chrono_tz::UTC);
    let sent = |k: &str| plan.as_ref().and_then(|(_, f)| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()));
    let days_sent: Vec<String> = plan
        .as_ref()
        .map(|(_, f)| f.iter().filter(|(n, _)| n == "days").map(|(_, v)| v.clone()).collect())
        .unwrap_or_default();
    let day_ticked = |d: u32| if plan.is_some() { days_sent.contains(&d.to_string()) } else { [1, 3, 5].contains(&d) };
    let base = format!("/dashboard/campaigns/{id}");
    let body = html! {
        p { (badge(&c.status)) " " span.muted { "id " code { (c.id) } } }
        h2 { "Posts" }
        @if posts.is_empty() { p.muted { "No posts in this campaign yet." } } @else {
            table data-test="campaign-posts" {
                thead { tr { th { "Post" } th { "Status" } th { "Review" } th { "Scheduled for" } } }
                tbody {
                    @for v in &posts {
                        tr { td { a href={ "/dashboard/posts/" (v.post.id) } { (excerpt(v.post.body.as_deref())) } } td { (badge(label(&v.post))) } td { (v.post.review.map_or("—", |r| r.as_str())) } td { (when(v.post.scheduled_at)) } }
                    }
                }
            }
        }
        h2 { "Schedule" }
        form.stack method="post" action={ (base) "/schedule" } data-test="schedule-form" {
            (csrf(s))
            label { "Start (" (tz.name()) ")" input type="date" name="start" value=(sent("start").unwrap_or_else(|| Utc::now().with_timezone(&tz).format("%Y-%m-%d").to_string())) required; }
            label { "Mode" select name="mode" { @for m in ["auto", "calendar", "cadence"] { option value=(m) selected[sent("mode").as_deref() == Some(m)] { (m) } } } }
            label { "Times of day (comma-separated)" input type="text" name="hours" value=(sent("hours").unwrap_or_else(|| "09:00".into())); }
            label { "Posts per day" input type="number" name="per_day" min="1" max="24" value=(sent("per_day").unwrap_or_else(|| "1".into())); }
            fieldset {
                legend { "Days" }
                @for (d, n) in [(1u32, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (0, "Sun")] {
                    label { input type="checkbox" name="days" value=(d) checked[day_ticked(d)]; (n) }
                }
            }
            label { "Time zone" input type="text" name="timezone" value=(sent("timezone").unwrap_or_else(|| tz.name().to_owned())); }
            label.check { input type="checkbox" name="include_pending" value="true" checked[sent("include_pending").is_some()]; "Also schedule posts awaiting review (approves them)" }
            div.actions {
                button.secondary type="submit" name="apply" value="false" { "Preview" }
                button type="submit" name="apply" value="true" { "Schedule" }
            }
        }
        @if let Some((p, _)) = &plan {
            h3 data-test="plan-title" { @if p.dry_run { "Preview" } @else { "Scheduled" } ": " (p.scheduled.len()) " of " (p.eligible) " eligible, " (p.skipped.len()) " skipped" }
            table data-test="plan" {
                thead { tr { th { "Post" } th { "Platforms" } th { "When (" (p.timezone) ")" } th {} } }
                tbody {
                    @for e in &p.scheduled {
                        tr {
                            td { a href={ "/dashboard/posts/" (e.post_id) } { (e.post_id) } }
                            td { (e.platforms.iter().map(|pl| pl.display_name()).collect::<Vec<_>>().join(", ")) }
                            td { (e.scheduled_for.with_timezone(&p.timezone.parse::<chrono_tz::Tz>().unwrap_or(chrono_tz::UTC)).format("%a %-d %b %Y %H:%M")) }
                            td { @if e.approved_now { (badge("approved now")) } }
                        }
                    }
                    @for k in &p.skipped { tr.skipped { td { a href={ "/dashboard/posts/" (k.post_id) } { (k.post_id) } } td colspan="3" { "skipped: " (k.reason) } } }
                }
            }
        }
    };
    let title = format!("Campaign: {}", c.name);
    Ok(layout::page(req, s, Page::new(&title, "campaigns"), body))
}

pub async fn campaign(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: Session,
    id: web::Path<String>,
) -> DashResult<HttpResponse> {
    let id = path_id(&id, || ApiError::NotFound(api_gateway::error::Missing::Campaign))?;
    campaign_page(&state, &req, &s, id, None).await
}

/// Preview or apply a schedule; the page shows the plan either way.
pub async fn schedule(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: Session,
    id: web::Path<String>,
    body: web::Bytes,
) -> DashResult<HttpResponse> {
    let id = path_id(&id, || ApiError::NotFound(api_gateway::error::Missing::Campaign))?;
    let form = Pairs::read(&body, &s)?;
    let here = format!("/dashboard/campaigns/{id}");
    let tz_name = form.one("timezone");
    let tz = match domain::planning::zone(&tz_name, "timezone") {
        Ok(tz) => tz,
        Err(e) => return after(&here, Err(ApiError::Validation(vec![e]))),
    };
    // A person who starts a plan today means from now on: today's slots already past are
    // not used (they would publish at once). The API takes a start as given.
    let start = NaiveDate::parse_from_str(&form.one("start"), "%Y-%m-%d")
        .map(|d| domain::planning::resolve(tz, d.and_time(NaiveTime::MIN)).max(Utc::now()))
        .map_err(|_| ApiError::field("start", "a date"));
    let hours: Result<Vec<NaiveTime>, _> =
        form.one("hours").split(',').map(|h| domain::planning::parse_hour(h, "hours")).collect();
    let days: Vec<u32> = form.many("days").unwrap_or_default().iter().filter_map(|d| d.parse().ok()).collect();
    let (start, hours) = match (start, hours) {
        (Ok(s), Ok(h)) => (s, h),
        (Err(e), _) => return after(&here, Err(e)),
        (_, Err(e)) => return after(&here, Err(ApiError::Validation(vec![e]))),
    };
    let request = posting::campaigns::ScheduleRequest {
        start: Some(start),
        mode: posting::campaigns::Mode::parse(&form.one("mode")).unwrap_or(posting::campaigns::Mode::Auto),
        cadence: domain::planning::Cadence { posts_per_day: form.one("per_day").parse().unwrap_or(1), hours, days },
        platforms: None,
        include_pending: form.one("include_pending") == "true",
        timezone: Some(tz),
        dry_run: form.one("apply") != "true",
    };
    match state.posting.schedule_campaign(&s.caller(), id, request).await.map_err(ApiError::from) {
        Ok(plan) => {
            let sent: Vec<(String, String)> = ["start", "mode", "hours", "per_day", "timezone", "include_pending"]
                .iter()
                .map(|k| ((*k).to_owned(), form.one(k)))
                .filter(|(k, v)| *k != "include_pending" || v == "true")
                .chain(form.many("days").unwrap_or_default().into_iter().map(|d| ("days".to_owned(), d)))
                .collect();
            campaign_page(&state, &req, &s, id, Some((plan, sent))).await
        }
        Err(e) => after(&here, Err(e)),
    }
}

pub async fn import_page(req: HttpRequest, s: Session) -> DashResult<HttpResponse> {
    Ok(layout::page(&req, &s, Page::new("Import posts (CSV)", "compose"), import_form(&s, None)))
}

fn import_form(s: &Session, results: Option<&Value>) -> Markup {
    html! {
        form.stack method="post" action="/dashboard/import" enctype="multipart/form-data" data-test="import-form" {
            (csrf(s))
            label { "CSV file (up to 50 rows)" input type="file" name="file" accept=".csv,text/csv" required; }
            label { "Campaign id (optional; a campaign_id column wins)" input type="text" name="campaign_id" maxlength="100"; }
            label.check { input type="checkbox" name="dry_run" value="true"; "Check only (store nothing)" }
            button type="submit" { "Import" }
        }
        p.muted { "Columns: " code { (posting::bulk::CSV_COLUMNS.join(", ")) } ". Lists split on ; or |. A row without scheduled_at is saved as a draft." }
        @if let Some(r) = results {
            h2 data-test="import-summary" {
                (r["succeeded"].as_u64().unwrap_or(0)) " of " (r["total"].as_u64().unwrap_or(0)) " rows "
                @if r["dry_run"].as_bool() == Some(true) { "would be imported (nothing stored)" } @else { "imported" }
            }
            table data-test="import-results" {
                thead { tr { th { "Row (of the data)" } th { "Result" } } }
                tbody {
                    @for row in r["results"].as_array().into_iter().flatten() {
                        tr class=(if row["success"].as_bool() == Some(true) { "ok" } else { "failed" }) {
                            td { (row["index"].as_u64().map_or(0, |i| i + 1)) }
                            td {
                                @if let Some(id) = row["id"].as_str() { a href={ "/dashboard/posts/" (id) } { "post " (id) } }
                                @else if row["success"].as_bool() == Some(true) { "fine" }
                                @for e in row["errors"].as_array().into_iter().flatten() {
                                    div.error-text {
                                        @if let Some(c) = e["column"].as_str() { "column " strong { (c) } ": " }
                                        (e["message"].as_str().unwrap_or_default())
                                        @if let Some(l) = e["row"].as_u64() { span.muted { " (line " (l) ")" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn import(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: Session,
    payload: web::Payload,
) -> DashResult<HttpResponse> {
    let form = match api_gateway::routes::bulk::read_import(payload, &req, true).await {
        Ok(f) => f,
        Err(e) => return after("/dashboard/import", Err(e)),
    };
    s.check_csrf(form.csrf_token.as_deref().unwrap_or(""))?;
    let caller = s.caller();
    match api_gateway::routes::bulk::from_csv(&state, &caller, &form.file, form.dry_run, form.campaign.as_deref(), None)
        .await
    {
        Ok(results) => {
            Ok(layout::page(&req, &s, Page::new("Import posts (CSV)", "compose"), import_form(&s, Some(&results))))
        }
        Err(e) => after("/dashboard/import", Err(e)),
    }
}
