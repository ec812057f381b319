//! Webhook endpoints of the workspace: add one (its signing secret shown once), see recent
//! send attempts, remove it. The same functions as `/api/webhooks`.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;

use super::{
    DashResult, after,
    form::Pairs,
    layout::{self, Page, badge, button_form, csrf, when},
    posts::event_name,
    session::{CsrfForm, Session},
};
use api_gateway::{app::AppState, routes};

async fn render(state: &AppState, req: &HttpRequest, s: &Session, created: Option<String>) -> DashResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let endpoints = store::webhooks::list(&mut conn, s.workspace_id()).await?;
    let mut attempts = Vec::with_capacity(endpoints.len());
    for e in &endpoints {
        attempts.push(store::webhooks::attempts(&mut conn, e.id, 5).await?);
    }
    let body = html! {
        @if let Some(secret) = &created {
            div.flash.notice role="status" {
                p { "Endpoint added. Its signing secret (Standard Webhooks, HMAC-SHA256) is shown only once:" }
                p.secret data-test="webhook-secret" { (secret) }
            }
        }
        @if endpoints.is_empty() { p.muted { "No endpoints. PostMantis sends post and delivery state changes to each endpoint you add." } }
        @for (e, recent) in endpoints.iter().zip(&attempts) {
            div.card {
                strong { (e.url) } " " (badge(&e.status))
                @if let Some(r) = &e.disabled_reason { p.error-text { (r) } }
                p.muted {
                    "Events: " @match &e.events { Some(k) => (k.iter().map(|k| event_name(k)).collect::<Vec<_>>().join(", ")), None => "all" }
                    " · consecutive failures " (e.failures) " · added " (when(Some(e.created_at)))
                }
                @if !recent.is_empty() {
                    table {
                        thead { tr { th { "When" } th { "Event" } th { "Attempt" } th { "Answer" } } }
                        tbody { @for a in recent { tr {
                            td { (when(Some(a.at))) } td { (a.event_id) } td { (a.attempt) }
                            td { @if a.succeeded { (badge("published")) } @else { (badge("failed")) } " " (a.status_code.map(|c| c.to_string()).unwrap_or_default()) " " (a.error.as_deref().unwrap_or("")) }
                        } } }
                    }
                }
                (button_form(s, &format!("/dashboard/webhooks/{}/delete", e.id), "Remove", "danger"))
            }
        }
        h2 { "Add an endpoint" }
        form.stack method="post" action="/dashboard/webhooks" {
            (csrf(s))
            label { "URL" input type="url" name="url" required placeholder="https://example.com/hooks/postmantis"; }
            fieldset {
                legend { "Events (none ticked: all)" }
                @for k in domain::events::all() { label { input type="checkbox" name="events" value=(k); (event_name(k)) } }
            }
            button type="submit" { "Add endpoint" }
        }
    };
    Ok(layout::page(req, s, Page::new("Webhooks", "webhooks"), body))
}

pub async fn page(state: web::Data<AppState>, req: HttpRequest, s: Session) -> DashResult<HttpResponse> {
    render(&state, &req, &s, None).await
}

pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: Session,
    body: web::Bytes,
) -> DashResult<HttpResponse> {
    let form = Pairs::read(&body, &s)?;
    let events = form.many("events");
    match routes::webhooks::create_endpoint(&state, &s.caller(), form.one("url").trim(), events).await {
        Ok((_, secret)) => render(&state, &req, &s, Some(secret)).await,
        Err(e) => after("/dashboard/webhooks", Err(e)),
    }
}

pub async fn delete(
    state: web::Data<AppState>,
    s: Session,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let outcome =
        routes::webhooks::delete_endpoint(&state, &s.caller(), &id).await.map(|()| "Endpoint removed.".to_owned());
    after("/dashboard/webhooks", outcome)
}
