//! Seed 002's campaigns at `/api/v1/campaigns` (outside `/social`, as the seed has them):
//! list, create, read, edit, and `/{id}/schedule` — camelCase both ways, over the same
//! campaigns and planner as the native `/api/campaigns`.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use serde_json::{Map, Value, json};

use super::{
    auth::Org,
    envelope::{AgencyError, AgencyResult, Body, ok},
    names, query,
};
use crate::{app::AppState, routes::campaigns as native};

const SEED: native::ScheduleNames = native::ScheduleNames {
    start: "startDate",
    mode: "mode",
    cadence: "cadence",
    per_day: "postsPerDay",
    hours: "hours",
    days: "daysOfWeek",
    platforms: "platforms",
    include_pending: "includePending",
    timezone: "timezone",
    dry_run: "dryRun",
};

fn campaign_id(raw: &str) -> AgencyResult<uuid::Uuid> {
    uuid::Uuid::parse_str(raw).map_err(|_| AgencyError::not_found("Campaign not found"))
}

/// Calendar keys between the seed's camelCase and the stored snake_case.
fn rekey(calendar: &Value, from: &str, to: &str) -> Value {
    match calendar {
        Value::Array(days) => Value::Array(
            days.iter()
                .map(|d| match d {
                    Value::Object(o) => Value::Object(
                        o.iter()
                            .map(|(k, v)| (if k == from { to.to_owned() } else { k.clone() }, v.clone()))
                            .collect::<Map<_, _>>(),
                    ),
                    other => other.clone(),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn shown(c: &store::campaigns::Campaign) -> Value {
    json!({
        "id": c.id,
        "orgId": c.workspace_id,
        "name": c.name,
        "status": c.status,
        "clientType": c.client_type,
        "calendar": rekey(&c.calendar, "pillar_id", "pillarId"),
        "shareToken": null,
        "createdAt": c.created_at,
        "updatedAt": c.updated_at,
    })
}

fn fields(org: &Org, body: &Body) -> AgencyResult<store::campaigns::Fields> {
    org.check_body(body)?;
    let mut b = body.0.clone();
    if let Some(o) = b.as_object_mut() {
        o.remove("orgId");
        if let Some(cal) = o.get("calendar").cloned() {
            o.insert("calendar".into(), rekey(&cal, "pillarId", "pillar_id"));
        }
    }
    Ok(native::fields_of(&b, ["name", "status", "clientType", "calendar"])?)
}

pub async fn list(state: web::Data<AppState>, org: Org, req: HttpRequest) -> AgencyResult<HttpResponse> {
    let q = query::Query::parse(&req)?;
    let all = state.posting.campaigns(&org.caller, q.one("status")).await?;
    Ok(ok(StatusCode::OK, all.iter().map(shown).collect::<Vec<_>>()))
}

pub async fn create(state: web::Data<AppState>, org: Org, body: Body) -> AgencyResult<HttpResponse> {
    let f = fields(&org, &body)?;
    let c = state.posting.create_campaign(&org.caller, f).await?;
    Ok(ok(StatusCode::CREATED, shown(&c)))
}

pub async fn get(state: web::Data<AppState>, org: Org, id: web::Path<String>) -> AgencyResult<HttpResponse> {
    let id = campaign_id(&id)?;
    let c = state.posting.campaign(&org.caller, id).await.map_err(not_found)?;
    let posts = state.posting.campaign_posts(&org.caller, id).await?;
    let mut v = shown(&c);
    v["posts"] = Value::Array(
        posts
            .iter()
            .map(|p| json!({"id": p.post.id, "status": names::post_status(p), "scheduledFor": p.post.scheduled_at}))
            .collect(),
    );
    Ok(ok(StatusCode::OK, v))
}

pub async fn update(
    state: web::Data<AppState>,
    org: Org,
    id: web::Path<String>,
    body: Body,
) -> AgencyResult<HttpResponse> {
    let id = campaign_id(&id)?;
    let f = fields(&org, &body)?;
    let c = state.posting.update_campaign(&org.caller, id, f).await.map_err(not_found)?;
    Ok(ok(StatusCode::OK, shown(&c)))
}

fn not_found(e: posting::PostingError) -> AgencyError {
    match e {
        posting::PostingError::CampaignNotFound => AgencyError::not_found("Campaign not found"),
        other => other.into(),
    }
}

/// `POST /campaigns/{id}/schedule`, the seed's request and answer.
pub async fn schedule(
    state: web::Data<AppState>,
    org: Org,
    id: web::Path<String>,
    body: Option<Body>,
) -> AgencyResult<HttpResponse> {
    let id = campaign_id(&id)?;
    let body = body.map_or_else(|| json!({}), |b| b.0.clone());
    org.check_body(&body)?;
    let request = native::schedule_request(&body, &SEED, &["orgId"])?;
    let plan = state.posting.schedule_campaign(&org.caller, id, request).await.map_err(not_found)?;
    let status = if plan.dry_run { "planned" } else { "scheduled" };
    let scheduled: Vec<Value> = plan
        .scheduled
        .iter()
        .flat_map(|p| {
            p.platforms.iter().map(move |pl| {
                json!({"postId": p.post_id, "platform": names::platform_name(*pl), "scheduledFor": p.scheduled_for, "status": status, "approved": p.approved_now})
            })
        })
        .collect();
    Ok(ok(
        StatusCode::OK,
        json!({
            "scheduled": scheduled,
            "skipped": plan.skipped.iter().map(|s| json!({"postId": s.post_id, "reason": s.reason})).collect::<Vec<_>>(),
            "totals": {"scheduled": plan.scheduled.len(), "skipped": plan.skipped.len(), "eligible": plan.eligible},
            "startDate": plan.start_date,
            "endDate": plan.end_date,
            "mode": plan.mode,
            "timezone": plan.timezone,
            "dryRun": plan.dry_run,
        }),
    ))
}
