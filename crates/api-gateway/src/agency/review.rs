//! Seed 002's approval routes over the same review steps as the native
//! `POST /api/posts/{id}/review`: `submit`, `qa-approve`, `qa-reject`, `client-approve`,
//! `client-reject`, `regenerate`, the legacy `approve {action}`, comments, and the queue
//! of posts waiting for review.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use domain::ReviewAction;
use serde_json::{Value, json};

use super::{
    auth::Org,
    envelope::{AgencyError, AgencyResult, Body, ok},
    names,
    posts::{post_id, refused},
    query,
};
use crate::app::AppState;

async fn step(
    state: &AppState,
    org: &Org,
    id: &str,
    action: ReviewAction,
    reason: Option<String>,
) -> AgencyResult<HttpResponse> {
    let id = post_id(id)?;
    state.posting.review(&org.caller, id, action, reason).await.map_err(refused)?;
    let v = state.posting.get(&org.caller, id).await?;
    Ok(ok(StatusCode::OK, json!({"id": id, "status": names::post_status(&v)})))
}

fn reason(body: &Option<Body>) -> Option<String> {
    body.as_ref().and_then(|b| b.get("reason")).and_then(Value::as_str).map(str::to_owned)
}

macro_rules! route {
    ($name:ident, $action:expr) => {
        pub async fn $name(
            state: web::Data<AppState>,
            org: Org,
            id: web::Path<String>,
            body: Option<Body>,
        ) -> AgencyResult<HttpResponse> {
            if let Some(b) = &body {
                org.check_body(b)?;
            }
            step(&state, &org, &id, $action, reason(&body)).await
        }
    };
}

route!(submit, ReviewAction::Submit);
route!(qa_approve, ReviewAction::QaApprove);
route!(qa_reject, ReviewAction::QaReject);
route!(client_approve, ReviewAction::ClientApprove);
route!(client_reject, ReviewAction::ClientReject);
route!(regenerate, ReviewAction::Regenerate);

/// The legacy single stage: `{action: approve | reject}`.
pub async fn approve(
    state: web::Data<AppState>,
    org: Org,
    id: web::Path<String>,
    body: Body,
) -> AgencyResult<HttpResponse> {
    org.check_body(&body)?;
    let action = match body.get("action").and_then(Value::as_str) {
        Some("approve") => ReviewAction::Approve,
        Some("reject") => ReviewAction::Reject,
        _ => return Err(AgencyError::bad_request("Validation error: action must be approve or reject")),
    };
    step(&state, &org, &id, action, None).await
}

/// A comment in the seed's shape (the anchor as given, with `stale` once its text left
/// the post).
fn comment_json(c: &store::review::Comment) -> Value {
    let role = if c.author.starts_with("review link") {
        "client"
    } else if c.author.starts_with("key") {
        "agent"
    } else {
        "member"
    };
    json!({"id": c.id, "text": c.text, "kind": c.kind, "userId": c.author, "userName": c.author, "userRole": role,
           "createdAt": c.created_at, "agentPickedUp": c.picked_up_at.is_some(), "agentPickedUpAt": c.picked_up_at,
           "anchor": c.anchor, "stale": c.stale, "version": c.version})
}

pub async fn comments(state: web::Data<AppState>, org: Org, id: web::Path<String>) -> AgencyResult<HttpResponse> {
    let id = post_id(&id)?;
    let list = state.posting.comments(&org.caller, id).await?;
    Ok(ok(StatusCode::OK, list.iter().map(comment_json).collect::<Vec<_>>()))
}

fn comment_id(raw: &str) -> AgencyResult<uuid::Uuid> {
    uuid::Uuid::parse_str(raw).map_err(|_| AgencyError::not_found("Comment not found"))
}

fn comment_refused(e: posting::PostingError) -> AgencyError {
    match e {
        posting::PostingError::CommentNotFound => AgencyError::not_found("Comment not found"),
        other => refused(other),
    }
}

/// `PATCH /posts/{id}/comments/{commentId}`: picked up by an agent; no body needed.
pub async fn pick_up_comment(
    state: web::Data<AppState>,
    org: Org,
    path: web::Path<(String, String)>,
) -> AgencyResult<HttpResponse> {
    let id = post_id(&path.0)?;
    let c = state.posting.pick_up_comment(&org.caller, id, comment_id(&path.1)?).await.map_err(comment_refused)?;
    Ok(ok(StatusCode::OK, comment_json(&c)))
}

pub async fn delete_comment(
    state: web::Data<AppState>,
    org: Org,
    path: web::Path<(String, String)>,
) -> AgencyResult<HttpResponse> {
    let id = post_id(&path.0)?;
    let comment = comment_id(&path.1)?;
    state.posting.delete_comment(&org.caller, id, comment).await.map_err(comment_refused)?;
    Ok(ok(StatusCode::OK, json!({"id": comment, "deleted": true})))
}

/// The client portal's publish-now: an approved post goes out now.
pub async fn publish_now(
    state: web::Data<AppState>,
    org: Org,
    id: web::Path<String>,
    body: Option<Body>,
) -> AgencyResult<HttpResponse> {
    if let Some(b) = &body {
        org.check_body(b)?;
    }
    release(&state, &org, &id, None).await
}

/// The client portal's reschedule: `{scheduledAt}` for an approved, unpublished post.
pub async fn reschedule(
    state: web::Data<AppState>,
    org: Org,
    id: web::Path<String>,
    body: Body,
) -> AgencyResult<HttpResponse> {
    org.check_body(&body)?;
    let at = super::posts::when(&body)?
        .flatten()
        .ok_or_else(|| AgencyError::bad_request("Validation error: scheduledAt is required"))?;
    release(&state, &org, &id, Some(at)).await
}

/// An approved post out now or at `at`; the answer is its new status and time.
async fn release(
    state: &AppState,
    org: &Org,
    id: &str,
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> AgencyResult<HttpResponse> {
    let id = post_id(id)?;
    state.posting.release(&org.caller, id, at).await.map_err(refused)?;
    let v = state.posting.get(&org.caller, id).await?;
    Ok(ok(StatusCode::OK, json!({"id": id, "status": names::post_status(&v), "scheduledAt": v.post.scheduled_at})))
}

pub async fn add_comment(
    state: web::Data<AppState>,
    org: Org,
    id: web::Path<String>,
    body: Body,
) -> AgencyResult<HttpResponse> {
    org.check_body(&body)?;
    let id = post_id(&id)?;
    let text = body.get("text").and_then(Value::as_str).unwrap_or("");
    // The seed clamps an anchor's strings rather than refusing them.
    let anchor = body.get("anchor").filter(|a| !a.is_null()).map(|a| {
        let mut a = a.clone();
        for (key, most) in [("text", 400), ("mediaUrl", 1000)] {
            if let Some(s) = a.get(key).and_then(Value::as_str) {
                let clamped: String = s.chars().take(most).collect();
                a[key] = Value::String(clamped);
            }
        }
        a
    });
    let c = state.posting.comment_on(&org.caller, id, text, anchor.as_ref()).await.map_err(refused)?;
    Ok(ok(StatusCode::CREATED, comment_json(&c)))
}

/// `GET /posts/pending`: posts waiting for a reviewer (pending approval, QA or client
/// review), oldest first; `limit` default 5, at most 100.
pub async fn pending(state: web::Data<AppState>, org: Org, req: HttpRequest) -> AgencyResult<HttpResponse> {
    let q = query::Query::parse(&req)?;
    let limit = match q.one("limit") {
        None => 5,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| AgencyError::bad_request("Validation error: limit must be an integer from 1 to 100"))?,
    };
    let filter = store::posts::PostFilter { status: Some(domain::PostStatus::Draft), ..Default::default() };
    let posting::Page { posts, .. } = state.posting.list(&org.caller, &filter, 1000, 0).await?;
    let mut waiting: Vec<_> = posts
        .iter()
        .filter(|v| matches!(names::post_status(v), "pending_approval" | "qa_review" | "client_review"))
        .collect();
    waiting.sort_by_key(|v| v.post.updated_at);
    let mut conn = state.pool.get().await?;
    let org_name = store::workspaces::name(&mut conn, org.org).await?.unwrap_or_default();
    let shown: Vec<Value> = waiting
        .iter()
        .take(limit)
        .map(|v| {
            let text: String = v.post.body.clone().unwrap_or_default().chars().take(120).collect();
            json!({"id": v.post.id, "content": text, "platform": v.deliveries.first().map(|(d, _)| names::platform_name(d.provider)),
                   "orgId": org.org, "orgName": org_name, "scheduledAt": v.post.scheduled_at, "status": names::post_status(v)})
        })
        .collect();
    Ok(ok(StatusCode::OK, shown))
}

/// `GET /vault`: approved content regardless of publishing, in the seed's shape; every
/// match, newest approval first.
pub async fn vault(state: web::Data<AppState>, org: Org, req: HttpRequest) -> AgencyResult<HttpResponse> {
    let q = query::Query::parse(&req)?;
    let provider = q.one("platform").map(names::platform).transpose()?;
    let posts = state.posting.vault(&org.caller, provider, q.one("label"), q.date("from")?, q.date("to")?).await?;
    let mut conn = state.pool.get().await?;
    let mode = store::review::settings(&mut conn, org.org).await?.delivery_mode;
    if let Some(want) = q.one("deliveryMode")
        && want != mode
    {
        return Ok(ok(StatusCode::OK, Vec::<Value>::new()));
    }
    let shown: Vec<Value> = posts
        .iter()
        .map(|v| {
            let mut b = crate::routes::vault::bundle(v, &state.config.public_url, names::platform_name);
            json!({"id": v.post.id, "content": b["content"].take(), "platforms": b["platforms"].take(), "hashtags": v.post.hashtags,
                   "deliveryMode": mode, "approvedAt": v.post.approved_at, "scheduledAt": v.post.scheduled_at,
                   "publishedAt": v.deliveries.iter().filter_map(|(d, _)| d.published_at).max(), "status": names::post_status(v),
                   "media": b["media"].take(), "labels": v.post.labels})
        })
        .collect();
    Ok(ok(StatusCode::OK, shown))
}

/// `GET /posts/{id}/download`: the bare bundle as an attachment (no envelope).
pub async fn download(state: web::Data<AppState>, org: Org, id: web::Path<String>) -> AgencyResult<HttpResponse> {
    let id = post_id(&id)?;
    let v = state.posting.get(&org.caller, id).await.map_err(refused)?;
    Ok(crate::routes::vault::attachment(
        id,
        &crate::routes::vault::bundle(&v, &state.config.public_url, names::platform_name),
    ))
}
