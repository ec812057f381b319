//! Connecting accounts by OAuth from the agency surface: start (a redirect to the
//! platform), the callback, and — when the platform offers several destinations (Facebook
//! pages, LinkedIn organisations, Pinterest boards) — a pending choice read by nonce and
//! confirmed with `POST /accounts/confirm`.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde_json::{Value, json};

use super::{
    auth::Org,
    envelope::{AgencyError, AgencyResult, Body, ok},
    names, query,
};
use crate::app::AppState;
use crate::connect;
use crate::routes::profiles::Callback;

/// Where the platform sends the browser back for flows started here.
pub fn callback_uri(public_url: &str, platform: &str) -> String {
    format!("{}/api/v1/social/oauth/{platform}/callback", public_url.trim_end_matches('/'))
}

/// `GET /oauth/{platform}?redirectUrl=`: a 302 to the platform's consent page. The flow is
/// not bound to a browser (an agent starts it and hands the link to the account's owner).
pub async fn start(
    state: web::Data<AppState>,
    org: Org,
    req: HttpRequest,
    platform: web::Path<String>,
) -> AgencyResult<HttpResponse> {
    org.require_write()?;
    let provider = names::platform(&platform)?;
    if provider == domain::Provider::Bluesky {
        return Err(AgencyError::bad_request(
            "bluesky uses app passwords: create the account with POST /api/v1/social/accounts",
        ));
    }
    let q = query::Query::parse(&req)?;
    let return_to =
        q.one("redirectUrl").filter(|r| r.starts_with('/') && !r.starts_with("//") && !r.chars().any(char::is_control));
    let redirect = callback_uri(&state.config.public_url, names::platform_name(provider));
    let mut conn = state.pool.get().await?;
    let c = &state.config;
    let started = connect::start(
        &mut conn,
        &c.providers,
        &state.secrets,
        &c.public_url,
        connect::Start {
            workspace_id: org.org,
            provider,
            login_hint: q.one("login"),
            return_to,
            bind_browser: false,
            redirect_uri: Some(&redirect),
        },
    )
    .await?;
    Ok(HttpResponse::Found().insert_header((actix_web::http::header::LOCATION, started.url)).finish())
}

/// The platform's redirect back: the account is connected, or a choice of destinations
/// waits under a nonce. A flow started with `redirectUrl` goes back there
/// (`?connected=` or `?pending=<nonce>`); else the answer is JSON.
pub async fn callback(state: web::Data<AppState>, q: web::Query<Callback>) -> AgencyResult<HttpResponse> {
    if let Some(e) = &q.error {
        return Err(AgencyError::bad_request(format!(
            "the platform refused: {}",
            q.error_description.as_deref().unwrap_or(e)
        )));
    }
    let (Some(code), Some(flow)) = (q.code.as_deref(), q.state.as_deref()) else {
        return Err(AgencyError::bad_request("Validation error: code and state are required"));
    };
    let mut conn = state.pool.get().await?;
    let c = &state.config;
    let done = connect::complete(
        &mut conn,
        &state.http,
        &c.providers,
        &state.secrets,
        &c.public_url,
        connect::Returned { state: flow, code, browser: None },
    )
    .await?;
    let (data, back) = match &done.outcome {
        connect::Outcome::Connected(p) => (
            json!({"accountIds": [p.id], "platform": names::platform_name(p.provider)}),
            ("connected", p.id.to_string()),
        ),
        connect::Outcome::Choose { nonce, provider, options } => (
            json!({"pending": true, "nonce": nonce, "platform": names::platform_name(*provider), "options": options}),
            ("pending", nonce.clone()),
        ),
    };
    match done.return_to {
        Some(to) => {
            let query = serde_urlencoded::to_string([back]).unwrap_or_default();
            Ok(HttpResponse::SeeOther()
                .insert_header((actix_web::http::header::LOCATION, format!("{to}?{query}")))
                .finish())
        }
        None => Ok(ok(StatusCode::OK, data)),
    }
}

/// `GET /oauth/pending/{nonce}`: the destinations to choose from, without tokens.
pub async fn pending(state: web::Data<AppState>, org: Org, nonce: web::Path<String>) -> AgencyResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let p = store::oauth::pending(&mut conn, org.org, &nonce, false)
        .await?
        .ok_or_else(|| AgencyError::not_found("pending selection not found or expired"))?;
    let provider: domain::Provider =
        p.provider.parse().map_err(|_| AgencyError::not_found("pending selection not found"))?;
    Ok(ok(
        StatusCode::OK,
        json!({"platform": names::platform_name(provider), "options": connect::public_options(&p.options)}),
    ))
}

/// `POST /accounts/confirm {nonce, selections[{index, isDefault}]}`.
pub async fn confirm(state: web::Data<AppState>, org: Org, body: Body) -> AgencyResult<HttpResponse> {
    org.require_write()?;
    org.check_body(&body)?;
    let nonce = body
        .get("nonce")
        .and_then(Value::as_str)
        .ok_or_else(|| AgencyError::bad_request("Validation error: nonce is required"))?;
    let Some(Value::Array(items)) = body.get("selections") else {
        return Err(AgencyError::bad_request("Validation error: selections must be an array of {index, isDefault}"));
    };
    let mut picks = Vec::new();
    for (i, s) in items.iter().enumerate() {
        let index = s.get("index").and_then(Value::as_u64).ok_or_else(|| {
            AgencyError::bad_request(format!("Validation error: selections[{i}].index must be a number"))
        })?;
        let default = s.get("isDefault").and_then(Value::as_bool).unwrap_or(false);
        picks.push(connect::Pick { index: index as usize, default });
    }
    if picks.is_empty() {
        return Err(AgencyError::bad_request("Validation error: select at least one account"));
    }
    if picks.iter().filter(|p| p.default).count() > 1 {
        return Err(AgencyError::bad_request("Validation error: only one selected account can be the default"));
    }
    let mut conn = state.pool.get().await?;
    let ids = connect::confirm(&mut conn, &state.secrets, org.org, nonce, &picks).await?;
    Ok(ok(StatusCode::CREATED, json!({"accountIds": ids})))
}
