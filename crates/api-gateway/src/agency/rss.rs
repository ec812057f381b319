//! Seed 002's RSS feeds: `/rss/feeds` (list, create) and `/rss/feeds/{id}` (read, PATCH,
//! DELETE, POST `{action: check|pause|resume}`, no action = check), camelCase both ways,
//! over the same feeds as the native `/api/feeds`. `targetPlatforms` with
//! `targetAccountIds` pick profiles as a post's `platforms` and `accountIds` do;
//! `autoSchedule: false` makes drafts, `schedulingStrategy` `queue` (the target profile's
//! first posting queue) or `optimal` (the best time).

use actix_web::{HttpResponse, http::StatusCode, web};
use domain::input::FieldError;
use domain::{ProfileId, Provider};
use posting::feeds::{FeedAction, FeedView};
use serde_json::{Map, Value, json};

use super::{
    auth::Org,
    envelope::{AgencyError, AgencyResult, Body, ok},
    names,
};
use crate::app::AppState;

const KNOWN: [&str; 11] = [
    "orgId",
    "name",
    "feedUrl",
    "targetPlatforms",
    "targetAccountIds",
    "postTemplate",
    "includeImage",
    "autoSchedule",
    "schedulingStrategy",
    "checkIntervalMinutes",
    "backlog",
];

/// The seed's name for a native field.
fn seed_field(native: &str) -> String {
    let map = [
        ("feed_url", "feedUrl"),
        ("profiles", "targetAccountIds"),
        ("template", "postTemplate"),
        ("include_image", "includeImage"),
        ("check_interval_minutes", "checkIntervalMinutes"),
        ("becomes", "schedulingStrategy"),
        ("queue", "schedulingStrategy"),
    ];
    map.iter()
        .find_map(|(n, s)| native.strip_prefix(n).map(|rest| format!("{s}{rest}")))
        .unwrap_or_else(|| native.to_owned())
}

fn invalid(errors: &[FieldError]) -> AgencyError {
    let all: Vec<String> = errors.iter().map(|e| format!("{}: {}", seed_field(&e.field), e.message)).collect();
    AgencyError::bad_request(format!("Validation error: {}", all.join("; ")))
}

fn feed_id(raw: &str) -> AgencyResult<uuid::Uuid> {
    uuid::Uuid::parse_str(raw).map_err(|_| AgencyError::not_found("Feed not found"))
}

fn shown(f: &FeedView, org: &Org) -> Value {
    let platforms: Vec<&str> =
        f.providers.iter().filter_map(|p| p.parse::<Provider>().ok()).map(names::platform_name).collect();
    let (auto, strategy) = match f.becomes.as_str() {
        "queue" => (true, "queue"),
        "best_time" => (true, "optimal"),
        _ => (false, "queue"),
    };
    let mut v = json!({
        "id": f.id,
        "orgId": org.caller.scope.workspace_id,
        "name": f.name,
        "feedUrl": f.feed_url,
        "targetPlatforms": platforms,
        "targetAccountIds": f.profiles,
        "postTemplate": f.template,
        "includeImage": f.include_image,
        "autoSchedule": auto,
        "schedulingStrategy": strategy,
        "becomes": f.becomes,
        "checkIntervalMinutes": f.check_interval_minutes,
        "status": f.status,
        "active": f.status == "active",
        "pausedReason": f.paused_reason,
        "errorCount": f.error_count,
        "lastError": f.last_error,
        "lastCheckedAt": f.last_checked_at,
        "nextCheckAt": f.next_check_at,
        "itemsPosted": f.items_posted,
        "itemsSkipped": f.items_skipped,
        "createdAt": f.created_at,
    });
    if let Some(items) = &f.items {
        v["items"] = Value::Array(
            items
                .iter()
                .map(|i| json!({"title": i.title, "link": i.link, "publishedAt": i.published_at, "seenAt": i.seen_at, "fate": i.fate, "reason": i.reason, "postId": i.post_id}))
                .collect(),
        );
    }
    v
}

/// The native feed body of a seed body: names translated, targets resolved to profiles.
async fn native(state: &AppState, org: &Org, body: &Body, creating: bool) -> AgencyResult<Value> {
    org.check_body(body)?;
    let Some(o) = body.0.as_object() else { return Err(AgencyError::bad_request("Validation error: a JSON object")) };
    if let Some(k) = o.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(AgencyError::bad_request(format!(
            "Validation error: {k} is not a feed field (known: {})",
            KNOWN[1..].join(", ")
        )));
    }
    let mut n = Map::new();
    for (seed, native) in [
        ("name", "name"),
        ("feedUrl", "feed_url"),
        ("postTemplate", "template"),
        ("includeImage", "include_image"),
        ("checkIntervalMinutes", "check_interval_minutes"),
        ("backlog", "backlog"),
    ] {
        if let Some(v) = o.get(seed) {
            n.insert(native.into(), v.clone());
        }
    }
    let platforms = match o.get("targetPlatforms") {
        None => None,
        Some(Value::Array(names)) => {
            let mut ps = Vec::new();
            for (i, name) in names.iter().enumerate() {
                let p = name.as_str().map(names::platform).transpose().ok().flatten().ok_or_else(|| {
                    AgencyError::bad_request(format!("Validation error: targetPlatforms[{i}]: not a platform"))
                })?;
                ps.push(p);
            }
            Some(ps)
        }
        Some(_) => return Err(AgencyError::bad_request("Validation error: targetPlatforms: a list of platforms")),
    };
    let ids = match o.get("targetAccountIds") {
        None => None,
        Some(Value::Array(ids)) => {
            let mut out = Vec::new();
            for (i, id) in ids.iter().enumerate() {
                let id = id.as_str().and_then(|s| uuid::Uuid::parse_str(s).ok()).ok_or_else(|| {
                    AgencyError::bad_request(format!("Validation error: targetAccountIds[{i}]: an account id"))
                })?;
                out.push(ProfileId::from(id));
            }
            Some(out)
        }
        Some(_) => return Err(AgencyError::bad_request("Validation error: targetAccountIds: a list of account ids")),
    };
    if creating && platforms.as_ref().is_none_or(Vec::is_empty) && ids.as_ref().is_none_or(Vec::is_empty) {
        return Err(AgencyError::bad_request("Validation error: targetPlatforms: is required"));
    }
    if platforms.is_some() || ids.is_some() {
        let chosen = state
            .posting
            .profiles_for(&org.caller, platforms.as_deref().unwrap_or_default(), ids.as_deref().unwrap_or_default())
            .await
            .map_err(|e| match e {
                posting::PostingError::Validation(errors) => invalid(&errors),
                other => other.into(),
            })?;
        n.insert("profiles".into(), json!(chosen));
    }
    let auto = o.get("autoSchedule").and_then(Value::as_bool);
    let strategy = o.get("schedulingStrategy").and_then(Value::as_str);
    let becomes = posting::feeds::becomes_from_seed(auto, strategy).map_err(|e| invalid(&[e]))?;
    if let Some(b) = becomes {
        n.insert("becomes".into(), json!(b.as_str()));
        if b == domain::feeds::Becomes::Queue {
            let targets: Vec<uuid::Uuid> =
                n.get("profiles").and_then(|p| serde_json::from_value(p.clone()).ok()).unwrap_or_default();
            let queue = state.posting.first_queue_of(&org.caller, &targets).await?.ok_or_else(|| {
                AgencyError::bad_request(
                    "Validation error: schedulingStrategy: queue needs a posting queue on a target account; create one, or use optimal",
                )
            })?;
            n.insert("queue".into(), json!(queue));
        }
    }
    Ok(Value::Object(n))
}

pub async fn list(state: web::Data<AppState>, org: Org) -> AgencyResult<HttpResponse> {
    let all = state.posting.feeds(&org.caller).await?;
    Ok(ok(StatusCode::OK, all.iter().map(|f| shown(f, &org)).collect::<Vec<_>>()))
}

pub async fn create(state: web::Data<AppState>, org: Org, body: Body) -> AgencyResult<HttpResponse> {
    let n = native(&state, &org, &body, true).await?;
    let input = domain::feeds::parse(&n, true).map_err(|e| invalid(&e))?;
    let f = state.posting.create_feed(&org.caller, input).await.map_err(mapped)?;
    Ok(ok(StatusCode::CREATED, shown(&f, &org)))
}

pub async fn get(state: web::Data<AppState>, org: Org, id: web::Path<String>) -> AgencyResult<HttpResponse> {
    let f = state.posting.feed(&org.caller, feed_id(&id)?).await.map_err(mapped)?;
    Ok(ok(StatusCode::OK, shown(&f, &org)))
}

pub async fn update(
    state: web::Data<AppState>,
    org: Org,
    id: web::Path<String>,
    body: Body,
) -> AgencyResult<HttpResponse> {
    let id = feed_id(&id)?;
    let n = native(&state, &org, &body, false).await?;
    let input = domain::feeds::parse(&n, false).map_err(|e| invalid(&e))?;
    let f = state.posting.update_feed(&org.caller, id, input).await.map_err(mapped)?;
    Ok(ok(StatusCode::OK, shown(&f, &org)))
}

pub async fn delete(state: web::Data<AppState>, org: Org, id: web::Path<String>) -> AgencyResult<HttpResponse> {
    state.posting.delete_feed(&org.caller, feed_id(&id)?).await.map_err(mapped)?;
    Ok(ok(StatusCode::OK, json!({"deleted": true})))
}

/// `{action: check|pause|resume}`; no body or no action is a check.
pub async fn act(
    state: web::Data<AppState>,
    org: Org,
    id: web::Path<String>,
    body: Option<Body>,
) -> AgencyResult<HttpResponse> {
    let id = feed_id(&id)?;
    let action = match body.as_ref().and_then(|b| b.0.get("action")) {
        None | Some(Value::Null) => FeedAction::Check,
        Some(Value::String(a)) if a == "check" => FeedAction::Check,
        Some(Value::String(a)) if a == "pause" => FeedAction::Pause,
        Some(Value::String(a)) if a == "resume" => FeedAction::Resume,
        Some(_) => {
            return Err(AgencyError::bad_request("Validation error: action: check, pause or resume"));
        }
    };
    let f = state.posting.feed_action(&org.caller, id, action).await.map_err(mapped)?;
    let mut v = shown(&f, &org);
    if action == FeedAction::Check {
        v["checkRequested"] = json!(true);
    }
    Ok(ok(StatusCode::OK, v))
}

fn mapped(e: posting::PostingError) -> AgencyError {
    match e {
        posting::PostingError::FeedNotFound => AgencyError::not_found("Feed not found"),
        posting::PostingError::Validation(errors) => invalid(&errors),
        other => other.into(),
    }
}
