//! Posts in the seed's shape, translated to the application layer's create, patch,
//! publish and (soft) delete. Which profiles a post names, the platforms' limits and every
//! state change are `posting`'s: this file only renames.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use chrono::Utc;
use domain::input::{FieldError, MediaInput, MediaSource, NewPost, PostDetails, PostPatch, normalize_hashtag};
use domain::{Outcome, PostId, ProfileId, Provider};
use serde_json::{Map, Value, json};
use store::posts::{PostFilter, PostView};
use uuid::Uuid;

use super::{
    auth::Org,
    envelope::{AgencyError, AgencyResult, Body, ok},
    names, query,
};
use crate::app::AppState;

const CATEGORIES: &[&str] = &["work", "personal", "ai", "sport", "sa", "other"];
/// A date this far in the past is a mistake, not "now" (clocks differ a little).
const PAST_GRACE_S: i64 = 60;

pub fn view(v: &PostView, public_url: &str) -> Value {
    let p = &v.post;
    let platforms: Vec<&str> = {
        let mut seen: Vec<&str> = Vec::new();
        for (d, _) in &v.deliveries {
            let n = names::platform_name(d.provider);
            if !seen.contains(&n) {
                seen.push(n);
            }
        }
        seen
    };
    let overrides: Map<String, Value> = PostDetails::bodies_from(&p.bodies)
        .into_iter()
        .map(|(prov, text)| (names::platform_name(prov).to_owned(), json!({"text": text})))
        .collect();
    let media: Vec<Value> = v
        .media
        .iter()
        .map(|(m, a)| {
            json!({
                "id": a.id,
                "url": format!("{}/media/{}", public_url.trim_end_matches('/'), a.id),
                "type": a.kind,
                "mimeType": a.content_type,
                "altText": m.alt,
                "order": m.position,
            })
        })
        .collect();
    let deliveries: Vec<Value> = v
        .deliveries
        .iter()
        .map(|(d, name)| {
            json!({
                "id": d.id,
                "accountId": d.profile_id,
                "accountName": name,
                "platform": names::platform_name(d.provider),
                "status": d.status.as_str(),
                "externalId": d.provider_post_id,
                "url": d.url,
                "error": d.error_message,
                "parts": v.parts_of(d.id).iter().map(|x| json!({
                    "part": i32::from(x.part) + 1, "kind": x.kind, "externalId": x.provider_post_id, "url": x.url,
                })).collect::<Vec<_>>(),
                "publishedAt": d.published_at,
            })
        })
        .collect();
    let published_at = v.deliveries.iter().filter_map(|(d, _)| d.published_at).max();
    json!({
        "id": p.id,
        "orgId": p.workspace_id,
        "platform": platforms.first(),
        "platforms": platforms,
        "accountIds": v.deliveries.iter().map(|(d, _)| d.profile_id).collect::<Vec<_>>(),
        "content": {"text": p.body.clone().unwrap_or_default(), "platformOverrides": overrides},
        "media": media,
        "hashtags": p.hashtags,
        "labels": p.labels,
        "tags": p.tags,
        "campaign": p.campaign,
        "campaignId": p.campaign,
        "category": p.category.clone().unwrap_or_else(|| "other".into()),
        "threadParts": thread_view(p),
        "status": names::post_status(v),
        "scheduledAt": p.scheduled_at,
        "scheduledFor": p.scheduled_at,
        "publishedAt": published_at,
        "approvedBy": p.approved_by,
        "approvedAt": p.approved_at,
        "rejectionCount": p.rejection_count,
        "requiresApproval": p.requires_approval,
        "version": p.version,
        "approvedVersion": p.approved_version,
        "source": "api",
        "createdBy": p.created_by,
        "createdAt": p.created_at,
        "updatedAt": p.updated_at,
        "deliveries": deliveries,
    })
}

/// The whole thread as the seed shows it (first part first), or `[]` for a single post.
fn thread_view(p: &store::models::PostRow) -> Vec<String> {
    let rest = domain::input::PostDetails::thread_from(&p.thread);
    if rest.is_empty() {
        return rest;
    }
    std::iter::once(p.body.clone().unwrap_or_default()).chain(rest).collect()
}

pub(super) fn post_id(raw: &str) -> AgencyResult<PostId> {
    Uuid::parse_str(raw).map(PostId::from).map_err(|_| AgencyError::not_found("Post not found"))
}

fn bad(message: impl Into<String>) -> AgencyError {
    AgencyError::bad_request(format!("Validation error: {}", message.into()))
}

/// The application layer's refusals in the seed's terms: 422 for what a platform does not
/// take (too long, wrong media), 400 for the rest, each naming the seed's field.
pub(super) fn refused(e: posting::PostingError) -> AgencyError {
    let posting::PostingError::Validation(errors) = e else {
        return match e {
            posting::PostingError::PostNotFound => AgencyError::not_found("Post not found"),
            other => other.into(),
        };
    };
    let named = |e: &FieldError| format!("{}: {}", names::field(&e.field), e.message);
    let all = errors.iter().map(named).collect::<Vec<_>>().join("; ");
    let is = |e: &FieldError, words: &[&str]| words.iter().any(|w| e.message.contains(w));
    if errors.iter().any(|e| e.field.starts_with("profiles") && e.message.contains("not found or inactive")) {
        return AgencyError::bad_request(format!("account not found or inactive ({all})"));
    }
    if errors.iter().any(|e| e.field.starts_with("post.bod") && is(e, &["takes at most"])) {
        return AgencyError::unprocessable(format!("content exceeds platform character limit ({all})"));
    }
    if errors.iter().any(|e| {
        is(
            e,
            &[
                "takes at most",
                "needs",
                "does not take",
                "takes files up to",
                "takes videos up to",
                "takes a video only",
                "has no threads",
                "takes no first comment",
                "takes threads of at most",
            ],
        )
    }) {
        return AgencyError::unprocessable(format!("Validation error: {all}"));
    }
    AgencyError::bad_request(format!("Validation error: {all}"))
}

fn strings(v: Option<&Value>, field: &str) -> AgencyResult<Option<Vec<String>>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned).ok_or_else(|| bad(format!("{field} must be an array of strings"))))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(bad(format!("{field} must be an array of strings"))),
    }
}

fn hashtags(v: Option<&Value>) -> AgencyResult<Option<Vec<String>>> {
    let Some(raw) = strings(v, "hashtags")? else { return Ok(None) };
    let mut out: Vec<String> = Vec::new();
    for (i, h) in raw.iter().enumerate() {
        let tag =
            normalize_hashtag(h).ok_or_else(|| bad(format!("hashtags[{i}] must be a hashtag such as #launch")))?;
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&tag)) {
            out.push(tag);
        }
    }
    Ok(Some(out))
}

fn category(v: Option<&Value>) -> AgencyResult<Option<Option<String>>> {
    match v {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(c)) if CATEGORIES.contains(&c.as_str()) => Ok(Some(Some(c.clone()))),
        Some(_) => Err(bad(format!("category must be one of {}", CATEGORIES.join(", ")))),
    }
}

/// A post's text and its per-platform texts.
type Content = (Option<String>, BTreeMap<Provider, String>);

/// `content`: a string, or `{text, platformOverrides}` with each override a string or `{text}`.
fn content(v: Option<&Value>) -> AgencyResult<Option<Content>> {
    let (text, overrides) = match v {
        None => return Ok(None),
        Some(Value::String(s)) => (Some(s.clone()), None),
        Some(Value::Object(m)) => {
            let text = match m.get("text") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return Err(bad("content.text must be a string")),
            };
            (text, m.get("platformOverrides"))
        }
        Some(_) => return Err(bad("content must be a string or an object {text, platformOverrides}")),
    };
    let mut bodies = BTreeMap::new();
    match overrides {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (name, o) in m {
                let p = names::platform(name)?;
                let t = match o {
                    Value::String(s) => Some(s.as_str()),
                    Value::Object(x) => x.get("text").and_then(Value::as_str),
                    _ => None,
                };
                match t {
                    Some(t) if !t.trim().is_empty() => {
                        bodies.insert(p, t.to_owned());
                    }
                    _ => return Err(bad(format!("content.platformOverrides.{name} must be a text or {{text}}"))),
                }
            }
        }
        Some(_) => return Err(bad("content.platformOverrides must be an object keyed by platform")),
    }
    let text = text.filter(|t| !t.trim().is_empty());
    if let Some(t) = &text
        && t.chars().count() > domain::input::MAX_BODY_CHARS
    {
        return Err(bad(format!("content.text must be at most {} characters", domain::input::MAX_BODY_CHARS)));
    }
    Ok(Some((text, bodies)))
}

pub(super) fn when(body: &Value) -> AgencyResult<Option<Option<chrono::DateTime<Utc>>>> {
    let v = body.get("scheduledFor").filter(|v| !v.is_null()).or_else(|| body.get("scheduledAt"));
    match v {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => query::iso(s)
            .map(|t| Some(Some(t)))
            .ok_or_else(|| AgencyError::bad_request("scheduledFor/scheduledAt must be a valid ISO date string")),
        Some(_) => Err(AgencyError::bad_request("scheduledFor/scheduledAt must be a valid ISO date string")),
    }
}

fn not_past(at: Option<chrono::DateTime<Utc>>) -> AgencyResult<()> {
    match at {
        Some(t) if t < Utc::now() - chrono::Duration::seconds(PAST_GRACE_S) => {
            Err(AgencyError::unprocessable(format!("scheduledFor must be in the future ({} is past)", t.to_rfc3339())))
        }
        _ => Ok(()),
    }
}

/// `media[{url|type|altText|order}]`, in `order`. A URL of one of the workspace's own
/// assets (`{gateway}/media/{id}`) is that asset; any other is fetched by media-ingest.
fn media(v: Option<&Value>, public_url: &str) -> AgencyResult<Option<Vec<MediaInput>>> {
    let items = match v {
        None => return Ok(None),
        Some(Value::Null) => return Ok(Some(Vec::new())),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(bad("media must be an array of {url, type, altText, order}")),
    };
    let own = format!("{}/media/", public_url.trim_end_matches('/'));
    let mut ordered: Vec<(i64, MediaInput)> = Vec::new();
    for (i, m) in items.iter().enumerate() {
        let url = m.get("url").and_then(Value::as_str).ok_or_else(|| bad(format!("media[{i}].url is required")))?;
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) || url.len() > 2048 {
            return Err(bad(format!("media[{i}].url must be an absolute http(s) URL")));
        }
        let source = match url.strip_prefix(&own).and_then(|id| Uuid::parse_str(id).ok()) {
            Some(id) => MediaSource::Asset(id),
            None => MediaSource::Url(url.to_owned()),
        };
        let alt = match m.get("altText") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) if s.chars().count() <= domain::input::MAX_ALT_CHARS => Some(s.clone()),
            Some(_) => return Err(bad(format!("media[{i}].altText must be a string of at most 1000 characters"))),
        };
        let order = m.get("order").and_then(Value::as_i64).unwrap_or(i as i64);
        ordered.push((order, MediaInput { source, alt }));
    }
    if ordered.len() > domain::input::MAX_MEDIA {
        return Err(bad(format!("at most {} media items per post", domain::input::MAX_MEDIA)));
    }
    ordered.sort_by_key(|(o, _)| *o);
    Ok(Some(ordered.into_iter().map(|(_, m)| m).collect()))
}

fn account_ids(v: Option<&Value>) -> AgencyResult<Option<Vec<ProfileId>>> {
    let Some(ids) = strings(v, "accountIds")? else { return Ok(None) };
    ids.iter()
        .map(|s| {
            Uuid::parse_str(s)
                .map(ProfileId::from)
                .map_err(|_| AgencyError::bad_request(format!("account not found or inactive ({s})")))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn platforms(body: &Value) -> AgencyResult<Vec<Provider>> {
    let names: Vec<String> = match (body.get("platforms"), body.get("platform")) {
        (Some(v), _) if !v.is_null() => strings(Some(v), "platforms")?.unwrap_or_default(),
        (_, Some(Value::String(p))) => vec![p.clone()],
        (_, Some(v)) if !v.is_null() => return Err(bad("platform must be a string")),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for n in names {
        let p = names::platform(&n)?;
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// `platformOptions` (an addition to the seed): the native `provider_options` keyed by the
/// seed's platform names, for what some platforms need (a YouTube or Dribbble title, a
/// Pinterest board, a subreddit). `title`, when given, is the title of every platform that
/// takes one and was not given its own.
fn options(body: &Value, to: &[Provider]) -> AgencyResult<Map<String, Value>> {
    let mut out = Map::new();
    match body.get("platformOptions") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (name, o) in m {
                let p = names::platform(name)?;
                if !o.is_object() {
                    return Err(bad(format!("platformOptions.{name} must be an object")));
                }
                out.insert(p.as_str().to_owned(), o.clone());
            }
        }
        Some(_) => return Err(bad("platformOptions must be an object keyed by platform")),
    }
    if let Some(title) = body.get("title").and_then(Value::as_str).filter(|t| !t.trim().is_empty()) {
        for p in to {
            if domain::platforms::get(*p).options.iter().any(|o| o.name == "title") {
                let entry = out.entry(p.as_str().to_owned()).or_insert_with(|| json!({}));
                if let Some(o) = entry.as_object_mut() {
                    o.entry("title").or_insert_with(|| json!(title));
                }
            }
        }
    }
    Ok(out)
}

/// `threadParts`: the whole thread, first part included (it is the post's text; `content`
/// is not published separately). `None` when absent; `Some([])` for `[]` or `null`.
fn thread_parts(v: Option<&Value>) -> AgencyResult<Option<Vec<String>>> {
    let items = match v {
        None => return Ok(None),
        Some(Value::Null) => return Ok(Some(Vec::new())),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(bad("threadParts must be an array of strings, the first part first")),
    };
    if items.len() > domain::input::MAX_THREAD_PARTS {
        return Err(bad(format!("threadParts: at most {} parts", domain::input::MAX_THREAD_PARTS)));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, p)| match p.as_str() {
            Some(s) if !s.trim().is_empty() && !s.contains('\0') => Ok(s.to_owned()),
            _ => Err(bad(format!("threadParts[{i}] must be a part's text: a non-empty string"))),
        })
        .collect::<AgencyResult<Vec<String>>>()
        .map(Some)
}

/// A post just accepted is `pending` for a moment, until the scheduler takes it; edits
/// wait for that (a native caller gets 409 and retries; the seed's agents do not).
async fn taken_by_scheduler(state: &AppState, org: &Org, id: PostId) -> AgencyResult<PostView> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let v = state.posting.get(&org.caller, id).await.map_err(refused)?;
        if v.post.status != domain::PostStatus::Pending || std::time::Instant::now() > deadline {
            return Ok(v);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn read_back(state: &AppState, org: &Org, id: PostId, status: StatusCode) -> AgencyResult<HttpResponse> {
    let v = state.posting.get(&org.caller, id).await.map_err(refused)?;
    Ok(ok(status, view(&v, &state.config.public_url)))
}

pub async fn create(state: web::Data<AppState>, org: Org, req: HttpRequest, body: Body) -> AgencyResult<HttpResponse> {
    org.require_write()?;
    org.check_body(&body)?;
    let key =
        actix_web::HttpMessage::extensions(&req).get::<crate::idempotency::IdempotentCreate>().map(|k| k.0.clone());
    let v = create_one(&state, &org, &body, key, false).await?;
    Ok(ok(StatusCode::CREATED, view(&v, &state.config.public_url)))
}

/// One post of a create or of a bulk request. In bulk, a post without a date is a draft.
async fn create_one(
    state: &AppState,
    org: &Org,
    body: &Value,
    key: Option<String>,
    bulk: bool,
) -> AgencyResult<PostView> {
    if !body.is_object() {
        return Err(bad("the body must be a JSON object"));
    }
    let parts = thread_parts(body.get("threadParts"))?.unwrap_or_default();
    let (text, bodies, thread) = match parts.split_first() {
        Some((first, rest)) => {
            let bodies = content(body.get("content"))?.map(|(_, b)| b).unwrap_or_default();
            (Some(first.clone()), bodies, rest.to_vec())
        }
        None => {
            let (text, bodies) = content(body.get("content"))?.ok_or_else(|| bad("content is required"))?;
            (text, bodies, Vec::new())
        }
    };
    let to = platforms(body)?;
    let ids = account_ids(body.get("accountIds"))?.unwrap_or_default();
    let scheduled_at = when(body)?.flatten();
    let draft = match body.get("status").and_then(Value::as_str) {
        _ if bulk && scheduled_at.is_none() => true,
        None => scheduled_at.is_none(),
        Some("draft" | "pending_approval") => true,
        Some("scheduled") => false,
        Some(other) => return Err(bad(format!("status on create must be draft or scheduled (got `{other}`)"))),
    };
    if !draft {
        not_past(scheduled_at)?;
    }
    let media = media(body.get("media"), &state.config.public_url)?.unwrap_or_default();
    if text.is_none() && media.is_empty() && bodies.is_empty() {
        return Err(bad("content is required: a text or at least one media item"));
    }
    let profiles = state.posting.profiles_for(&org.caller, &to, &ids).await.map_err(refused)?;
    let mut providers: Vec<Provider> = to.clone();
    if providers.is_empty() {
        let mut conn = state.pool.get().await?;
        providers =
            store::profiles::find_many(&mut conn, &org.scope, &profiles).await?.iter().map(|p| p.provider).collect();
    }
    let input = NewPost {
        queue: None,
        body: text,
        scheduled_at,
        draft,
        profiles,
        media,
        provider_options: options(body, &providers)?,
        details: PostDetails {
            hashtags: hashtags(body.get("hashtags"))?.unwrap_or_default(),
            bodies,
            labels: strings(body.get("labels"), "labels")?.unwrap_or_default(),
            tags: strings(body.get("tags"), "tags")?.unwrap_or_default(),
            category: category(body.get("category"))?.flatten(),
            campaign: body
                .get("campaignId")
                .or_else(|| body.get("campaign"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            requires_approval: match body.get("requiresApproval") {
                None | Some(Value::Null) => None,
                Some(Value::Bool(b)) => Some(*b),
                Some(_) => return Err(bad("requiresApproval must be true, false or null")),
            },
            thread,
            thread_media: Vec::new(),
            reply_to: None,
        },
    };
    state.posting.create(&org.caller, input, key, posting::Staged::default()).await.map_err(refused)
}

/// The most posts one bulk request carries (the seed's).
const MAX_BULK: usize = 50;

/// `POST /posts/bulk` (JSON): up to 50 posts, each created as a single create would be
/// (its `campaignId` kept), each answered on its own.
pub async fn bulk(state: web::Data<AppState>, org: Org, body: Body) -> AgencyResult<HttpResponse> {
    org.require_write()?;
    org.check_body(&body)?;
    let Some(Value::Array(items)) = body.get("posts") else {
        return Err(bad("posts must be an array of posts"));
    };
    if items.len() > MAX_BULK {
        return Err(AgencyError::bad_request(format!("Maximum {MAX_BULK} posts per bulk request")));
    }
    if items.is_empty() {
        return Err(bad("posts must hold at least one post"));
    }
    let mut results = Vec::with_capacity(items.len());
    let mut succeeded = 0;
    for (index, item) in items.iter().enumerate() {
        let made = async {
            org.check_body(item)?;
            create_one(&state, &org, item, None, true).await
        }
        .await;
        match made {
            Ok(v) => {
                succeeded += 1;
                results
                    .push(json!({"index": index, "success": true, "id": v.post.id, "status": names::post_status(&v)}));
            }
            Err(e) => {
                results.push(json!({"index": index, "success": false, "error": e.message, "status": e.status.as_u16()}))
            }
        }
    }
    Ok(ok(
        StatusCode::OK,
        json!({"total": items.len(), "succeeded": succeeded, "failed": items.len() - succeeded, "results": results}),
    ))
}

pub fn is_multipart(ctx: &actix_web::guard::GuardContext<'_>) -> bool {
    ctx.head()
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// `POST /posts/bulk` with a CSV file (multipart `file`): the seed's columns `content,
/// platforms, scheduled_at, category, hashtags, tags, labels` (and `account_ids`,
/// `media_urls`, `campaign_id`), each row created as a JSON bulk post would be, each
/// answered on its own with its row.
pub async fn bulk_csv(
    state: web::Data<AppState>,
    org: Org,
    req: HttpRequest,
    payload: web::Payload,
) -> AgencyResult<HttpResponse> {
    org.require_write()?;
    let (file, _, campaign) = crate::routes::bulk::read_form(payload, &req).await?;
    let rows = posting::bulk::read_csv(&file).map_err(|e| {
        if e.message.starts_with("Maximum") {
            AgencyError::bad_request(e.message)
        } else {
            AgencyError::bad_request(format!("Validation error: {}: {}", e.field, e.message))
        }
    })?;
    let mut results = Vec::with_capacity(rows.len());
    let mut succeeded = 0;
    for (index, row) in rows.iter().enumerate() {
        let made = match &row.error {
            Some(e) => Err(AgencyError::bad_request(format!("Validation error: row {}: {e}", row.line))),
            None => {
                let list = |c: &str| Value::Array(row.list(c).into_iter().map(Value::String).collect());
                let mut body = json!({
                    "content": row.cell("content").unwrap_or_default(),
                    "platforms": list("platforms"),
                    "accountIds": list("account_ids"),
                    "hashtags": list("hashtags"),
                    "tags": list("tags"),
                    "labels": list("labels"),
                    "media": row.list("media_urls").into_iter().map(|u| json!({"type": "image", "url": u})).collect::<Vec<_>>(),
                });
                for (column, key) in
                    [("scheduled_at", "scheduledAt"), ("category", "category"), ("campaign_id", "campaignId")]
                {
                    if let Some(v) = row.cell(column) {
                        body[key] = Value::String(v.to_owned());
                    }
                }
                if let (None, Some(c)) = (row.cell("campaign_id"), &campaign) {
                    body["campaignId"] = Value::String(c.clone());
                }
                if row.list("account_ids").is_empty()
                    && let Some(o) = body.as_object_mut()
                {
                    o.remove("accountIds");
                }
                create_one(&state, &org, &body, None, true).await
            }
        };
        match made {
            Ok(v) => {
                succeeded += 1;
                results.push(json!({"index": index, "row": row.line, "success": true, "id": v.post.id, "status": names::post_status(&v)}));
            }
            Err(e) => results.push(json!({"index": index, "row": row.line, "success": false, "error": e.message, "status": e.status.as_u16()})),
        }
    }
    Ok(ok(
        StatusCode::OK,
        json!({"total": rows.len(), "succeeded": succeeded, "failed": rows.len() - succeeded, "results": results}),
    ))
}

pub async fn get(state: web::Data<AppState>, org: Org, id: web::Path<String>) -> AgencyResult<HttpResponse> {
    read_back(&state, &org, post_id(&id)?, StatusCode::OK).await
}

/// Every match, by `scheduledFor` (undated last), as the seed's list is.
pub async fn list(state: web::Data<AppState>, org: Org, req: HttpRequest) -> AgencyResult<HttpResponse> {
    const MOST: i64 = 10_000;
    let q = query::Query::parse(&req)?;
    let platform = q.one("platform").map(names::platform).transpose()?;
    let wanted = q.one("status").map(names::status_filter).transpose()?;
    let filter = PostFilter {
        providers: platform.map(|p| vec![p.as_str().to_owned()]),
        scheduled_after: q.date("from")?,
        scheduled_before: q.date("to")?,
        ..Default::default()
    };
    let mut all: Vec<PostView> = Vec::new();
    let per_page = 500;
    for page in 0.. {
        let posting::Page { posts, total } = state.posting.list(&org.caller, &filter, per_page, page).await?;
        let done = posts.len() < per_page as usize || (page + 1) * per_page >= total.min(MOST);
        all.extend(posts);
        if done {
            break;
        }
    }
    all.retain(|v| wanted.is_none_or(|s| names::post_status(v) == s));
    all.sort_by_key(|v| (v.post.scheduled_at.is_none(), v.post.scheduled_at, v.post.created_at));
    let data: Vec<Value> = all.iter().map(|v| view(v, &state.config.public_url)).collect();
    Ok(ok(StatusCode::OK, data))
}

/// `PUT /posts/{id}`: the seed's updatable fields; a new time goes through the scheduler,
/// `status: scheduled` publishes a draft, `status: cancelled` is the soft delete.
pub async fn update(
    state: web::Data<AppState>,
    org: Org,
    id: web::Path<String>,
    body: Body,
) -> AgencyResult<HttpResponse> {
    org.require_write()?;
    org.check_body(&body)?;
    let id = post_id(&id)?;
    if !body.is_object() {
        return Err(bad("the body must be a JSON object"));
    }
    let parts = thread_parts(body.get("threadParts"))?;
    let current = taken_by_scheduler(&state, &org, id).await?;
    let outcome = current.outcome();
    let mut patch = PostPatch::default();
    if let Some((text, bodies)) = content(body.get("content"))? {
        patch.body = Some(text);
        if body.pointer("/content/platformOverrides").is_some() {
            patch.bodies = Some(bodies);
        }
    }
    // The whole thread: its first part is the text, whatever `content` says.
    if let Some(parts) = parts {
        if let Some((first, rest)) = parts.split_first() {
            patch.body = Some(Some(first.clone()));
            patch.thread = Some(rest.to_vec());
        } else {
            patch.thread = Some(Vec::new());
        }
        // The seed's parts are text: media go with the first part only.
        patch.thread_media = Some(Vec::new());
    }
    let at = when(&body)?;
    patch.scheduled_at = at;
    patch.hashtags = hashtags(body.get("hashtags"))?;
    patch.labels = strings(body.get("labels"), "labels")?;
    patch.tags = strings(body.get("tags"), "tags")?;
    patch.category = category(body.get("category"))?;
    patch.media = media(body.get("media"), &state.config.public_url)?;
    patch.profiles = account_ids(body.get("accountIds"))?;
    let status = body.get("status").and_then(Value::as_str);
    if status == Some("cancelled") {
        state.posting.archive(&org.caller, id).await.map_err(refused)?;
        return read_back(&state, &org, id, StatusCode::OK).await;
    }
    let publish = match (status, outcome) {
        (None, _) | (Some("draft" | "pending_approval"), Outcome::Draft) => false,
        (Some("scheduled"), Outcome::Draft) => true,
        (Some("scheduled"), Outcome::Scheduled) => false,
        (Some("draft"), _) => {
            return Err(AgencyError::conflict(
                "a post that left draft cannot go back to draft; delete it and create a draft",
            ));
        }
        (Some(s), _) => {
            return Err(AgencyError::bad_request(format!(
                "Validation error: status `{s}` is not set by an update here; use scheduled (publish a draft), draft or cancelled"
            )));
        }
    };
    if let Some(Some(t)) = at
        && (publish || outcome == Outcome::Scheduled)
    {
        not_past(Some(t))?;
    }
    if !patch.is_empty() {
        state.posting.patch(&org.caller, id, patch).await.map_err(refused)?;
    }
    if publish {
        let at = match at {
            Some(t) => t,
            None => current.post.scheduled_at.filter(|t| *t > Utc::now()),
        };
        state.posting.publish(&org.caller, id, at).await.map_err(refused)?;
    }
    read_back(&state, &org, id, StatusCode::OK).await
}

/// `DELETE /posts/{id}`: soft, any post; what was published stays published.
pub async fn delete(state: web::Data<AppState>, org: Org, id: web::Path<String>) -> AgencyResult<HttpResponse> {
    let id = post_id(&id)?;
    state.posting.archive(&org.caller, id).await.map_err(refused)?;
    Ok(ok(StatusCode::OK, json!({"id": id, "status": "cancelled"})))
}

/// `POST /posts/{id}/publish`: now. A draft is published; a scheduled post's time becomes
/// now. `externalId` is null until the provider has answered.
pub async fn publish(state: web::Data<AppState>, org: Org, id: web::Path<String>) -> AgencyResult<HttpResponse> {
    let id = post_id(&id)?;
    let v = taken_by_scheduler(&state, &org, id).await?;
    match v.outcome() {
        Outcome::Draft => state.posting.publish(&org.caller, id, None).await.map_err(refused)?,
        Outcome::Scheduled => {
            let now = PostPatch { scheduled_at: Some(None), ..Default::default() };
            state.posting.patch(&org.caller, id, now).await.map_err(refused)?;
        }
        Outcome::Canceled => return Err(AgencyError::conflict("Post is cancelled")),
        _ => return Err(AgencyError::conflict("Post is already published")),
    }
    let v = state.posting.get(&org.caller, id).await.map_err(refused)?;
    let first = v.deliveries.iter().find(|(d, _)| d.provider_post_id.is_some()).or(v.deliveries.first());
    Ok(ok(
        StatusCode::OK,
        json!({
            "id": id,
            "externalId": first.and_then(|(d, _)| d.provider_post_id.clone()),
            "platform": first.map(|(d, _)| names::platform_name(d.provider)),
            "status": names::post_status(&v),
        }),
    ))
}
