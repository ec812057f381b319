//! Posts: acceptance (create, publish), reads, and the edits the contract allows. Post
//! status after creation is the scheduler's: cancel and edits of scheduled posts are
//! commands to it, never an UPDATE from here.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use bus::relay::enqueue_event;
use diesel_async::AsyncConnection;
use domain::{
    PostStatus, Provider,
    input::{self, FieldError, MediaInput, MediaSource},
    messages::{CommandReplyV1, MediaCommandV1, MediaRefV1, MediaReplyV1, PostAcceptedV1, SchedulerCommandV1},
};
use serde_json::{Value, json};
use store::{
    StoreError,
    models::{NewLogEntry, NewPostRow, ProfileRow},
    posts,
};
use uuid::Uuid;

use crate::{
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult},
    routes::{
        multipart, platforms,
        request::{QueryPairs, json_body, path_id, read_body, require_json},
    },
    views,
};

fn post_id(raw: &str) -> ApiResult<Uuid> {
    path_id(raw, ApiError::post_not_found)
}

async fn read_back(state: &AppState, conn: &mut store::Conn, id: Uuid) -> ApiResult<Value> {
    let view = posts::view(conn, id).await?.ok_or_else(ApiError::post_not_found)?;
    Ok(json!({"data": views::post(&view, &state.config.public_url)}))
}

/// The selected profiles, in request order: each must be visible to the key and connected.
pub(crate) async fn check_profiles(
    conn: &mut store::Conn,
    caller: &Caller,
    ids: &[Uuid],
) -> ApiResult<Vec<ProfileRow>> {
    let found = store::profiles::find_many(conn, &caller.scope, ids).await?;
    let mut errors = Vec::new();
    let mut rows = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        match found.iter().find(|p| p.id == *id) {
            None => errors.push(FieldError::new(format!("profiles[{i}]"), "no such profile for this API key")),
            Some(p) if p.status == "disconnected" => errors.push(FieldError::new(
                format!("profiles[{i}]"),
                format!("the profile \u{201c}{}\u{201d} is disconnected; reconnect it in the dashboard", p.name),
            )),
            Some(p) => rows.push(p.clone()),
        }
    }
    if errors.is_empty() { Ok(rows) } else { Err(ApiError::Validation(errors)) }
}

/// Every media input as an owned asset: asset ids must belong to the workspace; remote
/// URLs are fetched by media-ingest before anything is written. Assets made here are
/// pushed to `created`, so a request that fails later can discard them.
async fn own_media(
    state: &AppState,
    conn: &mut store::Conn,
    caller: &Caller,
    media: &[MediaInput],
    created: &mut Vec<Uuid>,
) -> ApiResult<Vec<(Uuid, Option<String>)>> {
    let asset_ids: Vec<Uuid> =
        media.iter().filter_map(|m| if let MediaSource::Asset(id) = m.source { Some(id) } else { None }).collect();
    let known = store::media::assets_in_workspace(conn, caller.scope.workspace_id, &asset_ids).await?;
    let timeout = Duration::from_millis(state.config.ingest_timeout_ms);
    let queue = state.names.media_rpc();
    let resolved = futures_util::future::join_all(media.iter().enumerate().map(|(i, m)| {
        let (known, queue) = (&known, &queue);
        async move {
            let r: Result<Result<Uuid, FieldError>, bus::BusError> = match &m.source {
                MediaSource::Asset(id) if known.iter().any(|a| a.id == *id) => Ok(Ok(*id)),
                MediaSource::Asset(_) => {
                    Ok(Err(FieldError::new(format!("media[{i}].asset_id"), "no completed upload with this asset id")))
                }
                MediaSource::Url(url) => {
                    let cmd =
                        MediaCommandV1::IngestRemote { workspace_id: caller.scope.workspace_id, url: url.clone() };
                    state.rpc.call::<_, MediaReplyV1>(queue, &cmd, timeout).await.map(|reply| match reply {
                        MediaReplyV1::Ingested { asset_id, .. } => Ok(asset_id),
                        MediaReplyV1::Refused { message } | MediaReplyV1::NotReady { detail: message } => {
                            Err(FieldError::new(format!("media[{i}].url"), format!("could not be ingested: {message}")))
                        }
                        MediaReplyV1::Done => Err(FieldError::new(format!("media[{i}].url"), "could not be ingested")),
                    })
                }
            };
            (r, matches!(m.source, MediaSource::Url(_)))
        }
    }))
    .await;
    let mut owned = Vec::with_capacity(media.len());
    let mut errors = Vec::new();
    let mut unavailable = None;
    for ((r, imported), m) in resolved.into_iter().zip(media) {
        match r {
            Ok(Ok(id)) => {
                if imported {
                    created.push(id);
                }
                owned.push((id, m.alt.clone()))
            }
            Ok(Err(e)) => errors.push(e),
            Err(e) => unavailable = Some(e),
        }
    }
    if let Some(e) = unavailable {
        return Err(e.into());
    }
    if errors.is_empty() { Ok(owned) } else { Err(ApiError::Validation(errors)) }
}

/// Removes assets this request made when it did not end in an accepted write, so a
/// refused post leaves no object behind. media-ingest's janitor catches any it misses.
pub(crate) async fn discard(state: &AppState, created: Vec<Uuid>) {
    if created.is_empty() {
        return;
    }
    let cmd = MediaCommandV1::Discard { asset_ids: created };
    let timeout = Duration::from_millis(state.config.ingest_timeout_ms);
    if let Err(e) = state.rpc.call::<_, MediaReplyV1>(&state.names.media_rpc(), &cmd, timeout).await {
        tracing::warn!(error = %e, "could not discard a refused request's media; the janitor will");
    }
}

fn quoted(name: &str) -> String {
    format!("\u{201c}{name}\u{201d}")
}

/// The platforms a post goes to, each with the profile's name for messages.
pub(crate) fn targets(profiles: &[ProfileRow]) -> Vec<(Provider, String)> {
    profiles.iter().filter_map(|p| p.provider.parse().ok().map(|prov| (prov, quoted(&p.name)))).collect()
}

/// `POST /api/posts` (JSON or multipart): a draft, or a post accepted into `pending`.
#[utoipa::path(
    post, path = "/api/posts", operation_id = "create_post", tag = "posts",
    params(("dry_run" = Option<bool>, Query, description = "Check everything and show each provider request; store and send nothing"), ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to this key for 24 h")),
    request_body(content = crate::openapi::NewPost, description = "JSON; or multipart/form-data with the same fields and files"),
    responses(
        (status = 201, description = "Accepted (or stored as a draft), read back after commit", body = crate::openapi::PostEnvelope),
        (status = 200, description = "The dry run's result", body = crate::openapi::DryRunEnvelope),
        (status = 403, description = "The key is read-only", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 413, description = "Body or file too large", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 415, description = "Not JSON or multipart", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 422, description = "Idempotency-Key reused with another request", body = crate::openapi::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require_write()?;
    let mut created = Vec::new();
    let result = accept_new(&state, &caller, &req, payload, &mut created).await;
    if result.is_err() {
        discard(&state, created).await;
    }
    result
}

async fn accept_new(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    payload: web::Payload,
    created: &mut Vec<Uuid>,
) -> ApiResult<HttpResponse> {
    if multipart::is_multipart(req) && super::dry_run::requested(req) {
        return Err(ApiError::UnsupportedMediaType(
            "A dry run takes a JSON body (files are only stored by a real create).".into(),
        ));
    }
    let body = if multipart::is_multipart(req) {
        multipart::read(state, caller, actix_multipart::Multipart::new(req.headers(), payload), created, &[]).await?.0
    } else {
        require_json(req, &read_body(payload, state.config.max_body_bytes).await?)?
    };
    let input = input::parse_new_post(&body).map_err(ApiError::Validation)?;
    if super::dry_run::requested(req) {
        return super::dry_run::run(state, caller, input).await;
    }
    let key =
        actix_web::HttpMessage::extensions(req).get::<crate::idempotency::IdempotentCreate>().map(|k| k.0.clone());
    let view = accept(state, caller, input, created, key).await?;
    let id = view.post.id;
    let body = json!({"data": views::post(&view, &state.config.public_url)});
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/api/posts/{id}"))).json(body))
}

/// Stores a parsed new post (a draft, or accepted into `pending` with its outbox message)
/// and returns its id. Shared by the API and the dashboard's Compose page.
pub(crate) async fn accept(
    state: &AppState,
    caller: &Caller,
    input: input::NewPost,
    created: &mut Vec<Uuid>,
    idempotency_key: Option<String>,
) -> ApiResult<posts::PostView> {
    let mut conn = state.pool.get().await?;
    let profiles = check_profiles(&mut conn, caller, &input.profiles).await?;
    let media = own_media(state, &mut conn, caller, &input.media, created).await?;
    if !input.draft {
        let ids: Vec<Uuid> = media.iter().map(|(id, _)| *id).collect();
        let targets = targets(&profiles);
        platforms::check_post(
            &mut conn,
            caller.scope.workspace_id,
            input.body.as_deref(),
            &ids,
            &input.provider_options,
            &targets,
        )
        .await?;
    }
    let row = NewPostRow {
        id: Uuid::now_v7(),
        workspace_id: caller.scope.workspace_id,
        body: input.body,
        status: if input.draft { PostStatus::Draft } else { PostStatus::Pending }.as_str().into(),
        scheduled_at: input.scheduled_at,
        provider_options: Value::Object(input.provider_options),
        // A scheduled post is dispatched later; it stays in this request's trace.
        traceparent: telemetry::current_traceparent(),
        idempotency_key,
    };
    // The answer is read inside the transaction: once it commits, nothing is left that
    // could fail and turn an accepted post into a 5xx (which a client would retry).
    let view = conn
        .transaction::<posts::PostView, StoreError, _>(async |conn| {
            posts::insert(conn, &row, &profiles, &media).await?;
            if !input.draft {
                enqueue_event(conn, &state.names, &PostAcceptedV1 { post_id: row.id, workspace_id: row.workspace_id })
                    .await?;
                store::publish_log::append(conn, &NewLogEntry::post(row.workspace_id, row.id, "post.accepted")).await?;
            }
            posts::view(conn, row.id).await?.ok_or(StoreError::Db(diesel::result::Error::NotFound))
        })
        .await;
    let view = match view {
        // An earlier request with this Idempotency-Key committed the post but never
        // stored its answer: that post is the answer (the media made now are discarded).
        Err(e) if e.is_unique_violation("posts_one_per_idempotency_key") => {
            let key = row.idempotency_key.as_deref().unwrap_or_default();
            let id = posts::id_by_idempotency_key(&mut conn, caller.scope.workspace_id, key)
                .await?
                .ok_or_else(ApiError::post_not_found)?;
            discard(state, std::mem::take(created)).await;
            return posts::view(&mut conn, id).await?.ok_or_else(ApiError::post_not_found);
        }
        other => other?,
    };
    state.committed();
    tracing::info!(post_id = %row.id, actor = %caller.actor, status = %row.status, deliveries = profiles.len(), "post accepted");
    Ok(view)
}

#[utoipa::path(
    get, path = "/api/posts/{id}", operation_id = "get_post", tag = "posts", params(("id" = Uuid, Path, description = "Post id")),
    responses((status = 200, description = "The post with its deliveries and media", body = crate::openapi::PostEnvelope), (status = 404, description = "No such post for this key", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn get(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = post_id(&id)?;
    let mut conn = state.pool.get().await?;
    let view = posts::get(&mut conn, &caller.scope, id).await?.ok_or_else(ApiError::post_not_found)?;
    Ok(HttpResponse::Ok().json(json!({"data": views::post(&view, &state.config.public_url)})))
}

#[utoipa::path(
    get, path = "/api/posts", operation_id = "list_posts", tag = "posts",
    params(
        ("status" = Option<String>, Query, description = "draft, pending, scheduled, completed or canceled"),
        ("profile_ids" = Option<String>, Query, description = "Comma-separated profile ids"),
        ("providers" = Option<String>, Query, description = "Comma-separated provider ids"),
        ("scheduled_after" = Option<DateTime<Utc>>, Query),
        ("scheduled_before" = Option<DateTime<Utc>>, Query),
        ("page" = Option<i64>, Query, description = "Zero-based", minimum = 0),
        ("per_page" = Option<i64>, Query, minimum = 1, maximum = 100),
    ),
    responses((status = 200, description = "Newest first, with the total", body = crate::openapi::PostList))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller, req: HttpRequest) -> ApiResult<HttpResponse> {
    let q = QueryPairs::parse(&req)?;
    q.check_known(&["status", "profile_ids", "providers", "scheduled_after", "scheduled_before", "page", "per_page"])?;
    let status = q
        .one("status")
        .map(|s| s.parse::<PostStatus>().map(|s| s.as_str().to_owned()))
        .transpose()
        .map_err(|_| ApiError::field("status", "one of: draft, pending, scheduled, completed, canceled"))?;
    let providers = q
        .many("providers")
        .map(|v| v.iter().map(|p| p.parse::<Provider>().map(|p| p.as_str().to_owned())).collect::<Result<Vec<_>, _>>())
        .transpose()
        .map_err(|e| ApiError::field("providers", e.to_string()))?;
    let filter = posts::PostFilter {
        ids: None,
        status,
        profile_ids: q.uuids("profile_ids")?,
        providers,
        scheduled_after: q.time("scheduled_after")?,
        scheduled_before: q.time("scheduled_before")?,
    };
    let page = q.int("page", 0, 0, 1_000_000)?;
    let per_page = q.int("per_page", 20, 1, 100)?;
    let mut conn = state.pool.get().await?;
    let (rows, total) = posts::list(&mut conn, &caller.scope, &filter, per_page, page * per_page).await?;
    Ok(HttpResponse::Ok().json(json!({
        "data": rows.iter().map(|v| views::post(v, &state.config.public_url)).collect::<Vec<_>>(),
        "meta": {"page": page, "per_page": per_page, "total": total},
    })))
}

/// `POST /api/posts/{id}/publish`: draft → pending, now or at `scheduled_at`.
#[utoipa::path(
    post, path = "/api/posts/{id}/publish", operation_id = "publish_draft", tag = "posts", params(("id" = Uuid, Path, description = "Post id"), ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to this key for 24 h")),
    request_body(content = Option<crate::openapi::PublishBody>, description = "Optional: a future `scheduled_at`"),
    responses((status = 200, description = "The draft is accepted", body = crate::openapi::PostEnvelope), (status = 403, description = "The key is read-only", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "No such post for this key", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "Not a draft", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn publish(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require_write()?;
    let id = post_id(&id)?;
    let body = read_body(payload, state.config.max_body_bytes).await?;
    let scheduled_at = input::parse_publish(json_body(&req, &body)?.as_ref()).map_err(ApiError::Validation)?;
    publish_draft(&state, &caller, id, scheduled_at).await?;
    let mut conn = state.pool.get().await?;
    Ok(HttpResponse::Ok().json(read_back(&state, &mut conn, id).await?))
}

/// The acceptance check of a create, run on what a stored post becomes after `patch`
/// (its body, media and options, replaced where the patch gives them) against the
/// platforms of its deliveries: publishing a draft and editing a scheduled post pass the
/// same rules as a new post.
async fn check_edited(
    conn: &mut store::Conn,
    caller: &Caller,
    view: &posts::PostView,
    patch: &input::PostPatch,
    media: Option<&[Uuid]>,
) -> ApiResult<()> {
    let media: Vec<Uuid> = match media {
        Some(ids) => ids.to_vec(),
        None => view.media.iter().map(|(m, _)| m.asset_id).collect(),
    };
    let targets: Vec<(Provider, String)> =
        view.deliveries.iter().filter_map(|(d, name)| d.provider.parse().ok().map(|p| (p, quoted(name)))).collect();
    let options = match &patch.provider_options {
        Some(o) => o.clone(),
        None => view.post.provider_options.as_object().cloned().unwrap_or_default(),
    };
    let body = match &patch.body {
        Some(b) => b.as_deref(),
        None => view.post.body.as_deref(),
    };
    platforms::check_post(conn, caller.scope.workspace_id, body, &media, &options, &targets).await
}

/// Draft → pending, once the draft meets the platforms' rules.
pub(crate) async fn publish_draft(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    scheduled_at: Option<chrono::DateTime<chrono::Utc>>,
) -> ApiResult<()> {
    caller.require_write()?;
    let mut conn = state.pool.get().await?;
    // A draft meets the platforms' rules when it is published, not while it is drafted.
    let view = posts::get(&mut conn, &caller.scope, id).await?.ok_or_else(ApiError::post_not_found)?;
    if view.post.status == "draft" {
        check_edited(&mut conn, caller, &view, &input::PostPatch::default(), None).await?;
    }
    conn.transaction::<(), ApiError, _>(async |conn| {
        let post = posts::find_visible(conn, &caller.scope, id, true).await?.ok_or_else(ApiError::post_not_found)?;
        if post.status != "draft" || !posts::publish_draft(conn, id, scheduled_at).await? {
            return Err(ApiError::Conflict(format!("Only drafts can be published; this post is {}.", post.status)));
        }
        enqueue_event(conn, &state.names, &PostAcceptedV1 { post_id: id, workspace_id: post.workspace_id }).await?;
        store::publish_log::append(conn, &NewLogEntry::post(post.workspace_id, id, "post.accepted")).await?;
        Ok(())
    })
    .await?;
    state.committed();
    Ok(())
}

async fn command(state: &AppState, cmd: SchedulerCommandV1) -> ApiResult<()> {
    let timeout = Duration::from_millis(state.config.command_timeout_ms);
    match state.rpc.call::<_, CommandReplyV1>(&state.names.scheduler_rpc(), &cmd, timeout).await? {
        CommandReplyV1::Done => Ok(()),
        CommandReplyV1::NotFound => Err(ApiError::post_not_found()),
        CommandReplyV1::Conflict { detail } => Err(ApiError::Conflict(detail)),
    }
}

/// `POST /api/posts/{id}/cancel`: decided by the scheduler, so a cancel that races the
/// dispatch either wins (no provider call ever) or loses with 409.
#[utoipa::path(
    post, path = "/api/posts/{id}/cancel", operation_id = "cancel_post", tag = "posts", params(("id" = Uuid, Path, description = "Post id"), ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to this key for 24 h")),
    responses((status = 200, description = "Canceled before any delivery started", body = crate::openapi::PostEnvelope), (status = 403, description = "The key is read-only", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "No such post for this key", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "Delivery has started, or the post is not scheduled", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn cancel(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = post_id(&id)?;
    cancel_post(&state, &caller, id).await?;
    let mut conn = state.pool.get().await?;
    Ok(HttpResponse::Ok().json(read_back(&state, &mut conn, id).await?))
}

pub(crate) async fn cancel_post(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<()> {
    caller.require_write()?;
    let mut conn = state.pool.get().await?;
    let post = posts::find_visible(&mut conn, &caller.scope, id, false).await?.ok_or_else(ApiError::post_not_found)?;
    if post.status == "draft" {
        return Err(ApiError::Conflict("Drafts are not canceled; delete the draft instead.".into()));
    }
    command(state, SchedulerCommandV1::Cancel { post_id: id }).await
}

/// A manual retry of a failed delivery (the dashboard's; the public API has none, as the
/// contract says). The scheduler decides it, like a cancel.
pub(crate) async fn retry_delivery(state: &AppState, caller: &Caller, id: Uuid, delivery_id: Uuid) -> ApiResult<()> {
    caller.require_write()?;
    let mut conn = state.pool.get().await?;
    posts::find_visible(&mut conn, &caller.scope, id, false).await?.ok_or_else(ApiError::post_not_found)?;
    command(state, SchedulerCommandV1::RetryDelivery { post_id: id, delivery_id }).await
}

/// `DELETE /api/posts/{id}`: drafts only, gone for good.
#[utoipa::path(
    delete, path = "/api/posts/{id}", operation_id = "delete_draft", tag = "posts", params(("id" = Uuid, Path, description = "Post id"), ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to this key for 24 h")),
    responses((status = 204, description = "The draft is gone"), (status = 403, description = "The key is read-only", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "No such post for this key", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "Not a draft", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn delete(state: web::Data<AppState>, caller: Caller, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = post_id(&id)?;
    delete_draft(&state, &caller, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn delete_draft(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<()> {
    caller.require_write()?;
    let mut conn = state.pool.get().await?;
    conn.transaction::<(), ApiError, _>(async |conn| {
        let post = posts::find_visible(conn, &caller.scope, id, true).await?.ok_or_else(ApiError::post_not_found)?;
        if post.status != "draft" || !posts::delete_draft(conn, id).await? {
            return Err(ApiError::Conflict(format!("Only drafts can be deleted; this post is {}.", post.status)));
        }
        Ok(())
    })
    .await
}

/// `PATCH /api/posts/{id}` (contract decision 6): drafts are editable; a scheduled post
/// whose deliveries have not started may change its time, body, media and options.
#[utoipa::path(
    patch, path = "/api/posts/{id}", operation_id = "update_post", tag = "posts", params(("id" = Uuid, Path, description = "Post id"), ("Idempotency-Key" = Option<String>, Header, description = "Replays the first answer to this key for 24 h")),
    request_body(content = crate::openapi::PostPatch),
    responses((status = 200, description = "The edited post", body = crate::openapi::PostEnvelope), (status = 403, description = "The key is read-only", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "No such post for this key", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "Not editable in this state", body = crate::openapi::Problem, content_type = "application/problem+json"), (status = 415, description = "Not JSON", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn patch(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require_write()?;
    let id = post_id(&id)?;
    let body = read_body(payload, state.config.max_body_bytes).await?;
    let patch = input::parse_patch(&require_json(&req, &body)?).map_err(ApiError::Validation)?;
    let mut conn = state.pool.get().await?;
    let post = posts::find_visible(&mut conn, &caller.scope, id, false).await?.ok_or_else(ApiError::post_not_found)?;
    let options = patch.provider_options.clone().map(Value::Object);
    match post.status.as_str() {
        "draft" => {
            if matches!(patch.scheduled_at, Some(Some(_))) {
                return Err(ApiError::field(
                    "post.scheduled_at",
                    "drafts cannot carry scheduled_at; publish the draft with a scheduled_at instead",
                ));
            }
            let profiles = match &patch.profiles {
                Some(ids) => Some(check_profiles(&mut conn, &caller, ids).await?),
                None => None,
            };
            let mut created = Vec::new();
            let media = match &patch.media {
                Some(m) => Some(own_media(&state, &mut conn, &caller, m, &mut created).await?),
                None => None,
            };
            let saved = conn
                .transaction::<(), ApiError, _>(async |conn| {
                    let edit = posts::Edit {
                        body: patch.body.as_ref().map(|b| b.as_deref()),
                        scheduled_at: None,
                        provider_options: options.as_ref(),
                    };
                    posts::find_visible(conn, &caller.scope, id, true).await?.ok_or_else(ApiError::post_not_found)?;
                    if !posts::edit(conn, id, "draft", edit).await? {
                        return Err(ApiError::Conflict("The post left draft while it was being edited.".into()));
                    }
                    if let Some(p) = &profiles {
                        posts::replace_deliveries(conn, id, p).await?;
                    }
                    if let Some(m) = &media {
                        posts::replace_media(conn, id, m).await?;
                    }
                    Ok(())
                })
                .await;
            if saved.is_err() {
                discard(&state, created).await;
            }
            saved?;
        }
        "scheduled" => {
            if patch.profiles.is_some() {
                return Err(ApiError::Conflict(
                    "The profiles of a scheduled post cannot change; cancel it and create a new post.".into(),
                ));
            }
            let mut created = Vec::new();
            let media = match &patch.media {
                Some(m) => Some(own_media(&state, &mut conn, &caller, m, &mut created).await?),
                None => None,
            };
            let view = posts::get(&mut conn, &caller.scope, id).await?.ok_or_else(ApiError::post_not_found)?;
            let ids: Option<Vec<Uuid>> = media.as_ref().map(|m| m.iter().map(|(id, _)| *id).collect());
            if let Err(e) = check_edited(&mut conn, &caller, &view, &patch, ids.as_deref()).await {
                discard(&state, created).await;
                return Err(e);
            }
            let done = command(
                &state,
                SchedulerCommandV1::UpdateScheduled {
                    post_id: id,
                    body: patch.body.clone(),
                    scheduled_at: patch.scheduled_at,
                    provider_options: patch.provider_options.clone(),
                    media: media.map(|m| m.into_iter().map(|(asset_id, alt)| MediaRefV1 { asset_id, alt }).collect()),
                },
            )
            .await;
            if done.is_err() {
                discard(&state, created).await;
            }
            done?;
        }
        "pending" => {
            return Err(ApiError::Conflict("The post is still pending; it can be edited once it is scheduled.".into()));
        }
        other => {
            return Err(ApiError::Conflict(format!(
                "Only drafts and scheduled posts whose deliveries have not started can be edited; this post is {other}."
            )));
        }
    }
    Ok(HttpResponse::Ok().json(read_back(&state, &mut conn, id).await?))
}
