//! The engagement inbox: what each connected account's audience said (filter by status,
//! type, platform; a page of 50 at a time), marked read or archived, answered from here
//! (the reply is a post of one delivery, published once), and polled now. The same
//! functions as `/api/inbox`.

use actix_web::{HttpRequest, HttpResponse, web};
use api_gateway::{app::AppState, error::ApiError};
use domain::inbox::{ItemKind, ItemStatus};
use maud::html;
use posting::inbox::Query;
use serde::Deserialize;

use super::{
    DashResult, after,
    form::Pairs,
    layout::{self, Page, badge, button_form, csrf, when},
    session::Session,
};

#[derive(Debug, Deserialize)]
pub struct InboxQuery {
    status: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    provider: Option<String>,
    cursor: Option<uuid::Uuid>,
}

fn some(v: &Option<String>) -> Option<String> {
    v.clone().filter(|s| !s.is_empty())
}

pub async fn page(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: Session,
    q: web::Query<InboxQuery>,
) -> DashResult<HttpResponse> {
    let caller = s.caller();
    let query = Query {
        status: some(&q.status),
        kind: some(&q.kind),
        provider: some(&q.provider),
        after: q.cursor,
        limit: Some(50),
        ..Query::default()
    };
    let page = state.posting.inbox_list(&caller, &query).await.map_err(ApiError::from)?;
    let selected = |v: &Option<String>, this: &str| v.as_deref() == Some(this);
    let next = page.cursor.map(|c| {
        let mut url = format!("/dashboard/inbox?cursor={c}");
        for (k, v) in [("status", &q.status), ("type", &q.kind), ("provider", &q.provider)] {
            if let Some(v) = some(v) {
                url.push_str(&format!("&{k}={v}"));
            }
        }
        url
    });
    let body = html! {
        form.filters method="get" action="/dashboard/inbox" data-test="inbox-filters" {
            label { "Status" select name="status" {
                option value="" { "any" }
                @for st in ItemStatus::ALL { option value=(st.as_str()) selected[selected(&q.status, st.as_str())] { (st.as_str()) } }
            } }
            label { "Type" select name="type" {
                option value="" { "any" }
                @for k in ItemKind::ALL { option value=(k.as_str()) selected[selected(&q.kind, k.as_str())] { (k.as_str()) } }
            } }
            label { "Platform" select name="provider" {
                option value="" { "any" }
                @for p in domain::Provider::ALL { option value=(p.as_str()) selected[selected(&q.provider, p.as_str())] { (p.display_name()) } }
            } }
            button type="submit" { "Filter" }
        }
        (button_form(&s, "/dashboard/inbox/poll", "Fetch new items now", ""))
        @if page.items.is_empty() { p.muted { "Nothing here. Comments, mentions and messages to your accounts arrive as the collector reads them." } }
        @for i in &page.items {
            div.card data-test="inbox-item" data-status=(i.status) {
                strong { (i.from_name.as_deref().or(i.from_username.as_deref()).unwrap_or("someone")) }
                @if let Some(u) = &i.from_username { " " span.muted { "@" (u) } }
                " " (badge(&i.kind)) " " (badge(&i.status))
                " " span class={ "badge priority-" (i.priority) } data-test="priority" { (i.priority) }
                @if let Some(m) = &i.sentiment { " " span class={ "badge sentiment-" (m) } data-test="sentiment" { (m) } }
                p data-test="content" { (i.content) }
                p.muted {
                    (i.provider) " · " (when(Some(i.received_at)))
                    @if let Some(url) = &i.platform_url { " · " a href=(url) rel="noopener noreferrer" { "on the platform" } }
                    @if let Some(p) = i.post_id { " · about " a href={ "/dashboard/posts/" (p) } { "your post" } }
                }
                @if i.status != "read" { (button_form(&s, &format!("/dashboard/inbox/{}/read", i.id), "Mark read", "")) }
                @if i.status != "archived" { (button_form(&s, &format!("/dashboard/inbox/{}/archived", i.id), "Archive", "")) }
                @if i.can_reply {
                    form.stack method="post" action={ "/dashboard/inbox/" (i.id) "/reply" } data-test="reply-form" {
                        (csrf(&s))
                        label { "Reply" textarea name="text" rows="2" required {} }
                        button type="submit" { "Send reply" }
                    }
                }
            }
        }
        @if let Some(n) = next { p { a href=(n) data-test="next-page" { "Older items" } } }
    };
    Ok(layout::page(&req, &s, Page::new("Inbox", "inbox"), body))
}

pub async fn act(
    state: web::Data<AppState>,
    s: Session,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> DashResult<HttpResponse> {
    let form = Pairs::read(&body, &s)?;
    let (id, action) = path.into_inner();
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return after("/dashboard/inbox", Err(ApiError::NotFound(api_gateway::error::Missing::InboxItem)));
    };
    let caller = s.caller();
    let outcome = match action.as_str() {
        "reply" => state
            .posting
            .inbox_reply(&caller, id, &form.one("text"), None)
            .await
            .map(|_| "Reply accepted; the item is marked replied once it is public.".to_owned()),
        "read" | "archived" | "unread" => {
            state.posting.inbox_update(&caller, id, Some(&action), None).await.map(|_| format!("Marked {action}."))
        }
        _ => Err(posting::PostingError::InboxItemNotFound),
    };
    after("/dashboard/inbox", outcome.map_err(ApiError::from))
}

pub async fn poll(state: web::Data<AppState>, s: Session, body: web::Bytes) -> DashResult<HttpResponse> {
    Pairs::read(&body, &s)?;
    let outcome = state.posting.inbox_poll(&s.caller()).await.map(|p| match p.polled {
        true => format!("Polled: {} new item(s).", p.new_items),
        false => format!("Still polling; {} new item(s) so far.", p.new_items),
    });
    after("/dashboard/inbox", outcome.map_err(ApiError::from))
}
