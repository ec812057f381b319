//! The engagement inbox over HTTP: items (filtered, cursor pages), marks, deletes,
//! replies (posts answering an item, carried by the delivery workers), a poll asked for
//! now, and the platforms' webhooks (`/api/inbound/{provider}`), verified their way before
//! anything in them is read.

use actix_web::{HttpRequest, HttpResponse, web};
use posting::inbox::{ItemJson, Query};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::{
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult, Missing},
    routes::request::{path_id, small_json},
    views::{self, Envelope, Page},
};

fn item_id(raw: &str) -> ApiResult<uuid::Uuid> {
    path_id(raw, || ApiError::NotFound(Missing::InboxItem))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// unread | read | replied | archived
    status: Option<String>,
    /// comment | mention | reply | dm | like | share | follow
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<String>,
    provider: Option<String>,
    profile_id: Option<uuid::Uuid>,
    /// high | normal | low
    priority: Option<String>,
    /// The `cursor` of the page before.
    cursor: Option<uuid::Uuid>,
    /// 1 to 200, default 50.
    limit: Option<i64>,
}

/// How to get the next page.
#[derive(Debug, Serialize, ToSchema)]
pub struct CursorMeta {
    pub has_more: bool,
    /// Ask for `?cursor=` this to get the next page; null on the last.
    pub cursor: Option<uuid::Uuid>,
}

#[utoipa::path(
    get, path = "/api/inbox", operation_id = "list_inbox", tag = "inbox", params(ListQuery),
    responses((status = 200, description = "Newest first", body = Page<ItemJson, CursorMeta>), (status = 400, description = "A filter is wrong (named)", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller, q: web::Query<ListQuery>) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let query = Query {
        status: q.status,
        kind: q.kind,
        provider: q.provider,
        profile: q.profile_id.map(domain::ProfileId),
        priority: q.priority,
        after: q.cursor,
        limit: q.limit,
    };
    let page = state.posting.inbox_list(&caller, &query).await?;
    Ok(HttpResponse::Ok().json(Page {
        data: page.items.iter().map(ItemJson::of).collect(),
        meta: CursorMeta { has_more: page.has_more, cursor: page.cursor },
    }))
}

#[utoipa::path(
    get, path = "/api/inbox/{id}", operation_id = "get_inbox_item", tag = "inbox",
    params(("id" = Uuid, Path, description = "Inbox item id")),
    responses((status = 200, description = "The item and the replies sent to it", body = Envelope<ItemJson>), (status = 404, description = "No such item", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let v = state.posting.inbox_get(&caller, item_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(Envelope::of(ItemJson::with_replies(&v))))
}

/// A mark: status and/or priority.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MarkBody {
    /// unread | read | replied | archived
    pub status: Option<String>,
    /// high | normal | low
    pub priority: Option<String>,
}

fn text_field(body: &Value, name: &str) -> ApiResult<Option<String>> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::field(name, "must be a string")),
    }
}

#[utoipa::path(
    patch, path = "/api/inbox/{id}", operation_id = "update_inbox_item", tag = "inbox",
    params(("id" = Uuid, Path, description = "Inbox item id")), request_body = MarkBody,
    responses((status = 200, description = "The item", body = Envelope<ItemJson>), (status = 400, description = "A field is wrong (named)", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let id = item_id(&id)?;
    let body = small_json(&req, payload).await?;
    let status = text_field(&body, "status")?;
    let priority = text_field(&body, "priority")?;
    let item = state.posting.inbox_update(&caller, id, status.as_deref(), priority.as_deref()).await?;
    Ok(HttpResponse::Ok().json(Envelope::of(ItemJson::of(&item))))
}

#[utoipa::path(
    delete, path = "/api/inbox/{id}", operation_id = "delete_inbox_item", tag = "inbox",
    params(("id" = Uuid, Path, description = "Inbox item id")),
    responses((status = 204, description = "Forgotten here (the platform keeps it)"), (status = 404, description = "No such item", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    state.posting.inbox_delete(&caller, item_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A reply's words.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReplyBody {
    pub text: String,
}

#[utoipa::path(
    post, path = "/api/inbox/{id}/reply", operation_id = "reply_to_inbox_item", tag = "inbox",
    params(("id" = Uuid, Path, description = "Inbox item id"), ("Idempotency-Key" = Option<String>, Header, description = "The same key never makes a second reply")),
    request_body = ReplyBody,
    responses((status = 202, description = "The reply, a post of one delivery: published once, the item then `replied`", body = Envelope<views::Post>), (status = 400, description = "The text is wrong, or the item cannot be answered (named)", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn reply(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let id = item_id(&id)?;
    let body = small_json(&req, payload).await?;
    let text = text_field(&body, "text")?.ok_or_else(|| ApiError::field("text", "is required"))?;
    let key =
        actix_web::HttpMessage::extensions(&req).get::<crate::idempotency::IdempotentCreate>().map(|k| k.0.clone());
    let post = state.posting.inbox_reply(&caller, id, &text, key).await?;
    Ok(HttpResponse::Accepted().json(Envelope::of(views::post(&post, &state.config.public_url))))
}

/// What a poll asked for now found.
#[derive(Debug, Serialize, ToSchema)]
pub struct PollAnswer {
    /// Every profile's poll ended within the wait.
    pub polled: bool,
    pub new_items: i64,
}

#[utoipa::path(
    post, path = "/api/inbox/poll", operation_id = "poll_inbox", tag = "inbox",
    responses((status = 200, description = "Every profile with an inbox polled now", body = PollAnswer))
)]
pub async fn poll(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let p = state.posting.inbox_poll(&caller).await?;
    Ok(HttpResponse::Ok().json(PollAnswer { polled: p.polled, new_items: p.new_items }))
}

fn inbound_provider(raw: &str) -> ApiResult<domain::Provider> {
    raw.parse::<domain::Provider>()
        .ok()
        .filter(|p| providers::inbound::takes_webhooks(*p))
        .ok_or(ApiError::NotFound(Missing::Endpoint))
}

#[derive(Debug, Deserialize)]
pub struct Challenge {
    crc_token: Option<String>,
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// The platforms' subscription checks: X's CRC (`crc_token` answered with its HMAC), Meta's
/// verify-token challenge (echoed only for the configured token).
pub async fn inbound_check(
    state: web::Data<AppState>,
    provider: web::Path<String>,
    q: web::Query<Challenge>,
) -> ApiResult<HttpResponse> {
    let provider = inbound_provider(&provider)?;
    let app = state.config.providers.oauth(provider);
    match provider {
        domain::Provider::X => {
            let token = q.crc_token.as_deref().ok_or_else(|| ApiError::field("crc_token", "is required"))?;
            let answer = providers::inbound::x_crc(&app.client_secret, token).map_err(ApiError::Internal)?;
            Ok(HttpResponse::Ok().json(serde_json::json!({"response_token": answer})))
        }
        _ => {
            if q.mode.as_deref() != Some("subscribe") {
                return Err(ApiError::field("hub.mode", "must be subscribe"));
            }
            let given = q.verify_token.as_deref().unwrap_or("");
            if !bool::from(subtle::ConstantTimeEq::ct_eq(given.as_bytes(), app.webhook_verify_token.as_bytes())) {
                return Err(ApiError::Forbidden("hub.verify_token does not match".into()));
            }
            let challenge = q.challenge.clone().ok_or_else(|| ApiError::field("hub.challenge", "is required"))?;
            Ok(HttpResponse::Ok().content_type("text/plain").body(challenge))
        }
    }
}

/// A platform's delivery: its signature checked over the exact bytes before anything
/// is read; then every item is stored once for each connected profile of the account.
pub async fn inbound(
    state: web::Data<AppState>,
    req: HttpRequest,
    provider: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let provider = inbound_provider(&provider)?;
    let (received, new) = receive(&state, &req, provider, &body).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"received": received, "new_items": new})))
}

/// Which platform delivered, from its signature header and body (the agency surface's one
/// receiver takes every platform's deliveries).
pub fn provider_of_delivery(req: &HttpRequest, body: &[u8]) -> Option<domain::Provider> {
    if req.headers().contains_key("x-twitter-webhooks-signature") {
        return Some(domain::Provider::X);
    }
    let json: Value = serde_json::from_slice(body).ok()?;
    match json["object"].as_str()? {
        "page" => Some(domain::Provider::Facebook),
        "instagram" => Some(domain::Provider::Instagram),
        _ => None,
    }
}

/// Verifies and stores one delivery: (items in it, how many were new).
pub async fn receive(
    state: &AppState,
    req: &HttpRequest,
    provider: domain::Provider,
    body: &[u8],
) -> ApiResult<(usize, usize)> {
    let app = state.config.providers.oauth(provider);
    let header = match provider {
        domain::Provider::X => "x-twitter-webhooks-signature",
        _ => "x-hub-signature-256",
    };
    let signature = req.headers().get(header).and_then(|v| v.to_str().ok());
    if let Err(why) = providers::inbound::verify(provider, &app.client_secret, body, signature) {
        metrics::counter!("postmantis_inbound_refused_total", "provider" => provider.as_str()).increment(1);
        return Err(ApiError::Forbidden(why));
    }
    let json: Value = serde_json::from_slice(body).map_err(|e| ApiError::field("", format!("not JSON: {e}")))?;
    let found = providers::inbound::items(provider, &json).map_err(|why| ApiError::field("", why))?;
    let new = state.posting.inbound(provider, &found).await?;
    metrics::counter!("postmantis_inbox_items_total", "provider" => provider.as_str(), "source" => "webhook")
        .increment(new as u64);
    Ok((found.len(), new))
}
