//! Accounts are profiles: list, read, edit their description, disconnect, pick the default
//! per platform, register a Bluesky account by app password, and confirm an OAuth choice.
//! Tokens never leave the store.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use domain::{ProfileId, Provider};
use serde_json::{Value, json};
use store::models::ProfileRow;

use super::{
    auth::Org,
    envelope::{AgencyError, AgencyResult, Body, ok, page},
    names, query,
};
use crate::app::AppState;

/// An account as the seed shows it. `isDefault` is the effective default: the one marked,
/// or the only active account of its platform.
pub fn view(p: &ProfileRow, all: &[ProfileRow]) -> Value {
    let default = posting::default_of(all, p.provider).is_some_and(|d| d.id == p.id);
    json!({
        "id": p.id,
        "orgId": p.workspace_id,
        "platform": names::platform_name(p.provider),
        "platformAccountId": p.external_id,
        "displayName": p.name,
        "username": p.username,
        "avatarUrl": p.picture_url,
        "profileUrl": p.profile_url,
        "accountType": p.account_type,
        "status": names::account_status(p),
        "isDefault": default,
        "scopes": p.scopes,
        "platformMeta": p.platform_meta,
        "connectedBy": null,
        "connectedAt": p.created_at,
        "lastUsed": null,
        "updatedAt": p.updated_at,
    })
}

fn account_id(raw: &str) -> AgencyResult<ProfileId> {
    uuid::Uuid::parse_str(raw).map(ProfileId::from).map_err(|_| AgencyError::not_found("account not found"))
}

async fn one(state: &AppState, org: &Org, id: ProfileId) -> AgencyResult<ProfileRow> {
    let mut conn = state.pool.get().await?;
    let (p, _) = store::profiles::get(&mut conn, &org.scope, id)
        .await?
        .ok_or_else(|| AgencyError::not_found("account not found"))?;
    Ok(p)
}

/// Every account the key sees (to tell which is each platform's default).
async fn all(state: &AppState, org: &Org) -> AgencyResult<Vec<ProfileRow>> {
    let mut conn = state.pool.get().await?;
    Ok(store::profiles::list(&mut conn, &org.scope).await?.into_iter().map(|(p, _)| p).collect())
}

/// One account, read back as shown.
async fn shown(state: &AppState, org: &Org, id: ProfileId, status: StatusCode) -> AgencyResult<HttpResponse> {
    let p = one(state, org, id).await?;
    Ok(ok(status, view(&p, &all(state, org).await?)))
}

pub async fn list(state: web::Data<AppState>, org: Org, req: HttpRequest) -> AgencyResult<HttpResponse> {
    let q = query::Query::parse(&req)?;
    let platform = q.one("platform").map(names::platform).transpose()?;
    let status = q.one("status");
    if let Some(s) = status
        && !["active", "token_expired", "disconnected", "rate_limited"].contains(&s)
    {
        return Err(AgencyError::bad_request(
            "status must be one of active, token_expired, disconnected, rate_limited",
        ));
    }
    let (page_no, limit) = q.page(50)?;
    let every = all(&state, &org).await?;
    let rows: Vec<&ProfileRow> = every
        .iter()
        .filter(|p| platform.is_none_or(|x| p.provider == x))
        .filter(|p| status.is_none_or(|s| names::account_status(p) == s))
        .collect();
    let total = rows.len() as i64;
    let data: Vec<Value> =
        rows.iter().skip(((page_no - 1) * limit) as usize).take(limit as usize).map(|p| view(p, &every)).collect();
    Ok(page(data, total, page_no, limit))
}

pub async fn get(state: web::Data<AppState>, org: Org, id: web::Path<String>) -> AgencyResult<HttpResponse> {
    shown(&state, &org, account_id(&id)?, StatusCode::OK).await
}

fn opt_string(body: &Value, key: &str) -> AgencyResult<Option<Option<String>>> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.chars().count() <= 2048 => {
            Ok(Some(Some(s.clone()).filter(|s| !s.trim().is_empty())))
        }
        Some(_) => Err(AgencyError::bad_request(format!(
            "Validation error: {key} must be a string of at most 2048 characters"
        ))),
    }
}

/// `PUT /accounts/{id}`: the seed's descriptive fields. `status` is the connection's:
/// only `disconnected` may be set (it disconnects), or the status it has.
pub async fn update(
    state: web::Data<AppState>,
    org: Org,
    id: web::Path<String>,
    body: Body,
) -> AgencyResult<HttpResponse> {
    org.require_write()?;
    org.check_body(&body)?;
    let p = one(&state, &org, account_id(&id)?).await?;
    if !body.is_object() {
        return Err(AgencyError::bad_request("Validation error: the body must be a JSON object"));
    }
    let mut meta = store::profiles::ProfileMeta::default();
    if let Some(name) = opt_string(&body, "displayName")? {
        meta.name =
            Some(name.ok_or_else(|| AgencyError::bad_request("Validation error: displayName cannot be empty"))?);
    }
    meta.username = opt_string(&body, "username")?;
    meta.picture_url = opt_string(&body, "avatarUrl")?;
    meta.profile_url = opt_string(&body, "profileUrl")?;
    if let Some(t) = opt_string(&body, "accountType")? {
        meta.account_type = Some(t.unwrap_or_else(|| "personal".into()));
    }
    match body.get("scopes") {
        None => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            meta.scopes = Some(items.iter().filter_map(Value::as_str).map(str::to_owned).collect());
        }
        Some(_) => return Err(AgencyError::bad_request("Validation error: scopes must be an array of strings")),
    }
    match body.get("platformMeta") {
        None => {}
        Some(v @ Value::Object(_)) => meta.platform_meta = Some(v.clone()),
        Some(_) => return Err(AgencyError::bad_request("Validation error: platformMeta must be an object")),
    }
    let disconnect = match body.get("status").and_then(Value::as_str) {
        None => false,
        Some("disconnected") => true,
        Some(s) if s == names::account_status(&p) => false,
        Some(_) => {
            return Err(AgencyError::bad_request(
                "Validation error: status follows the connection; only `disconnected` can be set (it disconnects the account)",
            ));
        }
    };
    let mut conn = state.pool.get().await?;
    store::profiles::update_meta(&mut conn, p.id, &meta).await?;
    if disconnect {
        store::profiles::disconnect(&mut conn, p.id).await?;
    }
    state.posting.profile_changed(p.id);
    shown(&state, &org, p.id, StatusCode::OK).await
}

/// `DELETE /accounts/{id}`: disconnected, tokens cleared, history kept.
pub async fn delete(state: web::Data<AppState>, org: Org, id: web::Path<String>) -> AgencyResult<HttpResponse> {
    org.require_write()?;
    let p = one(&state, &org, account_id(&id)?).await?;
    let mut conn = state.pool.get().await?;
    store::profiles::disconnect(&mut conn, p.id).await?;
    state.posting.profile_changed(p.id);
    Ok(ok(StatusCode::OK, json!({"id": p.id, "status": "disconnected"})))
}

pub async fn set_default(state: web::Data<AppState>, org: Org, id: web::Path<String>) -> AgencyResult<HttpResponse> {
    let id = account_id(&id)?;
    let p = state.posting.set_default_profile(&org.caller, id).await.map_err(|e| match e {
        posting::PostingError::ProfileNotFound => AgencyError::not_found("account not found"),
        other => other.into(),
    })?;
    Ok(ok(StatusCode::OK, json!({"id": p.id})))
}

/// `POST /accounts`: manual registration. Bluesky connects with its handle and an app
/// password; other platforms connect through OAuth (tokens are never taken from a body).
pub async fn register(state: web::Data<AppState>, org: Org, body: Body) -> AgencyResult<HttpResponse> {
    org.require_write()?;
    org.check_body(&body)?;
    let platform = body
        .get("platform")
        .and_then(Value::as_str)
        .ok_or_else(|| AgencyError::bad_request("Validation error: platform is required"))?;
    let provider = names::platform(platform)?;
    if provider != Provider::Bluesky {
        return Err(AgencyError::bad_request(format!(
            "{platform} accounts connect through OAuth: send the user to GET /api/v1/social/oauth/{platform}"
        )));
    }
    let text = |keys: &[&str]| keys.iter().find_map(|k| body.get(*k).and_then(Value::as_str)).map(str::to_owned);
    let identifier = text(&["identifier", "handle", "username", "platformAccountId"])
        .ok_or_else(|| AgencyError::bad_request("Validation error: identifier (the Bluesky handle) is required"))?;
    let password = text(&["appPassword", "password"]).ok_or_else(|| {
        AgencyError::bad_request("Validation error: appPassword (a Bluesky app password) is required")
    })?;
    let mut conn = state.pool.get().await?;
    let c = &state.config;
    let row =
        crate::connect::bluesky(&mut conn, &state.http, &c.providers, &state.secrets, org.org, &identifier, &password)
            .await?;
    if let Some(name) = text(&["displayName"]) {
        let meta = store::profiles::ProfileMeta { name: Some(name), ..Default::default() };
        store::profiles::update_meta(&mut conn, row.id, &meta).await?;
    }
    shown(&state, &org, row.id, StatusCode::CREATED).await
}
