//! Compose, the post list and the post page. Creating, publishing, canceling, deleting and
//! retrying all go through the API's own functions.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use domain::{DeliveryStatus, PostStatus, ProfileStatus, Provider, input};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};
use store::{models::PostRow, posts::PostView};

use super::{
    DashError, DashResult, after,
    flash::{self, Flash},
    layout::{self, Page, badge, button_form, csrf, when},
    session::{CsrfForm, Session},
};
use api_gateway::{app::AppState, error::ApiError, routes, routes::request::path_id};

/// The label a person reads: a scheduled post waiting for a future time is Scheduled; one
/// with no future time (due now, or being delivered) is Queued.
pub fn label(p: &PostRow) -> &'static str {
    match p.status {
        PostStatus::Draft => "Draft",
        PostStatus::Pending => "Pending",
        PostStatus::Scheduled if p.dispatched_at.is_none() && p.scheduled_at.is_some_and(|t| t > Utc::now()) => {
            "Scheduled"
        }
        PostStatus::Scheduled => "Queued",
        PostStatus::Completed => "Completed",
        PostStatus::Canceled => "Canceled",
    }
}

fn summary(v: &PostView) -> Markup {
    let published = v.deliveries.iter().filter(|(d, _)| d.status == DeliveryStatus::Published).count();
    let failed = v.deliveries.iter().filter(|(d, _)| d.status == DeliveryStatus::Failed).count();
    html! {
        (published) " published"
        @if failed > 0 { ", " span.error-text { (failed) " failed" } }
        " of " (v.deliveries.len())
    }
}

pub fn excerpt(body: Option<&str>) -> String {
    let b = body.unwrap_or("");
    let short: String = b.chars().take(90).collect();
    if short.len() < b.len() { format!("{short}…") } else { short }
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    provider: Option<String>,
    profile_id: Option<String>,
    page: Option<i64>,
}

pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: Session,
    q: web::Query<ListQuery>,
) -> DashResult<HttpResponse> {
    let per_page = 25;
    let page = q.page.unwrap_or(0).max(0);
    let status = q.status.as_deref().filter(|v| !v.is_empty());
    let provider = q.provider.as_deref().filter(|v| !v.is_empty()).and_then(|p| p.parse::<Provider>().ok());
    let profile = q.profile_id.as_deref().and_then(|p| p.parse::<domain::ProfileId>().ok());
    let filter = store::posts::PostFilter {
        status: status.and_then(|s| s.parse::<PostStatus>().ok()),
        providers: provider.map(|p| vec![p.as_str().to_owned()]),
        profile_ids: profile.map(|p| vec![p]),
        ..Default::default()
    };
    let scope = s.caller().0.scope;
    let mut conn = state.pool.get().await?;
    let (rows, total) = store::posts::list(&mut conn, &scope, &filter, per_page, page * per_page).await?;
    let profiles = store::profiles::list(&mut conn, &scope).await?;
    let more = (page + 1) * per_page < total;
    let qs = |p: i64| {
        serde_urlencoded::to_string([
            ("status", q.status.clone().unwrap_or_default()),
            ("provider", q.provider.clone().unwrap_or_default()),
            ("profile_id", q.profile_id.clone().unwrap_or_default()),
            ("page", p.to_string()),
        ])
        .unwrap_or_default()
    };
    let body = html! {
        form.row method="get" action="/dashboard/posts" {
            label { "Status" select name="status" {
                option value="" { "any" }
                @for st in ["draft", "pending", "scheduled", "completed", "canceled"] {
                    option value=(st) selected[status == Some(st)] { (st) }
                }
            } }
            (layout::platform_and_profile_filters(provider, &profiles, profile))
            button.secondary type="submit" { "Filter" }
            a href="/dashboard/compose" { "New post" }
        }
        p.muted { (total) " posts" }
        table {
            thead { tr { th { "Post" } th { "Status" } th { "Scheduled for" } th { "Deliveries" } th { "Created" } } }
            tbody {
                @for v in &rows {
                    tr data-post=(v.post.id) {
                        td { a href={ "/dashboard/posts/" (v.post.id) } { (excerpt(v.post.body.as_deref())) } }
                        td data-test="label" { (badge(label(&v.post))) }
                        td { (when(v.post.scheduled_at)) }
                        td { (summary(v)) }
                        td { (when(Some(v.post.created_at))) }
                    }
                }
            }
        }
        p {
            @if page > 0 { a href={ "/dashboard/posts?" (qs(page - 1)) } { "← newer" } " " }
            @if more { a href={ "/dashboard/posts?" (qs(page + 1)) } { "older →" } }
        }
    };
    Ok(layout::page(&req, &s, Page::new("Posts", "posts"), body))
}

pub async fn detail(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: Session,
    id: web::Path<String>,
) -> DashResult<HttpResponse> {
    let id = path_id(&id, ApiError::post_not_found)?;
    let mut conn = state.pool.get().await?;
    let v = store::posts::get(&mut conn, &s.caller().scope, id).await?.ok_or_else(ApiError::post_not_found)?;
    let mut attempts = Vec::with_capacity(v.deliveries.len());
    for (d, _) in &v.deliveries {
        attempts.push(store::deliveries::attempts(&mut conn, d.id).await?.len());
    }
    let log = store::publish_log::list(
        &mut conn,
        &s.caller().scope,
        &store::publish_log::LogFilter { post_id: Some(id), ..Default::default() },
        50,
    )
    .await?;
    drop(conn);
    let caller = s.caller();
    let comments = state.posting.comments(&caller, id).await.map_err(ApiError::from)?;
    let versions = state.posting.versions(&caller, id).await.map_err(ApiError::from)?;
    let figures = state.posting.metrics(&caller, id).await.map_err(ApiError::from)?;
    let p = &v.post;
    let lbl = label(p);
    // Watch work in flight; a post waiting for a later time does not need it.
    let in_flight = p.status == PostStatus::Pending || lbl == "Queued";
    let base = format!("/dashboard/posts/{}", p.id);
    let body = html! {
        div.layers {
            div { "Post " span data-test="post-status" { (badge(lbl)) } }
            div { "Deliveries " (summary(&v)) }
            div { "Media " @if v.media.is_empty() { span.muted { "none" } } @for (m, _) in &v.media { (badge(m.status.as_str())) " " } }
        }
        (super::review::review_section(&s, &v))
        (super::review::marked_body(p.body.as_deref().unwrap_or(""), &comments))
        @let thread = domain::input::PostDetails::thread_from(&p.thread);
        @if !thread.is_empty() {
            ol.thread start="2" data-test="thread" {
                @for part in &thread { li { (part) } }
            }
        }
        p.muted {
            "Scheduled for " (when(p.scheduled_at)) " · dispatched " (when(p.dispatched_at))
            @if let Some(t) = p.completed_at { " · completed " (when(Some(t))) }
            @if let Some(t) = p.canceled_at { " · canceled " (when(Some(t))) }
        }
        div.actions {
            @if lbl == "Scheduled" {
                form.inline method="post" action={ (base) "/reschedule" } data-test="reschedule" {
                    (csrf(&s))
                    input type="datetime-local" data-utc="scheduled_at" aria-label="New time (your time)";
                    input type="hidden" name="scheduled_at";
                    button.secondary type="submit" { "Reschedule" }
                }
                (button_form(&s, &format!("{base}/cancel"), "Cancel post", "danger"))
            }
            @if p.status == PostStatus::Draft {
                form.inline method="post" action={ (base) "/publish" } {
                    (csrf(&s))
                    input type="datetime-local" data-utc="scheduled_at" aria-label="Publish at (your time)";
                    input type="hidden" name="scheduled_at";
                    button type="submit" { "Publish" }
                }
                (button_form(&s, &format!("{base}/delete"), "Delete draft", "danger"))
            }
        }
        h2 { "Deliveries" }
        table {
            thead { tr { th { "Profile" } th { "Platform" } th { "Status" } th { "Attempts" } th { "Result" } th { "Figures" } th {} } }
            tbody {
                @for ((d, name), n) in v.deliveries.iter().zip(&attempts) {
                    tr data-delivery=(d.id) {
                        td { (name) }
                        td { (d.provider.display_name()) }
                        td data-test="delivery-status" { (badge(d.status.as_str())) }
                        td { (n) }
                        td {
                            @let parts = v.parts_of(d.id);
                            @if parts.len() > 1 || (d.url.is_none() && !parts.is_empty()) {
                                ol.parts data-test="delivery-parts" {
                                    @for x in &parts {
                                        li { a href=(x.url) rel="noopener noreferrer" target="_blank" { (part_label(&x.kind, x.part)) } }
                                    }
                                }
                            } @else if let Some(u) = &d.url {
                                a href=(u) rel="noopener noreferrer" target="_blank" { "View on " (d.provider) }
                            }
                            @if let Some(e) = &d.error_message { span.error-text { (e) } }
                        }
                        td {
                            @if let Some(m) = figures.deliveries.iter().find(|m| m.delivery_id == d.id) {
                                (super::analytics::sparkline(&m.history))
                            }
                        }
                        td { @if d.status == DeliveryStatus::Failed { (button_form(&s, &format!("{base}/deliveries/{}/retry", d.id), "Retry", "secondary")) } }
                    }
                }
            }
        }
        (super::review::comments_section(&s, &v, &comments))
        (super::review::versions_section(&versions, p.approved_version))
        h2 { "Events" }
        (log_table(&log, false))
    };
    let mut page = Page::new("Post", "posts");
    page.refresh = in_flight.then_some(2);
    Ok(layout::page(&req, &s, page, body))
}

pub fn log_table(rows: &[store::models::PublishLogRow], with_post: bool) -> Markup {
    html! {
        @if rows.is_empty() { p.muted { "No events." } } @else {
            table.log {
                thead { tr { th { "When" } th { "Event" } @if with_post { th { "Post" } } th { "Platform" } th { "Detail" } } }
                tbody {
                    @for e in rows {
                        tr data-kind=(e.kind) {
                            td { (when(Some(e.occurred_at))) }
                            td { (event_name(&e.kind)) }
                            @if with_post { td { a href={ "/dashboard/posts/" (e.post_id) } { "post" } } }
                            td { (e.provider.map(|p| p.as_str()).unwrap_or("")) }
                            td {
                                (e.message.as_deref().unwrap_or(""))
                                @if let Some(u) = &e.url { " " a href=(u) rel="noopener noreferrer" target="_blank" { "link" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The seed's words for the Publishing Log's events.
pub fn event_name(kind: &str) -> &str {
    match kind {
        "post.accepted" => "post accepted",
        "post.queued" => "post queued",
        "post.scheduled" => "post scheduled",
        "delivery.published" => "delivery published",
        "delivery.failed" => "delivery failed",
        "delivery.manual_retry" => "manual retry",
        "post.canceled" => "canceled",
        "post.completed" => "post completed",
        other => other,
    }
}

#[derive(Deserialize)]
pub struct ActForm {
    #[serde(default)]
    csrf_token: String,
    scheduled_at: Option<String>,
}

pub async fn act(
    state: web::Data<AppState>,
    s: Session,
    path: web::Path<(String, String)>,
    form: web::Form<ActForm>,
) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let (id, action) = path.into_inner();
    let id = path_id(&id, ApiError::post_not_found)?;
    let here = format!("/dashboard/posts/{id}");
    let caller = s.caller();
    let outcome = match action.as_str() {
        "cancel" => {
            state.posting.cancel(&caller, id).await.map_err(ApiError::from).map(|()| "Post canceled.".to_owned())
        }
        "publish" => {
            let at = form.scheduled_at.as_deref().filter(|t| !t.is_empty());
            let parsed =
                input::parse_publish(at.map(|t| json!({"scheduled_at": t})).as_ref()).map_err(ApiError::Validation);
            match parsed {
                Ok(at) => state
                    .posting
                    .publish(&caller, id, at)
                    .await
                    .map_err(ApiError::from)
                    .map(|()| "Draft published.".to_owned()),
                Err(e) => Err(e),
            }
        }
        "reschedule" => {
            let at = form.scheduled_at.as_deref().filter(|t| !t.is_empty());
            match at.map(|t| chrono::DateTime::parse_from_rfc3339(t).map(|t| t.with_timezone(&chrono::Utc))) {
                Some(Ok(t)) => {
                    let patch = input::PostPatch { scheduled_at: Some(Some(t)), ..Default::default() };
                    state
                        .posting
                        .patch(&caller, id, patch)
                        .await
                        .map_err(ApiError::from)
                        .map(|()| "Rescheduled.".to_owned())
                }
                _ => Err(ApiError::field("scheduled_at", "pick the new time")),
            }
        }
        "delete" => {
            return match state.posting.delete(&caller, id).await.map_err(ApiError::from) {
                Ok(()) => after("/dashboard/posts", Ok("Draft deleted.".into())),
                Err(e) => after(&here, Err(e)),
            };
        }
        _ => return Err(DashError::Api(ApiError::NotFound(api_gateway::error::Missing::DashboardAction))),
    };
    after(&here, outcome)
}

pub async fn retry(
    state: web::Data<AppState>,
    s: Session,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let (id, delivery) = path.into_inner();
    let id = path_id(&id, ApiError::post_not_found)?;
    let not_found = || ApiError::NotFound(api_gateway::error::Missing::Delivery);
    let delivery = path_id(&delivery, not_found)?;
    let outcome = state
        .posting
        .retry(&s.caller(), id, delivery)
        .await
        .map_err(ApiError::from)
        .map(|()| "Retry started: the delivery is queued again.".to_owned());
    after(&format!("/dashboard/posts/{id}"), outcome)
}

/// How a delivery's recorded part reads in the post page.
fn part_label(kind: &str, part: i16) -> String {
    match kind {
        "comment" => "First comment".to_owned(),
        "post" => "Post".to_owned(),
        _ => format!("Part {}", part + 1),
    }
}

#[derive(Default)]
struct Prefill {
    body: String,
    /// A thread's parts after the body.
    thread: Vec<String>,
    first_comment: String,
    profiles: Vec<String>,
    error: Option<String>,
}

async fn compose_render(
    state: &AppState,
    req: &HttpRequest,
    s: &Session,
    prefill: Prefill,
) -> DashResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let profiles = store::profiles::list(&mut conn, &s.caller().scope).await?;
    // The tightest limit of the ticked platforms is what each part's counter measures
    // against; which platforms thread or take a first comment comes from the same table
    // acceptance uses.
    let catalogue = domain::platforms::catalogue();
    let limits: serde_json::Map<String, Value> =
        catalogue.iter().map(|p| (p.platform.as_str().to_owned(), serde_json::json!(p.max_characters))).collect();
    let named = |f: fn(&domain::platforms::Platform) -> bool| {
        catalogue.iter().filter(|p| f(p)).map(|p| p.name).collect::<Vec<_>>().join(", ")
    };
    let (threading, commenting) = (named(|p| p.capabilities.threads), named(|p| p.capabilities.first_comment));
    let providers = |f: fn(&domain::platforms::Platform) -> bool| {
        Value::Array(catalogue.iter().filter(|p| f(p)).map(|p| Value::String(p.platform.as_str().to_owned())).collect())
    };
    let (thread_providers, comment_providers) =
        (providers(|p| p.capabilities.threads), providers(|p| p.capabilities.first_comment));
    let body = html! {
        @if let Some(e) = &prefill.error { div.flash.error role="alert" { (e) } }
        p.muted { "Many posts at once? " a href="/dashboard/import" { "Import a CSV" } " (up to 50 rows)." }
        form.stack method="post" action="/dashboard/compose" enctype="multipart/form-data" data-limits=(Value::Object(limits)) {
            (csrf(s))
            label { "Text" textarea name="post[body]" maxlength="100000" data-count { (prefill.body) } span.counter.muted aria-live="polite" {} }
            fieldset.thread-editor data-for=(thread_providers) {
                legend { "Thread" }
                p.muted { "More parts make a thread, each a reply to the one before (" (threading) "). The text above is part 1." }
                div #parts {
                    @for (i, part) in prefill.thread.iter().enumerate() {
                        label.part { "Part " (i + 2) textarea name="post[thread][]" maxlength="100000" data-count { (part) } span.counter.muted {} }
                    }
                }
                template #part-template {
                    label.part { "Part " span.part-number {} textarea name="post[thread][]" maxlength="100000" data-count {} span.counter.muted {} }
                }
                button.secondary type="button" data-add-part { "Add part" }
            }
            label.first-comment data-for=(comment_providers) {
                "First comment (optional; posted right after the post on " (commenting) ")"
                textarea name="first_comment" maxlength="10000" { (prefill.first_comment) }
            }
            div.row.assist-actions {
                button.secondary type="button" data-assist="captions" { "Suggest captions" }
                button.secondary type="button" data-assist="hashtags" { "Hashtags" }
                button.secondary type="button" data-assist="fit" { "Fit to each platform" }
                span.muted { "For the profiles ticked below; suggestions fit each platform's limits." }
            }
            div #assist aria-live="polite" {}
            fieldset {
                legend { "Profiles" }
                @for (p, _) in profiles.iter().filter(|(p, _)| p.status == ProfileStatus::Active) {
                    label { input type="checkbox" name="profiles[]" value=(p.id) data-provider=(p.provider) checked[prefill.profiles.contains(&p.id.to_string())]; (p.name) " (" (p.provider) ")" }
                }
                @if profiles.is_empty() { span.muted { "No profiles: " a href="/dashboard/profiles" { "connect one" } " first." } }
            }
            label { "Image or video (optional)" input type="file" name="media[0][file]" accept="image/*,video/*"; }
            label {
                "Publish at (your time, " span data-tz { "local time" } "; empty: now)"
                input type="datetime-local" id="when" data-utc="post[scheduled_at]";
            }
            input type="hidden" name="post[scheduled_at]";
            div.actions {
                button type="submit" name="post[draft]" value="false" { "Publish" }
                button.secondary type="submit" name="post[draft]" value="true" { "Save as draft" }
            }
        }
    };
    Ok(layout::page(req, s, Page::new("Compose", "compose"), body))
}

pub async fn compose_page(state: web::Data<AppState>, req: HttpRequest, s: Session) -> DashResult<HttpResponse> {
    compose_render(&state, &req, &s, Prefill::default()).await
}

/// The compose form is the API's multipart shape plus the CSRF token; the post goes
/// through the same parsing and acceptance as `POST /api/posts`.
pub async fn compose(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: Session,
    payload: web::Payload,
) -> DashResult<HttpResponse> {
    if !routes::multipart_form(&req) {
        return Err(ApiError::UnsupportedMediaType("The compose form is sent as multipart/form-data.".into()).into());
    }
    let caller = s.caller();
    let mut staged = posting::Staged::default();
    let form = actix_multipart::Multipart::new(req.headers(), payload);
    let read = routes::read_multipart(&state, &caller, form, &mut staged, &["csrf_token", "first_comment"]).await;
    let (mut body, extras) = match read {
        Ok(r) => r,
        Err(e) => {
            state.posting.discard(staged).await;
            return compose_error(&state, &req, &s, Prefill { error: Some(e.detail()), ..Prefill::default() }).await;
        }
    };
    if let Err(e) = s.check_csrf(extras.get("csrf_token").map(String::as_str).unwrap_or("")) {
        state.posting.discard(staged).await;
        return Err(e);
    }
    // An empty time field means "now".
    if let Some(post) = body.get_mut("post").and_then(Value::as_object_mut)
        && post.get("scheduled_at").and_then(Value::as_str) == Some("")
    {
        post.remove("scheduled_at");
    }
    let thread = thread_of(&mut body);
    let first_comment = extras.get("first_comment").map(|c| c.trim().to_owned()).unwrap_or_default();
    let comment_refused = match first_comment.is_empty() {
        true => None,
        false => with_first_comment(&state, &s, &mut body, &first_comment).await?,
    };
    let prefill = || Prefill {
        body: body["post"]["body"].as_str().unwrap_or("").to_owned(),
        thread: thread.clone(),
        first_comment: first_comment.clone(),
        profiles: body["profiles"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
        error: None,
    };
    if let Some(why) = comment_refused {
        state.posting.discard(staged).await;
        return compose_error(&state, &req, &s, Prefill { error: Some(why), ..prefill() }).await;
    }
    let outcome = match input::parse_new_post(&body) {
        Ok(parsed) => {
            let draft = parsed.draft;
            state
                .posting
                .create(&caller, parsed, None, staged)
                .await
                .map(|v| (v.post.id, draft))
                .map_err(ApiError::from)
        }
        Err(errors) => {
            state.posting.discard(staged).await;
            Err(ApiError::Validation(errors))
        }
    };
    match outcome {
        Ok((id, draft)) => {
            let notice = if draft { "Draft saved." } else { "Post accepted." };
            Ok(flash::redirect(&format!("/dashboard/posts/{id}"), Flash::Notice(notice.into())))
        }
        Err(e @ (ApiError::Internal(_) | ApiError::Unavailable(_))) => Err(e.into()),
        Err(e) => compose_error(&state, &req, &s, Prefill { error: Some(e.detail()), ..prefill() }).await,
    }
}

/// The thread editor's parts after the body (blank ones dropped); when there are any, the
/// post's `thread` becomes the whole thread, the body first.
fn thread_of(body: &mut Value) -> Vec<String> {
    let Some(post) = body.get_mut("post").and_then(Value::as_object_mut) else { return Vec::new() };
    let parts: Vec<String> = match post.remove("thread") {
        Some(Value::Array(items)) => {
            items.iter().filter_map(Value::as_str).filter(|p| !p.trim().is_empty()).map(str::to_owned).collect()
        }
        _ => Vec::new(),
    };
    if !parts.is_empty() {
        let first = post.get("body").cloned().unwrap_or(Value::String(String::new()));
        let whole: Vec<Value> = std::iter::once(first).chain(parts.iter().cloned().map(Value::String)).collect();
        post.insert("thread".into(), Value::Array(whole));
    }
    parts
}

/// The first comment goes to every ticked profile whose platform takes one; `Some(why)`
/// when none does (the person asked for something nothing here can do).
async fn with_first_comment(
    state: &AppState,
    s: &Session,
    body: &mut Value,
    comment: &str,
) -> DashResult<Option<String>> {
    let ids: Vec<domain::ProfileId> = body["profiles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().and_then(|s| s.parse().ok()))
        .collect();
    let mut conn = state.pool.get().await?;
    let profiles = store::profiles::find_many(&mut conn, &s.caller().scope, &ids).await?;
    let taking: Vec<domain::Provider> =
        profiles.iter().map(|p| p.provider).filter(|p| domain::platforms::get(*p).capabilities.first_comment).collect();
    if taking.is_empty() {
        let with: Vec<&str> =
            domain::platforms::catalogue().iter().filter(|p| p.capabilities.first_comment).map(|p| p.name).collect();
        return Ok(Some(format!(
            "first_comment: none of the ticked profiles takes a first comment; {} do",
            with.join(", ")
        )));
    }
    let options =
        body.as_object_mut().map(|b| b.entry("provider_options").or_insert_with(|| Value::Object(Default::default())));
    if let Some(Value::Object(options)) = options {
        for p in taking {
            if let Value::Object(own) = options.entry(p.as_str()).or_insert_with(|| Value::Object(Default::default())) {
                own.insert("first_comment".into(), Value::String(comment.to_owned()));
            }
        }
    }
    Ok(None)
}

/// The form again, as it was sent, with what to fix; answered 400 so scripts notice.
async fn compose_error(state: &AppState, req: &HttpRequest, s: &Session, prefill: Prefill) -> DashResult<HttpResponse> {
    let mut resp = compose_render(state, req, s, prefill).await?;
    *resp.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
    Ok(resp)
}

#[derive(serde::Deserialize)]
pub struct AssistRequest {
    #[serde(default)]
    csrf_token: String,
    action: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    providers: Vec<String>,
}

/// Compose's assistant buttons: captions, hashtags, or the text fitted to each ticked
/// platform — the same assistant and guards as `/api/assistant/*`, as JSON for the page.
pub async fn assist(
    state: web::Data<AppState>,
    s: Session,
    body: web::Json<AssistRequest>,
) -> DashResult<HttpResponse> {
    s.check_csrf(&body.csrf_token)?;
    // The page reads refusals as problem+json (their `detail`), not as an HTML page.
    Ok(match suggestions(&state, &s, &body).await {
        Ok(answer) => HttpResponse::Ok().json(answer),
        Err(e) => actix_web::ResponseError::error_response(&e),
    })
}

async fn suggestions(state: &AppState, s: &Session, body: &AssistRequest) -> Result<serde_json::Value, ApiError> {
    let caller = s.caller();
    api_gateway::routes::assistant::spend(state, &caller)?;
    let providers: Vec<domain::Provider> = body.providers.iter().filter_map(|p| p.parse().ok()).collect();
    let first = providers.first().copied().unwrap_or(domain::Provider::X);
    let text = body.text.trim();
    if text.is_empty() {
        return Err(ApiError::field("text", "write something first: the assistant works from the text"));
    }
    let answer = match body.action.as_str() {
        "captions" => {
            let r = assistant::CaptionRequest {
                prompt: text.chars().take(assistant::MAX_PROMPT_CHARS).collect(),
                provider: first,
                tone: "professional".into(),
                count: 3,
                hashtags: true,
                emojis: false,
            };
            let captions = state.assistant.captions(&r).await?;
            let items: Vec<serde_json::Value> = captions
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let text = if c.hashtags.is_empty() {
                        c.text.clone()
                    } else {
                        format!("{}\n\n{}", c.text, c.hashtags.join(" "))
                    };
                    serde_json::json!({"label": format!("Caption {} ({} of {})", i + 1, c.length, domain::platforms::get(first).max_characters), "text": text})
                })
                .collect();
            serde_json::json!({"title": format!("Captions for {}", first.display_name()), "items": items})
        }
        "hashtags" => {
            let tags = state.assistant.hashtags(text, first, 10).await?;
            let line = tags.iter().map(|t| t.tag.clone()).collect::<Vec<_>>().join(" ");
            serde_json::json!({"title": format!("Hashtags for {}", first.display_name()), "items": [{"label": line, "text": format!("{text}\n\n{line}")}]})
        }
        "fit" => {
            let fitted = assistant::fit(text, if providers.is_empty() { &[domain::Provider::X] } else { &providers })?;
            let items: Vec<serde_json::Value> = fitted
                .iter()
                .map(|f| {
                    let label = match (&f.thread, f.shortened) {
                        (Some(parts), _) => {
                            format!("{}: cut to fit, or a thread of {} parts", f.provider.display_name(), parts.len())
                        }
                        (None, true) => format!("{}: cut to fit", f.provider.display_name()),
                        (None, false) => format!("{}: fits as written", f.provider.display_name()),
                    };
                    serde_json::json!({"label": label, "text": f.text, "thread": f.thread})
                })
                .collect();
            serde_json::json!({"title": "Fitted to each platform", "items": items})
        }
        other => return Err(ApiError::field("action", format!("unknown action `{other}`"))),
    };
    Ok(answer)
}
