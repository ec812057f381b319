use actix_web::{HttpRequest, HttpResponse, web};

use store::publish_log::LogFilter;

use crate::{
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult},
    routes::request::QueryPairs,
    views::{self, CursorMeta, Page},
};

use domain::events::{self, PUBLISHING_LOG};

/// The Publishing Log: domain events, newest first, cursor-paginated.
#[utoipa::path(
    get, path = "/api/publish/logs", operation_id = "list_publish_logs", tag = "events",
    params(
        ("post_id" = Option<Uuid>, Query), ("profile_id" = Option<Uuid>, Query), ("provider" = Option<String>, Query),
        ("kind" = Option<String>, Query, description = "Comma-separated event kinds; the Publishing Log's by default"),
        ("since" = Option<DateTime<Utc>>, Query), ("until" = Option<DateTime<Utc>>, Query),
        ("cursor" = Option<String>, Query, description = "`meta.next_cursor` of the page before"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 200),
    ),
    responses((status = 200, description = "Newest first", body = views::Page<views::LogEntry, views::CursorMeta>))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller, req: HttpRequest) -> ApiResult<HttpResponse> {
    let q = QueryPairs::parse(&req)?;
    q.check_known(&["post_id", "profile_id", "provider", "kind", "since", "until", "cursor", "limit"])?;
    let kinds = q.many("kind");
    if let Some(bad) = kinds.iter().flatten().find(|k| !events::is_kind(k)) {
        return Err(ApiError::field(
            "kind",
            format!("`{bad}` is not a log kind; one of: {}", events::all().join(", ")),
        ));
    }
    let kinds = Some(kinds.unwrap_or_else(|| PUBLISHING_LOG.iter().map(|k| (*k).to_owned()).collect()));
    let provider = q.one("provider").map(str::to_owned);
    if let Some(p) = &provider {
        p.parse::<domain::Provider>().map_err(|e| ApiError::field("provider", e.to_string()))?;
    }
    let filter = LogFilter {
        post_id: q.uuids("post_id")?.and_then(|v| v.into_iter().next()),
        profile_id: q.uuids("profile_id")?.and_then(|v| v.into_iter().next()),
        provider,
        kinds,
        since: q.time("since")?,
        until: q.time("until")?,
        before_id: q
            .one("cursor")
            .map(|c| c.parse::<i64>().map_err(|_| ApiError::field("cursor", "is not a cursor this API returned")))
            .transpose()?,
    };
    let limit = q.int("limit", 50, 1, 200)?;
    let mut conn = state.pool.get().await?;
    let rows = store::publish_log::list(&mut conn, &caller.scope, &filter, limit).await?;
    let next = (rows.len() as i64 == limit).then(|| rows.last().map(|r| r.id.to_string())).flatten();
    Ok(HttpResponse::Ok().json(Page {
        data: rows.iter().map(views::log_entry).collect(),
        meta: CursorMeta { limit, next_cursor: next },
    }))
}
