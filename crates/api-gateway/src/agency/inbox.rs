//! Seed 002's inbox: `/inbox` (list with `status`, `type`, `platform`, `limit` ≤ 200 and
//! the `startAfter` cursor; create), `/inbox/{id}` (PATCH status/priority, DELETE),
//! `/inbox/poll` (`{polled, newItems}`), `/inbox/webhook` (the platforms' deliveries,
//! verified their way), and `/inbox/{id}/reply` beside them; camelCase, over the same
//! items as the native `/api/inbox`.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use domain::inbox::{ItemKind, Priority};
use posting::inbox::{ItemView, NewItem, Query};
use serde_json::{Value, json};
use store::inbox::ItemRow;

use super::{
    auth::Org,
    envelope::{AgencyError, AgencyResult, Body, ok},
    names, query,
};
use crate::app::AppState;

fn item_id(raw: &str) -> AgencyResult<uuid::Uuid> {
    uuid::Uuid::parse_str(raw).map_err(|_| AgencyError::not_found("Inbox item not found"))
}

fn shown(i: &ItemRow, org: &Org) -> Value {
    let platform = i.provider.parse::<domain::Provider>().map(names::platform_name).unwrap_or("unknown");
    json!({
        "id": i.id,
        "orgId": org.org,
        "accountId": i.profile_id,
        "platform": platform,
        "type": i.kind,
        "fromUser": {"name": i.from_name, "username": i.from_username, "avatarUrl": i.from_avatar_url, "profileUrl": i.from_profile_url},
        "content": i.content,
        "postId": i.post_id,
        "platformItemId": i.platform_item_id,
        "platformUrl": i.platform_url,
        "status": i.status,
        "priority": i.priority,
        "sentiment": i.sentiment,
        "canReply": i.can_reply,
        "canHide": i.can_hide,
        "canDelete": i.can_delete,
        "source": i.source,
        "receivedAt": i.received_at,
        "repliedAt": i.replied_at,
        "createdAt": i.created_at,
        "updatedAt": i.updated_at,
    })
}

fn shown_with_replies(v: &ItemView, org: &Org) -> Value {
    let mut j = shown(&v.item, org);
    j["replies"] = Value::Array(v.replies.iter().map(|(id, status)| json!({"postId": id, "status": status})).collect());
    j
}

/// The seed's names for the native fields a refusal names.
fn mapped(e: posting::PostingError) -> AgencyError {
    match e {
        posting::PostingError::InboxItemNotFound => AgencyError::not_found("Inbox item not found"),
        posting::PostingError::Validation(errors) => {
            let all: Vec<String> = errors
                .iter()
                .map(|e| {
                    let f = match e.field.as_str() {
                        "type" => "type",
                        "cursor" => "startAfter",
                        "provider" => "platform",
                        other => other,
                    };
                    format!("{f}: {}", e.message)
                })
                .collect();
            AgencyError::bad_request(format!("Validation error: {}", all.join("; ")))
        }
        other => other.into(),
    }
}

pub async fn list(state: web::Data<AppState>, org: Org, req: HttpRequest) -> AgencyResult<HttpResponse> {
    let q = query::Query::parse(&req)?;
    let limit = match q.one("limit") {
        None => None,
        Some(v) => Some(
            v.parse::<i64>()
                .map_err(|_| AgencyError::bad_request("Validation error: limit must be an integer from 1 to 200"))?,
        ),
    };
    let after = match q.one("startAfter").or_else(|| q.one("cursor")) {
        None => None,
        Some(v) => Some(uuid::Uuid::parse_str(v).map_err(|_| {
            AgencyError::bad_request("Validation error: startAfter: the id of the last item of the page before")
        })?),
    };
    let provider = q.one("platform").map(names::platform).transpose()?.map(|p| p.as_str().to_owned());
    let query = Query {
        status: q.one("status").map(str::to_owned),
        kind: q.one("type").map(str::to_owned),
        provider,
        profile: match q.one("accountId") {
            None => None,
            Some(v) => Some(domain::ProfileId(
                uuid::Uuid::parse_str(v)
                    .map_err(|_| AgencyError::bad_request("Validation error: accountId: an account id"))?,
            )),
        },
        priority: q.one("priority").map(str::to_owned),
        after,
        limit,
    };
    let page = state.posting.inbox_list(&org.caller, &query).await.map_err(mapped)?;
    let items: Vec<Value> = page.items.iter().map(|i| shown(i, &org)).collect();
    Ok(ok(StatusCode::OK, json!({"items": items, "hasMore": page.has_more, "cursor": page.cursor})))
}

fn string(o: &serde_json::Map<String, Value>, key: &str) -> AgencyResult<Option<String>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(AgencyError::bad_request(format!("Validation error: {key} must be a string"))),
    }
}

fn required(o: &serde_json::Map<String, Value>, key: &str) -> AgencyResult<String> {
    string(o, key)?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| AgencyError::bad_request(format!("Validation error: {key} is required")))
}

/// `POST /inbox`: platform, type, fromUser, content, platformItemId, platformUrl are
/// required (the seed's list); `accountId` picks the account, else the platform's default.
pub async fn create(state: web::Data<AppState>, org: Org, body: Body) -> AgencyResult<HttpResponse> {
    org.check_body(&body)?;
    let Some(o) = body.0.as_object() else { return Err(AgencyError::bad_request("Validation error: a JSON object")) };
    let provider = names::platform(&required(o, "platform")?)?;
    let kind_name = required(o, "type")?;
    let kind = ItemKind::parse(&kind_name).ok_or_else(|| {
        AgencyError::bad_request(format!("Validation error: type must be one of {}", ItemKind::one_of()))
    })?;
    let from = match o.get("fromUser") {
        Some(Value::Object(f)) => f.clone(),
        Some(Value::String(name)) => serde_json::Map::from_iter([("name".to_owned(), json!(name))]),
        _ => {
            return Err(AgencyError::bad_request(
                "Validation error: fromUser is required (name, username, avatarUrl, profileUrl)",
            ));
        }
    };
    let content = match o.get("content") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(AgencyError::bad_request("Validation error: content is required")),
    };
    let platform_item_id = required(o, "platformItemId")?;
    let platform_url = required(o, "platformUrl")?;
    let priority = match string(o, "priority")? {
        None => None,
        Some(p) => Some(Priority::parse(&p).ok_or_else(|| {
            AgencyError::bad_request(format!("Validation error: priority must be one of {}", Priority::one_of()))
        })?),
    };
    let ids: Vec<domain::ProfileId> = match string(o, "accountId")? {
        None => Vec::new(),
        Some(id) => vec![domain::ProfileId(
            uuid::Uuid::parse_str(&id)
                .map_err(|_| AgencyError::bad_request("Validation error: accountId: an account id"))?,
        )],
    };
    let chosen = state.posting.profiles_for(&org.caller, &[provider], &ids).await.map_err(|e| match e {
        posting::PostingError::Validation(_) => AgencyError::bad_request(format!(
            "Validation error: accountId: no active {} account to file the item under",
            names::platform_name(provider)
        )),
        other => other.into(),
    })?;
    let profile = chosen
        .first()
        .copied()
        .ok_or_else(|| AgencyError::bad_request("Validation error: accountId: no active account on that platform"))?;
    let text = |k: &str| from.get(k).and_then(Value::as_str).map(str::to_owned);
    let n = NewItem {
        profile,
        kind,
        from_name: text("name"),
        from_username: text("username"),
        from_avatar_url: text("avatarUrl"),
        from_profile_url: text("profileUrl"),
        content,
        platform_item_id,
        platform_url: Some(platform_url),
        about_platform_id: string(o, "platformPostId")?,
        priority,
    };
    let (item, made) = state.posting.inbox_create(&org.caller, n).await.map_err(mapped)?;
    let status = if made { StatusCode::CREATED } else { StatusCode::OK };
    Ok(ok(status, shown(&item, &org)))
}

pub async fn get(state: web::Data<AppState>, org: Org, id: web::Path<String>) -> AgencyResult<HttpResponse> {
    let v = state.posting.inbox_get(&org.caller, item_id(&id)?).await.map_err(mapped)?;
    Ok(ok(StatusCode::OK, shown_with_replies(&v, &org)))
}

pub async fn update(
    state: web::Data<AppState>,
    org: Org,
    id: web::Path<String>,
    body: Body,
) -> AgencyResult<HttpResponse> {
    org.check_body(&body)?;
    let id = item_id(&id)?;
    let Some(o) = body.0.as_object() else { return Err(AgencyError::bad_request("Validation error: a JSON object")) };
    let status = string(o, "status")?;
    let priority = string(o, "priority")?;
    let item =
        state.posting.inbox_update(&org.caller, id, status.as_deref(), priority.as_deref()).await.map_err(mapped)?;
    Ok(ok(StatusCode::OK, shown(&item, &org)))
}

pub async fn delete(state: web::Data<AppState>, org: Org, id: web::Path<String>) -> AgencyResult<HttpResponse> {
    state.posting.inbox_delete(&org.caller, item_id(&id)?).await.map_err(mapped)?;
    Ok(ok(StatusCode::OK, json!({"deleted": true})))
}

/// `POST /inbox/{id}/reply` `{text}` (or `content`): the reply as an agency post.
pub async fn reply(
    state: web::Data<AppState>,
    org: Org,
    req: HttpRequest,
    id: web::Path<String>,
    body: Body,
) -> AgencyResult<HttpResponse> {
    org.check_body(&body)?;
    let id = item_id(&id)?;
    let Some(o) = body.0.as_object() else { return Err(AgencyError::bad_request("Validation error: a JSON object")) };
    let text = match string(o, "text")? {
        Some(t) => t,
        None => required(o, "content")?,
    };
    let key =
        actix_web::HttpMessage::extensions(&req).get::<crate::idempotency::IdempotentCreate>().map(|k| k.0.clone());
    let post = state.posting.inbox_reply(&org.caller, id, &text, key).await.map_err(mapped)?;
    Ok(ok(
        StatusCode::ACCEPTED,
        json!({"inboxItemId": id, "postId": post.post.id, "status": names::post_status(&post)}),
    ))
}

pub async fn poll(state: web::Data<AppState>, org: Org) -> AgencyResult<HttpResponse> {
    let p = state.posting.inbox_poll(&org.caller).await.map_err(mapped)?;
    Ok(ok(StatusCode::OK, json!({"polled": p.polled, "newItems": p.new_items})))
}

/// `POST /inbox/webhook` (no auth: the platform's signature is the proof): any platform's
/// delivery, told apart by its signature header and body.
pub async fn webhook(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> AgencyResult<HttpResponse> {
    let provider = match req.match_info().get("platform") {
        Some(p) => Some(names::platform(p)?),
        None => crate::routes::inbox::provider_of_delivery(&req, &body),
    }
    .filter(|p| providers::inbound::takes_webhooks(*p))
    .ok_or_else(|| AgencyError::bad_request("Validation error: not a delivery of X, Facebook or Instagram"))?;
    let (received, new) = crate::routes::inbox::receive(&state, &req, provider, &body).await?;
    Ok(ok(StatusCode::OK, json!({"received": received, "newItems": new})))
}
