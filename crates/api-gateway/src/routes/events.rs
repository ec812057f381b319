//! `GET /api/events`: the event feed as Server-Sent Events, for callers without a public
//! URL. Each event's `id` is its feed position (given after its transaction committed, so
//! an event that commits late still comes after everything already sent); reconnect with
//! `Last-Event-ID` (or `?last_event_id=`) to resume exactly after it. A `post_id` filter starts at that post's
//! first event; without one the feed starts now.

use domain::PostId;

use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use store::KeyScope;

use crate::{
    app::AppState,
    auth::Caller,
    error::{ApiError, ApiResult},
    routes::request::QueryPairs,
    views,
};

const POLL: Duration = Duration::from_millis(200);
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How often an open feed checks that its key was not revoked.
const RECHECK_KEY: Duration = Duration::from_secs(2);

struct Cursor {
    state: web::Data<AppState>,
    scope: KeyScope,
    post_id: Option<PostId>,
    after: i64,
    last_sent: Instant,
    actor: crate::auth::Actor,
    key_checked: Instant,
}

fn frame(rows: &[store::models::PublishLogRow]) -> Bytes {
    let mut out = String::new();
    for r in rows {
        out.push_str(&format!(
            "id: {}\nevent: {}\ndata: {}\n\n",
            r.position.unwrap_or_default(),
            r.kind,
            serde_json::to_string(&views::log_entry(r)).unwrap_or_default()
        ));
    }
    Bytes::from(out)
}

#[utoipa::path(
    get, path = "/api/events", operation_id = "stream_events", tag = "events",
    params(("post_id" = Option<Uuid>, Query), ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event")),
    responses((status = 200, description = "Server-Sent Events; each `data` is a log entry", content_type = "text/event-stream", body = String))
)]
pub async fn stream(state: web::Data<AppState>, caller: Caller, req: HttpRequest) -> ApiResult<HttpResponse> {
    let q = QueryPairs::parse(&req)?;
    q.check_known(&["post_id", "last_event_id"])?;
    let post_id = q.uuids("post_id")?.and_then(|v| v.into_iter().next());
    let resume = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| q.one("last_event_id").map(str::to_owned));
    let after = match resume {
        Some(id) => id
            .trim()
            .parse::<i64>()
            .map_err(|_| ApiError::field("last_event_id", "is not an event id this feed sent"))?,
        None if post_id.is_some() => 0,
        None => {
            let mut conn = state.pool.get().await?;
            store::publish_log::latest_position(&mut conn, &caller.scope).await?
        }
    };
    let start = Cursor {
        state: state.clone(),
        scope: caller.scope.clone(),
        post_id,
        after,
        last_sent: Instant::now(),
        actor: caller.actor,
        key_checked: Instant::now(),
    };
    let events = futures_util::stream::unfold(start, |mut c| async move {
        loop {
            // A revoked key's feed ends within RECHECK_KEY.
            if c.key_checked.elapsed() >= RECHECK_KEY {
                c.key_checked = Instant::now();
                if let crate::auth::Actor::ApiKey(key_id) = c.actor
                    && let Ok(mut conn) = c.state.pool.get().await
                    && let Ok(false) = store::keys::is_active(&mut conn, key_id).await
                {
                    tracing::info!(%key_id, "event feed closed: its key was revoked");
                    return None;
                }
            }
            let rows = match c.state.pool.get().await {
                Ok(mut conn) => {
                    let _ = store::publish_log::sequence(&mut conn).await;
                    store::publish_log::list_after(&mut conn, &c.scope, c.post_id, c.after, 100)
                        .await
                        .unwrap_or_default()
                }
                Err(_) => Vec::new(),
            };
            if let Some(last) = rows.last().and_then(|r| r.position) {
                c.after = last;
                c.last_sent = Instant::now();
                return Some((Ok::<Bytes, actix_web::Error>(frame(&rows)), c));
            }
            if c.last_sent.elapsed() >= KEEP_ALIVE {
                c.last_sent = Instant::now();
                return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), c));
            }
            tokio::time::sleep(POLL).await;
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        // Compression would hold events back in its buffer.
        .insert_header(("Content-Encoding", "identity"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(events))
}
