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
    /// A connection that found several destinations (pages, organisations) and waits
    /// for the person to choose.
    choose: Option<String>,
}

pub async fn page(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: Session,
    q: web::Query<ConnectedQuery>,
) -> DashResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let rows = store::profiles::list(&mut conn, &s.caller().scope).await?;
    let pending = match &q.choose {
        Some(nonce) => store::oauth::pending(&mut conn, s.workspace_id(), nonce, false).await?,
        None => None,
    };
    let options = pending.as_ref().map(|p| api_gateway::connect::public_options(&p.options));
    let body = html! {
        @if let (Some(nonce), Some(options)) = (&q.choose, &options) {
            section.choose {
                h2 { "Choose what to connect" }
                p { "The platform gave access to several accounts. Pick the ones to connect; the default one gets posts that name only the platform." }
                form method="post" action="/dashboard/profiles/confirm" {
                    (csrf(&s))
                    input type="hidden" name="nonce" value=(nonce);
                    table {
                        thead { tr { th { "Connect" } th { "Account" } th { "Kind" } th { "Default" } } }
                        tbody {
                            @for o in options.as_array().into_iter().flatten() {
                                @let i = o["index"].as_u64().unwrap_or_default();
                                tr {
                                    td { input type="checkbox" name="pick" value=(i) checked; }
                                    td { strong { (o["displayName"].as_str().unwrap_or("")) } }
                                    td { (o["accountType"].as_str().unwrap_or("")) }
                                    td { input type="radio" name="default" value=(i) checked[i == 0]; }
                                }
                            }
                        }
                    }
                    button type="submit" { "Connect the chosen accounts" }
                }
            }
        }
        @if q.choose.is_some() && options.is_none() { div.flash.error role="alert" { "That choice has expired; connect again." } }
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
            redirect_uri: None,
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

/// Connects the destinations chosen on the page (checkboxes `pick`, radio `default`).
pub async fn confirm(state: web::Data<AppState>, s: Session, body: web::Bytes) -> DashResult<HttpResponse> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let one = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    s.check_csrf(one("csrf_token").unwrap_or(""))?;
    let nonce = one("nonce").unwrap_or("").to_owned();
    let default = one("default").and_then(|d| d.parse::<usize>().ok());
    let picks: Vec<api_gateway::connect::Pick> = pairs
        .iter()
        .filter(|(n, _)| n == "pick")
        .filter_map(|(_, v)| v.parse::<usize>().ok())
        .map(|index| api_gateway::connect::Pick { index, default: Some(index) == default })
        .collect();
    if picks.is_empty() {
        return after("/dashboard/profiles", Err(ApiError::field("pick", "choose at least one account")));
    }
    let mut conn = state.pool.get().await?;
    let outcome = api_gateway::connect::confirm(&mut conn, &state.secrets, s.workspace_id(), &nonce, &picks)
        .await
        .map(|ids| format!("Connected {} account{}.", ids.len(), if ids.len() == 1 { "" } else { "s" }));
    after("/dashboard/profiles", outcome)
}
