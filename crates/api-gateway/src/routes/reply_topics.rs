//! `GET/PUT /api/assistant/reply-topics`: the workspace's X engagement topics (what to
//! search for, how to answer), served to agents as the seed's `/x/reply-suggestions`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;
use store::reply_topics::ReplyTopic;

use crate::{
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult},
    routes::request::small_json,
    views::{NoMeta, Page},
};

const MAX_TOPICS: usize = 50;

#[utoipa::path(
    get, path = "/api/assistant/reply-topics", operation_id = "list_reply_topics", tag = "assistant",
    responses((status = 200, description = "The workspace's X engagement topics, in order", body = Page<crate::openapi::ReplyTopic, NoMeta>))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let topics = store::reply_topics::list(&mut conn, caller.scope.workspace_id).await?;
    Ok(HttpResponse::Ok().json(Page { data: topics, meta: NoMeta {} }))
}

/// Reads `topics[{topic, search_query, draft_reply, context?}]`, naming every problem.
fn parse(body: &Value) -> Result<Vec<ReplyTopic>, ApiError> {
    let Some(Value::Array(items)) = body.get("topics") else {
        return Err(ApiError::field("topics", "is required: an array of {topic, search_query, draft_reply, context}"));
    };
    if items.len() > MAX_TOPICS {
        return Err(ApiError::field("topics", format!("at most {MAX_TOPICS} topics")));
    }
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut text = |key: &str, max: usize, required: bool| -> String {
            match item.get(key) {
                Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= max => s.trim().to_owned(),
                None | Some(Value::Null) if !required => String::new(),
                _ => {
                    let what = if required { "is required: " } else { "" };
                    errors.push(domain::input::FieldError::new(
                        format!("topics[{i}].{key}"),
                        format!("{what}a string of 1 to {max} characters"),
                    ));
                    String::new()
                }
            }
        };
        let topic = ReplyTopic {
            topic: text("topic", 200, true),
            search_query: text("search_query", 500, true),
            draft_reply: text("draft_reply", 280, true),
            context: text("context", 2000, false),
        };
        out.push(topic);
    }
    if errors.is_empty() { Ok(out) } else { Err(ApiError::Validation(errors)) }
}

#[utoipa::path(
    put, path = "/api/assistant/reply-topics", operation_id = "set_reply_topics", tag = "assistant",
    request_body(content = crate::openapi::ReplyTopicsBody),
    responses((status = 200, description = "The topics as stored", body = Page<crate::openapi::ReplyTopic, NoMeta>), (status = 403, description = "A read-only or scoped key", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
pub async fn replace(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require_write()?;
    caller.require_whole_workspace()?;
    let topics = parse(&small_json(&req, payload).await?)?;
    let mut conn = state.pool.get().await?;
    store::reply_topics::replace(&mut conn, caller.scope.workspace_id, &topics).await?;
    let stored = store::reply_topics::list(&mut conn, caller.scope.workspace_id).await?;
    Ok(HttpResponse::Ok().json(Page { data: stored, meta: NoMeta {} }))
}
