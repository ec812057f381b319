//! Feeds of the workspace: each with its state (active, paused and why, the last error),
//! its newest items and their fate (the post made, or why skipped); add one, check it now,
//! pause, resume, remove. The same functions as `/api/feeds`.

use actix_web::{HttpRequest, HttpResponse, web};
use api_gateway::{app::AppState, error::ApiError};
use maud::html;
use posting::feeds::FeedAction;
use serde_json::{Value, json};

use super::{
    DashResult, after,
    form::Pairs,
    layout::{self, Page, badge, button_form, csrf, when},
    session::{CsrfForm, Session},
};

pub async fn page(state: web::Data<AppState>, req: HttpRequest, s: Session) -> DashResult<HttpResponse> {
    let caller = s.caller();
    let listed = state.posting.feeds(&caller).await.map_err(ApiError::from)?;
    let mut feeds = Vec::with_capacity(listed.len());
    for f in &listed {
        feeds.push(state.posting.feed(&caller, f.id).await.map_err(ApiError::from)?);
    }
    let profiles = {
        let mut conn = state.pool.get().await?;
        store::profiles::list(&mut conn, &caller.scope).await?
    };
    let body = html! {
        @if feeds.is_empty() { p.muted { "No feeds. Add a blog's RSS, Atom or JSON Feed and its new items become posts." } }
        @for f in &feeds {
            div.card data-test="feed" {
                strong { (f.name) } " " (badge(&f.status))
                p.muted { (f.feed_url) }
                @if let Some(r) = &f.paused_reason { p.error-text data-test="paused-reason" { (r) } }
                @if let Some(e) = &f.last_error { p.error-text data-test="last-error" { "Last check failed: " (e) } }
                p.muted {
                    "Becomes " (f.becomes.replace('_', " ")) " · every " (f.check_interval_minutes) " min · last checked " (when(f.last_checked_at))
                    " · " strong data-test="items-posted" { (f.items_posted) } " posted, " (f.items_skipped) " skipped"
                }
                @if let Some(items) = &f.items { @if !items.is_empty() {
                    table {
                        thead { tr { th { "Item" } th { "Published" } th { "Fate" } } }
                        tbody { @for i in items { tr data-test="feed-item" {
                            td { @match &i.link { Some(l) => a href=(l) rel="noopener noreferrer" { (i.title.as_deref().unwrap_or(l)) }, None => (i.title.as_deref().unwrap_or("—")) } }
                            td { (when(i.published_at)) }
                            td {
                                @match i.post_id {
                                    Some(p) => { (badge(&i.fate)) " " a href={ "/dashboard/posts/" (p) } { "the post" } },
                                    None => { (badge(&i.fate)) },
                                }
                                @if let Some(r) = &i.reason { " " span.muted { (r) } }
                            }
                        } } }
                    }
                } }
                @if f.status == "active" {
                    (button_form(&s, &format!("/dashboard/feeds/{}/check", f.id), "Check now", ""))
                    (button_form(&s, &format!("/dashboard/feeds/{}/pause", f.id), "Pause", ""))
                } @else {
                    (button_form(&s, &format!("/dashboard/feeds/{}/resume", f.id), "Resume", ""))
                }
                (button_form(&s, &format!("/dashboard/feeds/{}/delete", f.id), "Remove", "danger"))
            }
        }
        h2 { "Add a feed" }
        form.stack method="post" action="/dashboard/feeds" data-test="feed-form" {
            (csrf(&s))
            label { "Name" input type="text" name="name" required maxlength="200"; }
            label { "Feed address" input type="url" name="feed_url" required placeholder="https://example.com/feed.xml"; }
            fieldset {
                legend { "Post to" }
                @for (p, _) in &profiles { label { input type="checkbox" name="profiles" value=(p.id); (p.name) } }
            }
            label { "Template" input type="text" name="template" value=(domain::feeds::DEFAULT_TEMPLATE); }
            p.muted { "Placeholders: {{title}} {{url}} {{description}} {{author}} {{pubDate}}. HTML is stripped; the text is fitted to each platform." }
            label { "New items become"
                select name="becomes" {
                    option value="draft" { "drafts" }
                    option value="review" { "posts submitted for review" }
                    option value="best_time" { "posts at the best time" }
                }
            }
            label { input type="checkbox" name="include_image" value="true"; "Attach the item's image" }
            label { "Check every (minutes, at least 15)" input type="number" name="check_interval_minutes" min="15" value="60"; }
            button type="submit" { "Add feed" }
        }
    };
    Ok(layout::page(&req, &s, Page::new("Feeds", "feeds"), body))
}

pub async fn create(state: web::Data<AppState>, s: Session, body: web::Bytes) -> DashResult<HttpResponse> {
    let form = Pairs::read(&body, &s)?;
    let mut v = json!({
        "name": form.one("name"),
        "feed_url": form.one("feed_url"),
        "profiles": form.many("profiles").unwrap_or_default(),
        "becomes": form.one("becomes"),
        "include_image": form.one("include_image") == "true",
    });
    if !form.one("template").trim().is_empty() {
        v["template"] = Value::String(form.one("template"));
    }
    if let Ok(n) = form.one("check_interval_minutes").trim().parse::<i64>() {
        v["check_interval_minutes"] = json!(n);
    }
    let outcome = match domain::feeds::parse(&v, true) {
        Err(errors) => Err(ApiError::Validation(errors)),
        Ok(input) => state
            .posting
            .create_feed(&s.caller(), input)
            .await
            .map(|f| format!("Feed {} added; it is checked at once.", f.name))
            .map_err(ApiError::from),
    };
    after("/dashboard/feeds", outcome)
}

pub async fn act(
    state: web::Data<AppState>,
    s: Session,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let (id, action) = path.into_inner();
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return after("/dashboard/feeds", Err(ApiError::NotFound(api_gateway::error::Missing::Feed)));
    };
    let caller = s.caller();
    let outcome = match action.as_str() {
        "check" => state.posting.feed_action(&caller, id, FeedAction::Check).await.map(|_| "Checking now.".to_owned()),
        "pause" => state.posting.feed_action(&caller, id, FeedAction::Pause).await.map(|_| "Feed paused.".to_owned()),
        "resume" => {
            state.posting.feed_action(&caller, id, FeedAction::Resume).await.map(|_| "Feed resumed.".to_owned())
        }
        "delete" => state.posting.delete_feed(&caller, id).await.map(|()| "Feed removed.".to_owned()),
        _ => Err(posting::PostingError::FeedNotFound),
    };
    after("/dashboard/feeds", outcome.map_err(ApiError::from))
}
