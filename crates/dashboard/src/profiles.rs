//! Profiles: connect through the provider's OAuth flow (or a Bluesky app password),
//! reconnect when the provider asks for it, disconnect, and see status and token expiry.

use actix_web::{HttpRequest, HttpResponse, web};
use domain::{ProfileStatus, Provider};
use maud::html;
use serde::Deserialize;

use super::{
    DashResult, after,
    layout::{self, Page, badge, button_form, csrf, when},
    see_other,
    session::{CsrfForm, Session},
};
use api_gateway::{app::AppState, error::ApiError, routes::request::path_id};

#[derive(Deserialize)]
pub struct ConnectedQuery {
    connected: Option<String>,
    error: Option<String>,
}

pub async fn page(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: Session,
    q: web::Query<ConnectedQuery>,
) -> DashResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let rows = store::profiles::list(&mut conn, &s.caller().scope).await?;
    let body = html! {
        @if let Some(name) = &q.connected { div.flash.notice role="status" { "Connected " (name) "." } }
        @if let Some(e) = &q.error { div.flash.error role="alert" { "Not connected: " (e) } }
        @if rows.is_empty() {
            p.muted { "No profiles yet. Connect one below." }
        } @else {
            table {
                thead { tr { th { "Profile" } th { "Platform" } th { "Status" } th { "Token expires" } th { "Deliveries" } th {} } }
                tbody {
                    @for (p, deliveries) in &rows {
                        tr data-profile=(p.id) {
                            td { strong { (p.name) } @if let Some(u) = &p.username { br; span.muted { "@" (u) } } }
                            td { (p.provider.display_name()) }
                            td { (badge(&p.status.as_str().replace('_', " "))) }
                            td { (when(p.expires_at)) }
                            td { (deliveries) }
                            td {
                                @if p.status != ProfileStatus::Active && p.provider != Provider::Bluesky {
                                    form.inline method="post" action="/dashboard/profiles/connect" {
                                        (csrf(&s))
                                        input type="hidden" name="provider" value=(p.provider);
                                        input type="hidden" name="account" value=(p.username.as_deref().unwrap_or(""));
                                        button type="submit" { "Reconnect" }
                                    }
                                    " "
                                }
                                @if p.status != ProfileStatus::Disconnected {
                                    (button_form(&s, &format!("/dashboard/profiles/{}/disconnect", p.id), "Disconnect", "danger"))
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Connect a profile" }
        form.row method="post" action="/dashboard/profiles/connect" {
            (csrf(&s))
            label { "Platform"
                select name="provider" {
                    @for p in Provider::ALL.iter().filter(|p| **p != Provider::Bluesky) {
                        option value=(p.as_str()) { (p.display_name()) }
                    }
                }
            }
            label { "Account (optional sign-in hint)" input type="text" name="account" placeholder="handle at the provider"; }
            button type="submit" { "Connect" }
        }
        form.row method="post" action="/dashboard/profiles/bluesky" {
            (csrf(&s))
            label { "Bluesky handle" input type="text" name="identifier" required; }
            label { "App password" input type="password" name="app_password" required autocomplete="off"; }
            button type="submit" { "Connect Bluesky" }
        }
        p.muted { "Connecting sends you to the platform to approve access, then back here. Tokens are stored encrypted." }
    };
    Ok(layout::page(&req, &s, Page::new("Profiles", "profiles"), body))
}

#[derive(Deserialize)]
pub struct ConnectForm {
    #[serde(default)]
    csrf_token: String,
    provider: String,
    account: Option<String>,
}

/// Starts the OAuth flow and sends the browser to the provider; the callback brings it
/// back to this page.
pub async fn connect(state: web::Data<AppState>, s: Session, form: web::Form<ConnectForm>) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let provider = match form.provider.parse::<Provider>() {
        Ok(Provider::Bluesky) => {
            return after(
                "/dashboard/profiles",
                Err(ApiError::field("provider", "Bluesky connects with an app password")),
            );
        }
        Ok(p) => p,
        Err(e) => return after("/dashboard/profiles", Err(ApiError::field("provider", e.to_string()))),
    };
    let hint = form.account.as_deref().map(str::trim).filter(|a| !a.is_empty());
    let mut conn = state.pool.get().await?;
    let c = &state.config;
    let started = api_gateway::connect::start(
        &mut conn,
        &c.providers,
        &state.secrets,
        &c.public_url,
        api_gateway::connect::Start {
            workspace_id: s.workspace_id(),
            provider,
            login_hint: hint,
            return_to: Some("/dashboard/profiles"),
            bind_browser: true,
        },
    )
    .await?;
    let mut answer = see_other(&started.url);
    if let Some(binding) = started.binding {
        let _ = answer.add_cookie(&api_gateway::routes::profiles::binding_cookie(&state, binding));
    }
    Ok(answer)
}

#[derive(Deserialize)]
pub struct BlueskyForm {
    #[serde(default)]
    csrf_token: String,
    identifier: String,
    app_password: String,
}

pub async fn connect_bluesky(
    state: web::Data<AppState>,
    s: Session,
    form: web::Form<BlueskyForm>,
) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let mut conn = state.pool.get().await?;
    let outcome = api_gateway::connect::bluesky(
        &mut conn,
        &state.http,
        &state.config.providers,
        &state.secrets,
        s.workspace_id(),
        form.identifier.trim(),
        &form.app_password,
    )
    .await
    .map(|row| format!("Connected {}.", row.name));
    after("/dashboard/profiles", outcome)
}

pub async fn disconnect(
    state: web::Data<AppState>,
    s: Session,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let id = path_id(&id, ApiError::profile_not_found)?;
    let outcome = api_gateway::routes::profiles::disconnect_profile(&state, &s.caller(), id).await.map(|name| {
        format!("Disconnected {name}. Its posts stay readable; deliveries still scheduled to it will fail.")
    });
    after("/dashboard/profiles", outcome)
}
