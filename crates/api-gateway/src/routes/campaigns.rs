//! Campaigns over HTTP: create, list, read (with its posts and their statuses), edit, and
//! schedule by calendar or cadence. (`/api/v1/campaigns` is seed 002's shape: the agency
//! surface answers there.)

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use domain::planning;
use serde_json::{Value, json};
use store::campaigns::Fields;

use crate::{
    agency::limits::Budget,
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult, Missing},
    routes::{
        assistant::Fields as BodyFields,
        request::{QueryPairs, path_id, small_json},
    },
    views::{Envelope, NoMeta, Page},
};

fn campaign_id(raw: &str) -> ApiResult<uuid::Uuid> {
    path_id(raw, || ApiError::NotFound(Missing::Campaign))
}

/// The campaign's fields from a JSON body (`name`, `status`, `client_type`, `calendar`).
pub fn fields_of(body: &Value, names: [&str; 4]) -> ApiResult<Fields> {
    let mut f = BodyFields::of(body, &names)?;
    let name = f.text(names[0], 200, false);
    let status = f.text(names[1], 20, false);
    let client_type = match f.raw(names[2]) {
        None => None,
        Some(Value::Null) => Some(None),
        Some(_) => Some(f.text(names[2], 100, false)),
    };
    let calendar = f.raw(names[3]).cloned();
    f.done()?;
    Ok(Fields { name, status, client_type, calendar })
}

#[utoipa::path(
    get, path = "/api/campaigns", operation_id = "list_campaigns", tag = "campaigns",
    params(("status" = Option<String>, Query, description = "draft, active or archived")),
    responses((status = 200, description = "Newest first", body = Page<Object, NoMeta>))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller, req: HttpRequest) -> ApiResult<HttpResponse> {
    let q = QueryPairs::parse(&req)?;
    q.check_known(&["status"])?;
    let data = state.posting.campaigns(&caller, q.one("status")).await?;
    Ok(HttpResponse::Ok().json(Page { data, meta: NoMeta {} }))
}

#[utoipa::path(
    post, path = "/api/campaigns", operation_id = "create_campaign", tag = "campaigns",
    request_body(content = crate::openapi::CampaignBody),
    responses((status = 201, description = "The campaign", body = Envelope<Object>), (status = 400, description = "A field is wrong (named)", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = small_json(&req, payload).await?;
    let f = fields_of(&body, ["name", "status", "client_type", "calendar"])?;
    let c = state.posting.create_campaign(&caller, f).await?;
    Ok(HttpResponse::Created().json(Envelope::of(c)))
}

/// A campaign's post as listed with it.
pub fn post_summary(v: &store::posts::PostView) -> Value {
    let p = &v.post;
    json!({
        "id": p.id,
        "status": p.status.as_str(),
        "review": p.review.map(|r| r.as_str()),
        "outcome": v.outcome().as_str(),
        "scheduled_at": p.scheduled_at,
        "platforms": v.deliveries.iter().map(|(d, _)| d.provider.as_str()).collect::<Vec<_>>(),
        "body": p.body,
    })
}

#[utoipa::path(
    delete, path = "/api/campaigns/{id}", operation_id = "delete_campaign", tag = "campaigns",
    params(("id" = Uuid, Path, description = "Campaign id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such campaign", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "It holds posts: archive it instead", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    state.posting.delete_campaign(&caller, campaign_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get, path = "/api/campaigns/{id}", operation_id = "get_campaign", tag = "campaigns",
    params(("id" = Uuid, Path, description = "Campaign id")),
    responses((status = 200, description = "The campaign with its posts (oldest first) and their statuses", body = Envelope<Object>), (status = 404, description = "No such campaign", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = campaign_id(&id)?;
    let c = state.posting.campaign(&caller, id).await?;
    let posts = state.posting.campaign_posts(&caller, id).await?;
    let mut v = serde_json::to_value(&c).map_err(|e| ApiError::Internal(e.to_string()))?;
    v["posts"] = Value::Array(posts.iter().map(post_summary).collect());
    Ok(HttpResponse::Ok().json(Envelope::of(v)))
}

#[utoipa::path(
    patch, path = "/api/campaigns/{id}", operation_id = "update_campaign", tag = "campaigns",
    params(("id" = Uuid, Path, description = "Campaign id")),
    request_body(content = crate::openapi::CampaignBody),
    responses((status = 200, description = "The campaign", body = Envelope<Object>), (status = 404, description = "No such campaign", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let id = campaign_id(&id)?;
    let body = small_json(&req, payload).await?;
    let f = fields_of(&body, ["name", "status", "client_type", "calendar"])?;
    Ok(HttpResponse::Ok().json(Envelope::of(state.posting.update_campaign(&caller, id, f).await?)))
}

/// Names of a schedule request's fields, native or the seed's.
pub struct ScheduleNames {
    pub start: &'static str,
    pub mode: &'static str,
    pub cadence: &'static str,
    pub per_day: &'static str,
    pub hours: &'static str,
    pub days: &'static str,
    pub platforms: &'static str,
    pub include_pending: &'static str,
    pub timezone: &'static str,
    pub dry_run: &'static str,
}

pub const NATIVE: ScheduleNames = ScheduleNames {
    start: "start_date",
    mode: "mode",
    cadence: "cadence",
    per_day: "posts_per_day",
    hours: "hours",
    days: "days_of_week",
    platforms: "platforms",
    include_pending: "include_pending",
    timezone: "timezone",
    dry_run: "dry_run",
};

/// A schedule request from a JSON body, every problem named.
pub fn schedule_request(
    body: &Value,
    n: &ScheduleNames,
    extra: &[&str],
) -> ApiResult<posting::campaigns::ScheduleRequest> {
    use domain::input::FieldError;
    let mut known = vec![n.start, n.mode, n.cadence, n.platforms, n.include_pending, n.timezone, n.dry_run];
    known.extend_from_slice(extra);
    let mut f = BodyFields::of(body, &known)?;
    let mut errors: Vec<FieldError> = Vec::new();
    let start = f.text(n.start, 64, false).and_then(|s| match DateTime::parse_from_rfc3339(&s) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(_) => {
            errors.push(FieldError::new(n.start, "an RFC 3339 date-time with its offset"));
            None
        }
    });
    let mode = match f.text(n.mode, 20, false) {
        None => posting::campaigns::Mode::Auto,
        Some(m) => posting::campaigns::Mode::parse(&m).unwrap_or_else(|| {
            errors.push(FieldError::new(n.mode, "one of auto, calendar, cadence"));
            posting::campaigns::Mode::Auto
        }),
    };
    let mut cadence = planning::Cadence::default();
    match f.raw(n.cadence) {
        None | Some(Value::Null) => {}
        Some(Value::Object(c)) => {
            let field = |k: &str| format!("{}.{k}", n.cadence);
            if let Some(k) = c.keys().find(|k| ![n.per_day, n.hours, n.days].contains(&k.as_str())) {
                errors.push(FieldError::new(field(k), "unknown field"));
            }
            if let Some(v) = c.get(n.per_day) {
                match v.as_u64() {
                    Some(p) => cadence.posts_per_day = usize::try_from(p).unwrap_or(usize::MAX),
                    None => errors.push(FieldError::new(field(n.per_day), "a whole number")),
                }
            }
            if let Some(v) = c.get(n.hours) {
                match v.as_array() {
                    Some(hs) => {
                        cadence.hours.clear();
                        for (i, h) in hs.iter().enumerate() {
                            match h.as_str().map(|s| planning::parse_hour(s, &format!("{}[{i}]", field(n.hours)))) {
                                Some(Ok(t)) => cadence.hours.push(t),
                                Some(Err(e)) => errors.push(e),
                                None => errors.push(FieldError::new(format!("{}[{i}]", field(n.hours)), "HH:MM")),
                            }
                        }
                    }
                    None => errors.push(FieldError::new(field(n.hours), "a list of times of day as HH:MM")),
                }
            }
            if let Some(v) = c.get(n.days) {
                match v.as_array().map(|ds| {
                    ds.iter().map(|d| d.as_u64().and_then(|d| u32::try_from(d).ok())).collect::<Option<Vec<u32>>>()
                }) {
                    Some(Some(ds)) => cadence.days = ds,
                    _ => errors.push(FieldError::new(field(n.days), "a list of days 0 (Sunday) to 6 (Saturday)")),
                }
            }
            if let Err(e) = cadence.check(n.cadence) {
                // The check names fields the seed's way; rename to this surface's.
                let renamed = e
                    .field
                    .replace(".postsPerDay", &format!(".{}", n.per_day))
                    .replace(".hours", &format!(".{}", n.hours))
                    .replace(".daysOfWeek", &format!(".{}", n.days));
                errors.push(FieldError::new(renamed, e.message));
            }
        }
        Some(_) => errors.push(FieldError::new(n.cadence, "an object {postsPerDay, hours, daysOfWeek}")),
    }
    let platforms = match f.raw(n.platforms) {
        None | Some(Value::Null) => None,
        Some(Value::Array(ps)) => {
            let mut out = Vec::new();
            for (i, p) in ps.iter().enumerate() {
                match p.as_str().and_then(crate::routes::bulk::provider_named) {
                    Some(p) => out.push(p),
                    None => errors.push(FieldError::new(format!("{}[{i}]", n.platforms), "a platform id")),
                }
            }
            Some(out)
        }
        Some(_) => {
            errors.push(FieldError::new(n.platforms, "a list of platforms"));
            None
        }
    };
    let include_pending = f.flag(n.include_pending, false);
    let dry_run = f.flag(n.dry_run, false);
    let timezone = f.text(n.timezone, 64, false).and_then(|z| match planning::zone(&z, n.timezone) {
        Ok(tz) => Some(tz),
        Err(e) => {
            errors.push(e);
            None
        }
    });
    let done = f.done();
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    done?;
    Ok(posting::campaigns::ScheduleRequest { start, mode, cadence, platforms, include_pending, timezone, dry_run })
}

#[utoipa::path(
    post, path = "/api/campaigns/{id}/schedule", operation_id = "schedule_campaign", tag = "campaigns",
    params(("id" = Uuid, Path, description = "Campaign id")),
    request_body(content = crate::openapi::ScheduleBody),
    responses((status = 200, description = "The schedule: scheduled (post, platforms, time), skipped (post, reason), eligible, start_date, end_date, mode, timezone, dry_run", body = Envelope<Object>), (status = 409, description = "A post changed meanwhile: nothing was scheduled", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn schedule(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let id = campaign_id(&id)?;
    state.agency_limiter.spend(caller.actor.id(), Budget::Bulk)?;
    let body = small_json(&req, payload).await?;
    let request = schedule_request(&body, &NATIVE, &[])?;
    Ok(HttpResponse::Ok().json(Envelope::of(state.posting.schedule_campaign(&caller, id, request).await?)))
}
