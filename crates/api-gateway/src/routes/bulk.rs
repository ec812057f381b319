//! `POST /api/posts/bulk`: up to 50 posts as JSON (`{posts: [...], dry_run}`, each the
//! body of a single create) or a CSV file (multipart `file`, with `dry_run` and
//! `campaign_id` fields). Every post goes through the same acceptance as a single create,
//! every field kept, `campaign` included; the answer is per post, with each error's field
//! and, for CSV, its row and column. A dry run checks everything and stores nothing. The
//! request's Idempotency-Key covers it whole: each post is created under the key and its
//! index, so a retry after a lost answer creates nothing twice.

use actix_web::{HttpRequest, HttpResponse, web};
use domain::{Provider, input};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::{Value, json};

use crate::{
    agency::limits::Budget,
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult},
    routes::{
        multipart,
        request::{read_body, require_json},
    },
    views::Envelope,
};

const MAX_FILE_BYTES: usize = 1024 * 1024;

/// One problem of one post, named by field (and by CSV row and column).
#[derive(Debug, Serialize)]
struct RowError {
    field: String,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    row: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<&'static str>,
}

/// One post of the request: its index, its CSV line, its body (or why there is none),
/// and whether it named its accounts.
type Item = (usize, Option<usize>, Result<Value, Vec<domain::input::FieldError>>, bool);

#[derive(Debug, Serialize)]
struct RowResult {
    index: usize,
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<domain::PostId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<RowError>,
}

/// The CSV column a native field came from.
fn column_of(field: &str, has_accounts: bool) -> Option<&'static str> {
    let f = field.split(['[', '.']).collect::<Vec<_>>();
    Some(match (f.first().copied(), f.get(1).copied()) {
        (Some("post"), Some("body" | "bodies")) => "content",
        (Some("post"), Some("scheduled_at")) => "scheduled_at",
        (Some("post"), Some("hashtags")) => "hashtags",
        (Some("post"), Some("labels")) => "labels",
        (Some("post"), Some("tags")) => "tags",
        (Some("post"), Some("category")) => "category",
        (Some("post"), Some("campaign")) => "campaign_id",
        (Some("profiles"), _) if has_accounts => "account_ids",
        (Some("profiles"), _) => "platforms",
        (Some("media"), _) => "media_urls",
        (Some("platforms"), _) => "platforms",
        (Some("account_ids"), _) => "account_ids",
        _ => return None,
    })
}

/// A platform by its id, or by the seed's name for X (`twitter`).
pub(crate) fn provider_named(name: &str) -> Option<Provider> {
    match name.to_ascii_lowercase().as_str() {
        "twitter" => Some(Provider::X),
        other => other.parse().ok(),
    }
}

/// A CSV row as the body of a single create. A row without a date is a draft.
async fn row_body(
    state: &AppState,
    caller: &Caller,
    row: &posting::bulk::CsvRow,
    campaign: Option<&str>,
) -> Result<Value, Vec<domain::input::FieldError>> {
    use domain::input::FieldError;
    if let Some(e) = &row.error {
        return Err(vec![FieldError::new("row", e.clone())]);
    }
    let accounts = row.list("account_ids");
    let profiles: Vec<Value> = if accounts.is_empty() {
        let mut providers = Vec::new();
        for name in row.list("platforms") {
            match provider_named(&name) {
                Some(p) => providers.push(p),
                None => return Err(vec![FieldError::new("platforms", format!("unknown platform {name:?}"))]),
            }
        }
        if providers.is_empty() {
            return Err(vec![FieldError::new("platforms", "give platforms or account_ids")]);
        }
        let ids = state
            .posting
            .profiles_for(caller, &providers, &[])
            .await
            .map_err(|e| vec![FieldError::new("platforms", e.to_string())])?;
        ids.into_iter().map(|id| json!(id)).collect()
    } else {
        accounts.into_iter().map(Value::String).collect()
    };
    let when = row.cell("scheduled_at");
    let list = |c: &str| Value::Array(row.list(c).into_iter().map(Value::String).collect());
    Ok(json!({
        "post": {
            "body": row.cell("content"),
            "scheduled_at": when,
            "draft": when.is_none(),
            "hashtags": list("hashtags"),
            "labels": list("labels"),
            "tags": list("tags"),
            "category": row.cell("category"),
            "campaign": row.cell("campaign_id").or(campaign),
        },
        "profiles": profiles,
        "media": row.list("media_urls").into_iter().map(|u| json!({"url": u})).collect::<Vec<_>>(),
    }))
}

/// The multipart form: the CSV file and its text fields.
pub(crate) async fn read_form(payload: web::Payload, req: &HttpRequest) -> ApiResult<(Vec<u8>, bool, Option<String>)> {
    let form = read_import(payload, req, false).await?;
    Ok((form.file, form.dry_run, form.campaign))
}

/// A CSV import form: the file, `dry_run`, `campaign_id` (and, from the dashboard, its
/// CSRF token).
pub struct ImportForm {
    pub file: Vec<u8>,
    pub dry_run: bool,
    pub campaign: Option<String>,
    pub csrf_token: Option<String>,
}

pub async fn read_import(payload: web::Payload, req: &HttpRequest, with_csrf: bool) -> ApiResult<ImportForm> {
    let mut form = actix_multipart::Multipart::new(req.headers(), payload);
    let (mut file, mut dry_run, mut campaign, mut csrf_token) = (None, false, None, None);
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| ApiError::field("file", e.to_string()))?;
        let name = field.name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| ApiError::field(&name, e.to_string()))?;
            if bytes.len() + chunk.len() > MAX_FILE_BYTES {
                return Err(ApiError::PayloadTooLarge(format!("{name} is larger than {MAX_FILE_BYTES} bytes")));
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = || String::from_utf8_lossy(&bytes).trim().to_owned();
        match name.as_str() {
            "file" => file = Some(bytes),
            "dry_run" => dry_run = matches!(text().as_str(), "true" | "1"),
            "campaign_id" => campaign = Some(text()).filter(|c| !c.is_empty()),
            "csrf_token" if with_csrf => csrf_token = Some(text()),
            other => return Err(ApiError::field(other, "unknown field; allowed: file, dry_run, campaign_id")),
        }
    }
    let file = file.ok_or_else(|| ApiError::field("file", "is required: the CSV file"))?;
    Ok(ImportForm { file, dry_run, campaign, csrf_token })
}

#[utoipa::path(
    post, path = "/api/posts/bulk", operation_id = "bulk_create_posts", tag = "posts",
    params(("dry_run" = Option<bool>, Query, description = "Check every post; store nothing"), ("Idempotency-Key" = Option<String>, Header, description = "Covers the whole request")),
    request_body(content = crate::openapi::BulkBody, description = "JSON; or multipart/form-data with a CSV `file` (columns content, platforms, scheduled_at, category, hashtags, tags, labels, account_ids, media_urls, campaign_id; lists split on ; or |), `dry_run`, `campaign_id`"),
    responses(
        (status = 200, description = "Per post: index, success, id or errors (field; for CSV, row and column)", body = Envelope<Object>),
        (status = 400, description = "Not a bulk request at all (over 50 posts, a file that is not CSV, an unknown column)", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Over the bulk budget", body = crate::openapi::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require_write()?;
    state.agency_limiter.spend(caller.actor.id(), Budget::Bulk)?;
    let key =
        actix_web::HttpMessage::extensions(&req).get::<crate::idempotency::IdempotentCreate>().map(|k| k.0.clone());
    let query_dry_run = super::dry_run::requested(&req);
    let mut items: Vec<Item> = Vec::new();
    let dry_run;
    if multipart::is_multipart(&req) {
        let (file, form_dry_run, campaign) = read_form(payload, &req).await?;
        let data = from_csv(&state, &caller, &file, form_dry_run || query_dry_run, campaign.as_deref(), key).await?;
        return Ok(HttpResponse::Ok().json(Envelope::of(data)));
    } else {
        let body = require_json(&req, &read_body(payload, state.config.max_body_bytes).await?)?;
        let obj = body.as_object().ok_or_else(|| ApiError::field("", "must be a JSON object {posts, dry_run}"))?;
        if let Some(k) = obj.keys().find(|k| !["posts", "dry_run"].contains(&k.as_str())) {
            return Err(ApiError::field(k, "unknown field; allowed: posts, dry_run"));
        }
        let posts = obj
            .get("posts")
            .and_then(Value::as_array)
            .ok_or_else(|| ApiError::field("posts", "is required: an array of posts"))?;
        if posts.len() > posting::bulk::MAX_BULK {
            return Err(ApiError::field(
                "posts",
                format!("Maximum {} posts per bulk request", posting::bulk::MAX_BULK),
            ));
        }
        if posts.is_empty() {
            return Err(ApiError::field("posts", "must hold at least one post"));
        }
        dry_run = obj.get("dry_run").and_then(Value::as_bool).unwrap_or(false) || query_dry_run;
        items.extend(posts.iter().enumerate().map(|(i, p)| (i, None, Ok(p.clone()), false)));
    }
    Ok(HttpResponse::Ok().json(Envelope::of(run(&state, &caller, items, dry_run, key).await)))
}

/// A CSV file's posts, each created (or checked) on its own: the answer's `data`. The
/// dashboard's import page calls this too.
pub async fn from_csv(
    state: &AppState,
    caller: &Caller,
    file: &[u8],
    dry_run: bool,
    campaign: Option<&str>,
    key: Option<String>,
) -> ApiResult<Value> {
    let rows = posting::bulk::read_csv(file).map_err(|e| ApiError::Validation(vec![e]))?;
    let mut items: Vec<Item> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let has_accounts = !row.list("account_ids").is_empty();
        items.push((i, Some(row.line), row_body(state, caller, row, campaign).await, has_accounts));
    }
    Ok(run(state, caller, items, dry_run, key).await)
}

async fn run(state: &AppState, caller: &Caller, items: Vec<Item>, dry_run: bool, key: Option<String>) -> Value {
    let mut results = Vec::with_capacity(items.len());
    for (index, line, body, has_accounts) in items {
        let outcome = match body.and_then(|b| input::parse_new_post(&b)) {
            Err(errors) => Err(errors),
            Ok(input) if dry_run => match state.posting.dry_run(caller, input).await {
                Ok(_) => Ok(None),
                Err(e) => Err(refusal(e)),
            },
            Ok(input) => {
                let key = key.as_ref().map(|k| format!("{k}#{index}"));
                match state.posting.create(caller, input, key, posting::Staged::default()).await {
                    Ok(v) => Ok(Some(v)),
                    Err(e) => Err(refusal(e)),
                }
            }
        };
        results.push(match outcome {
            Ok(view) => RowResult {
                index,
                success: true,
                id: view.as_ref().map(|v| v.post.id),
                status: view.as_ref().map(|v| v.post.status.as_str().to_owned()),
                errors: Vec::new(),
            },
            Err(errors) => RowResult {
                index,
                success: false,
                id: None,
                status: None,
                errors: errors
                    .into_iter()
                    .map(|e| RowError {
                        column: line.and_then(|_| column_of(&e.field, has_accounts)),
                        field: e.field,
                        message: e.message,
                        row: line,
                    })
                    .collect(),
            },
        });
    }
    let succeeded = results.iter().filter(|r| r.success).count();
    json!({
        "total": results.len(),
        "succeeded": succeeded,
        "failed": results.len() - succeeded,
        "dry_run": dry_run,
        "results": results,
    })
}

/// A refusal of one post as field errors (a refusal without a field names the post).
fn refusal(e: posting::PostingError) -> Vec<domain::input::FieldError> {
    match e {
        posting::PostingError::Validation(errors) => errors,
        other => vec![domain::input::FieldError::new("post", other.to_string())],
    }
}
