//! Review in the dashboard: the queue per stage, steps with a reason, comments with their
//! anchors highlighted, the diff between versions, the workspace's review settings, and
//! review links — made here, and opened by clients without an account at `/review/{token}`.

use actix_web::{HttpRequest, HttpResponse, web};
use domain::{PostId, Provider, ReviewAction, ReviewStatus};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;
use store::posts::{PostFilter, PostView};

use super::{
    DashError, DashResult, after,
    layout::{self, Page, badge, button_form, csrf, when},
    posts::excerpt,
    session::{CsrfForm, Session},
};
use api_gateway::{app::AppState, error::ApiError, routes::request::path_id};

/// The queue's tabs: where a post waits, and who moves it.
const STAGES: &[(ReviewStatus, &str)] = &[
    (ReviewStatus::QaReview, "QA review"),
    (ReviewStatus::ClientReview, "Client review"),
    (ReviewStatus::PendingApproval, "Pending approval"),
    (ReviewStatus::Regenerating, "Being rewritten"),
    (ReviewStatus::ChangesRequested, "Changes requested"),
];

/// The steps that apply to a post in `stage`: (action, button label, needs a reason).
fn steps_for(stage: Option<ReviewStatus>) -> &'static [(ReviewAction, &'static str, bool)] {
    use ReviewAction as A;
    match stage {
        Some(ReviewStatus::QaReview) => &[(A::QaApprove, "Approve (QA)", false), (A::QaReject, "Reject (QA)", true)],
        Some(ReviewStatus::ClientReview) => {
            &[(A::ClientApprove, "Approve (client)", false), (A::ClientReject, "Reject (client)", true)]
        }
        Some(ReviewStatus::PendingApproval) => &[(A::Approve, "Approve", false), (A::Reject, "Reject", false)],
        None | Some(ReviewStatus::ChangesRequested) => &[(A::Submit, "Submit for review", false)],
        _ => &[],
    }
}

/// The step forms for one post, on the version shown.
pub fn step_forms(s: &Session, v: &PostView, back: &str) -> Markup {
    let p = &v.post;
    let steps = steps_for(p.review);
    html! {
        @for (action, label, reason) in steps {
            form.inline.review-step method="post" action={ "/dashboard/posts/" (p.id) "/review" } {
                (csrf(s))
                input type="hidden" name="action" value=(action.as_str());
                input type="hidden" name="version" value=(p.version);
                input type="hidden" name="back" value=(back);
                @if *reason {
                    input type="text" name="reason" required maxlength="2000" placeholder="What should change?" aria-label="Reason";
                    button.danger type="submit" { (label) }
                } @else {
                    button type="submit" { (label) }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct QueueQuery {
    stage: Option<String>,
}

pub async fn queue(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: Session,
    q: web::Query<QueueQuery>,
) -> DashResult<HttpResponse> {
    let stage = q.stage.as_deref().and_then(|v| v.parse::<ReviewStatus>().ok()).unwrap_or(ReviewStatus::QaReview);
    let caller = s.caller();
    let mut conn = state.pool.get().await?;
    let mut counts = Vec::new();
    for (st, _) in STAGES {
        let f = PostFilter { reviews: Some(vec![st.as_str().to_owned()]), ..Default::default() };
        counts.push(store::posts::list(&mut conn, &caller.scope, &f, 1, 0).await?.1);
    }
    let f = PostFilter { reviews: Some(vec![stage.as_str().to_owned()]), ..Default::default() };
    let (posts, _) = store::posts::list(&mut conn, &caller.scope, &f, 100, 0).await?;
    drop(conn);
    let settings = state.posting.settings(&caller).await.map_err(ApiError::from)?;
    let links =
        if s.role == "client" { Vec::new() } else { state.posting.links(&caller).await.map_err(ApiError::from)? };
    let back = format!("/dashboard/review?stage={}", stage.as_str());
    let body = html! {
        p.muted {
            "This workspace requires "
            @match (settings.requires_qa_approval, settings.requires_client_approval) {
                (true, true) => "QA, then client approval",
                (true, false) => "QA approval",
                (false, true) => "client approval",
                (false, false) => "no review stage (a post's own requires_approval can ask for one)",
            }
            "; approved content is " (settings.delivery_mode.replace('_', " ")) ". "
            @if matches!(s.role.as_str(), "owner" | "admin") { a href="/dashboard/settings" { "Change" } }
        }
        nav.tabs {
            @for ((st, label), n) in STAGES.iter().zip(&counts) {
                a href={ "/dashboard/review?stage=" (st.as_str()) } class=[(*st == stage).then_some("active")] data-stage=(st.as_str()) {
                    (label) " " span.count { (n) }
                }
            }
        }
        @if posts.is_empty() { p.muted data-test="queue-empty" { "Nothing waits here." } } @else {
            table data-test="review-queue" {
                thead { tr { th { "Post" } th { "Platforms" } th { "Version" } th { "Rejections" } th { "Scheduled for" } th { "Step" } } }
                tbody {
                    @for v in &posts {
                        tr data-post=(v.post.id) {
                            td { a href={ "/dashboard/posts/" (v.post.id) } { (excerpt(v.post.body.as_deref())) } }
                            td { (v.deliveries.iter().map(|(d, _)| d.provider.display_name()).collect::<Vec<_>>().join(", ")) }
                            td { "v" (v.post.version) }
                            td { (v.post.rejection_count) }
                            td { (when(v.post.scheduled_at)) }
                            td { (step_forms(&s, v, &back)) }
                        }
                    }
                }
            }
        }
        @if s.role != "client" {
            h2 { "Review links" }
            p.muted { "A link lets a client without an account see posts as each platform will show them, approve or reject them with a reason, and comment. Make one from a post's page, or for a campaign here." }
            form.row method="post" action="/dashboard/review-links" {
                (csrf(&s))
                label { "Campaign" input type="text" name="campaign" required maxlength="100"; }
                label { "For" input type="text" name="label" required maxlength="100" placeholder="Acme marketing team"; }
                label { "Valid (hours)" input type="number" name="hours" min="1" max=(posting::MAX_LINK_HOURS) value=(posting::DEFAULT_LINK_HOURS); }
                button.secondary type="submit" { "Create link" }
            }
            (links_table(&s, &links))
        }
    };
    Ok(layout::page(&req, &s, Page::new("Review", "review"), body))
}

fn links_table(s: &Session, links: &[store::review_links::ReviewLink]) -> Markup {
    let now = chrono::Utc::now();
    html! {
        @if !links.is_empty() {
            table data-test="review-links" {
                thead { tr { th { "For" } th { "Opens" } th { "Created" } th { "Expires" } th {} } }
                tbody {
                    @for l in links {
                        tr {
                            td { (l.label) }
                            td {
                                @if let Some(p) = l.post_id { a href={ "/dashboard/posts/" (p) } { "a post" } }
                                @if let Some(c) = &l.campaign { "campaign " code { (c) } }
                            }
                            td { (when(Some(l.created_at))) " by " (l.created_by) }
                            td { (when(Some(l.expires_at))) }
                            td {
                                @if l.revoked_at.is_some() { (badge("revoked")) }
                                @else if l.expires_at < now { (badge("expired")) }
                                @else { (button_form(s, &format!("/dashboard/review-links/{}/revoke", l.id), "Revoke", "danger")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    csrf_token: String,
    action: String,
    #[serde(default)]
    reason: String,
    version: Option<i32>,
    #[serde(default)]
    back: String,
}

/// Only pages of this dashboard are gone back to.
fn back_to(back: &str, fallback: &str) -> String {
    if back.starts_with("/dashboard/") && !back.starts_with("//") { back.to_owned() } else { fallback.to_owned() }
}

pub async fn step(
    state: web::Data<AppState>,
    s: Session,
    id: web::Path<String>,
    form: web::Form<StepForm>,
) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let id: PostId = path_id(&id, ApiError::post_not_found)?;
    let here = back_to(&form.back, &format!("/dashboard/posts/{id}"));
    let Some(action) = api_gateway::routes::review::action(&form.action) else {
        return after(&here, Err(ApiError::field("action", "is not a review step")));
    };
    let reason = Some(form.reason.clone()).filter(|r| !r.trim().is_empty());
    let outcome = state
        .posting
        .review_version(&s.caller(), id, action, reason, form.version)
        .await
        .map_err(ApiError::from)
        .map(|()| format!("Done: {}.", action.as_str().replace('_', " ")));
    after(&here, outcome)
}

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    csrf_token: String,
    text: String,
    #[serde(default)]
    quote: String,
}

fn text_anchor(quote: &str) -> Option<Value> {
    let q = quote.trim();
    (!q.is_empty()).then(|| serde_json::json!({"type": "text", "text": q}))
}

pub async fn comment(
    state: web::Data<AppState>,
    s: Session,
    id: web::Path<String>,
    form: web::Form<CommentForm>,
) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let id: PostId = path_id(&id, ApiError::post_not_found)?;
    let anchor = text_anchor(&form.quote);
    let outcome = state
        .posting
        .comment_on(&s.caller(), id, &form.text, anchor.as_ref())
        .await
        .map_err(ApiError::from)
        .map(|_| "Comment added.".to_owned());
    after(&format!("/dashboard/posts/{id}#comments"), outcome)
}

/// The body with each live text anchor marked, numbered as its comment.
pub fn marked_body(body: &str, comments: &[store::review::Comment]) -> Markup {
    let mut spans: Vec<(usize, usize, usize)> = Vec::new();
    for (n, c) in comments.iter().enumerate() {
        let Some(a) = c.anchor.as_ref().filter(|_| !c.stale) else { continue };
        let Some(text) = a.get("text").and_then(Value::as_str).filter(|t| !t.is_empty()) else { continue };
        let near = a.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
        let found = body.match_indices(text).map(|(b, _)| b).min_by_key(|b| body[..*b].chars().count().abs_diff(near));
        if let Some(start) = found {
            let end = start + text.len();
            if spans.iter().all(|(s, e, _)| end <= *s || start >= *e) {
                spans.push((start, end, n + 1));
            }
        }
    }
    spans.sort_unstable();
    // (plain text before, the marked text, its comment's number)
    let mut pieces: Vec<(&str, &str, usize)> = Vec::with_capacity(spans.len());
    let mut at = 0;
    for (start, end, n) in spans {
        pieces.push((&body[at..start], &body[start..end], n));
        at = end;
    }
    let rest = &body[at..];
    html! {
        pre.body data-test="post-body" {
            @for (plain, marked, n) in &pieces {
                (plain)
                mark data-comment=(n) title={ "comment " (n) } { (marked) }
                sup { (n) }
            }
            (rest)
        }
    }
}

pub fn comments_section(s: &Session, v: &PostView, comments: &[store::review::Comment]) -> Markup {
    let base = format!("/dashboard/posts/{}", v.post.id);
    html! {
        h2 #comments { "Comments" }
        @if comments.is_empty() { p.muted { "No comments yet." } } @else {
            ol.comments data-test="comments" {
                @for c in comments {
                    li data-kind=(c.kind) {
                        @if c.kind != "comment" { (badge(&c.kind.replace('_', " "))) " " }
                        @if let Some(q) = c.anchor.as_ref().and_then(|a| a.get("text")).and_then(Value::as_str) {
                            q.anchor class=[c.stale.then_some("stale")] { (q) } @if c.stale { span.muted { " (no longer in the post)" } }
                        }
                        @if c.anchor.as_ref().and_then(|a| a.get("type")).and_then(Value::as_str).is_some_and(|t| t != "text") {
                            span.muted { "on a media item " }
                        }
                        p { (c.text) }
                        p.muted {
                            (c.author) " · " (when(Some(c.created_at)))
                            @if let Some(v) = c.version { " · on v" (v) }
                            @if c.picked_up_at.is_some() { " · picked up" }
                        }
                    }
                }
            }
        }
        form.stack method="post" action={ (base) "/comments" } {
            (csrf(s))
            label { "Quote (optional: the words the comment is about)" input type="text" name="quote" maxlength="400"; }
            label { "Comment" textarea name="text" required maxlength="2000" rows="3" {} }
            button.secondary type="submit" { "Add comment" }
        }
    }
}

/// What changed in the latest version, and every version's author and time.
pub fn versions_section(versions: &[store::versions::Version], approved: Option<i32>) -> Markup {
    let latest = versions.len().checked_sub(1).map(|i| &versions[i]);
    let previous = versions.len().checked_sub(2).map(|i| &versions[i]);
    let changes = match (previous, latest) {
        (Some(a), Some(b)) => posting::diff::changes(&a.content, &b.content),
        _ => Vec::new(),
    };
    html! {
        h2 { "Versions" }
        @if let (Some(a), Some(b)) = (previous, latest) {
            p { "What changed from v" (a.version) " to v" (b.version) ":" }
            @if changes.is_empty() { p.muted { "Nothing a reviewer sees." } }
            div.diff data-test="version-diff" {
                @for c in &changes {
                    div.change {
                        strong { (c.field) } ": "
                        @match &c.runs {
                            Some(runs) => {
                                @for r in runs {
                                    @match r.op {
                                        "delete" => del { (r.text) },
                                        "insert" => ins { (r.text) },
                                        _ => span { (r.text) },
                                    }
                                }
                            },
                            None => { del { (c.before) } " " ins { (c.after) } },
                        }
                    }
                }
            }
        }
        table {
            thead { tr { th { "Version" } th { "By" } th { "When" } th {} } }
            tbody {
                @for v in versions.iter().rev() {
                    tr { td { "v" (v.version) } td { (v.author) } td { (when(Some(v.created_at))) } td { @if approved == Some(v.version) { (badge("approved")) } } }
                }
            }
        }
    }
}

/// The review block of a post's page.
pub fn review_section(s: &Session, v: &PostView) -> Markup {
    let p = &v.post;
    html! {
        div.review data-test="review" {
            "Review "
            span data-test="review-status" { (badge(p.review.map_or("not in review", |r| r.as_str()))) }
            " · v" (p.version)
            @if let (Some(by), Some(ver)) = (&p.approved_by, p.approved_version) {
                " · approved v" (ver) " by " (by) " " (when(p.approved_at))
            }
            @if p.rejection_count > 0 { " · rejected " (p.rejection_count) "×" }
        }
        @if p.status == domain::PostStatus::Draft { div.actions { (step_forms(s, v, &format!("/dashboard/posts/{}", p.id))) } }
        @if s.role != "client" {
            details {
                summary { "Share for review (no account needed)" }
                form.row method="post" action="/dashboard/review-links" {
                    (csrf(s))
                    input type="hidden" name="post_id" value=(p.id);
                    label { "For" input type="text" name="label" required maxlength="100" placeholder="Acme marketing team"; }
                    label { "Valid (hours)" input type="number" name="hours" min="1" max=(posting::MAX_LINK_HOURS) value=(posting::DEFAULT_LINK_HOURS); }
                    button.secondary type="submit" { "Create link" }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    csrf_token: String,
    post_id: Option<String>,
    campaign: Option<String>,
    label: String,
    hours: Option<String>,
}

pub async fn create_link(
    state: web::Data<AppState>,
    s: Session,
    form: web::Form<LinkForm>,
) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let post = form.post_id.as_deref().filter(|p| !p.is_empty());
    let back = post.map_or("/dashboard/review".to_owned(), |p| format!("/dashboard/posts/{p}"));
    let target = match (post, form.campaign.as_deref().filter(|c| !c.trim().is_empty())) {
        (Some(p), _) => match uuid::Uuid::parse_str(p) {
            Ok(id) => posting::LinkTarget::Post(id.into()),
            Err(_) => return after(&back, Err(ApiError::field("post_id", "must be a post id"))),
        },
        (None, Some(c)) => posting::LinkTarget::Campaign(c.to_owned()),
        (None, None) => return after(&back, Err(ApiError::field("campaign", "is required"))),
    };
    let hours = match form.hours.as_deref().filter(|h| !h.is_empty()).map(str::parse::<i64>).transpose() {
        Ok(h) => h,
        Err(_) => return after(&back, Err(ApiError::field("hours", "must be a whole number"))),
    };
    let outcome = state.posting.create_link(&s.caller(), target, &form.label, hours).await.map_err(ApiError::from).map(
        |(link, token)| {
            let url = api_gateway::routes::review_links::link_url(&state, &token);
            format!(
                "Review link for {} created (shown once, valid until {}): {url}",
                link.label,
                link.expires_at.format("%Y-%m-%d %H:%M UTC")
            )
        },
    );
    after(&back, outcome)
}

pub async fn revoke_link(
    state: web::Data<AppState>,
    s: Session,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let missing = || ApiError::NotFound(api_gateway::error::Missing::ReviewLink);
    let id: uuid::Uuid = path_id(&id, missing)?;
    let outcome = match state.posting.revoke_link(&s.caller(), id).await.map_err(ApiError::from) {
        Ok(true) => Ok("Link revoked: it opens nothing from now on.".to_owned()),
        Ok(false) => Err(missing()),
        Err(e) => Err(e),
    };
    after("/dashboard/review", outcome)
}

pub async fn settings_page(state: web::Data<AppState>, req: HttpRequest, s: Session) -> DashResult<HttpResponse> {
    let st = state.posting.settings(&s.caller()).await.map_err(ApiError::from)?;
    let body = html! {
        form.stack method="post" action="/dashboard/settings" data-test="settings" {
            (csrf(&s))
            fieldset {
                legend { "Review stages" }
                label { input type="checkbox" name="requires_qa_approval" value="true" checked[st.requires_qa_approval]; "QA approval (staff)" }
                label { input type="checkbox" name="requires_client_approval" value="true" checked[st.requires_client_approval]; "Client approval" }
            }
            fieldset {
                legend { "Approved content is" }
                @for (mode, text) in [("auto_publish", "published (scheduled when dated)"), ("download_only", "kept in the vault for download, not published"), ("both", "published and kept in the vault")] {
                    label { input type="radio" name="delivery_mode" value=(mode) checked[st.delivery_mode == mode]; (text) }
                }
            }
            label { "Time zone (IANA)" input type="text" name="timezone" value=(st.timezone) required maxlength="64"; }
            button type="submit" { "Save settings" }
        }
    };
    Ok(layout::page(&req, &s, Page::new("Workspace settings", "review"), body))
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    csrf_token: String,
    requires_qa_approval: Option<String>,
    requires_client_approval: Option<String>,
    delivery_mode: String,
    timezone: String,
}

pub async fn save_settings(
    state: web::Data<AppState>,
    s: Session,
    form: web::Form<SettingsForm>,
) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let settings = store::review::Settings {
        requires_qa_approval: form.requires_qa_approval.is_some(),
        requires_client_approval: form.requires_client_approval.is_some(),
        delivery_mode: form.delivery_mode.clone(),
        timezone: form.timezone.trim().to_owned(),
    };
    let outcome = state
        .posting
        .save_settings(&s.caller(), settings)
        .await
        .map_err(ApiError::from)
        .map(|_| "Settings saved.".to_owned());
    after("/dashboard/settings", outcome)
}

// The review link's own pages: no session, the link's secret is the credential.

fn link_gone() -> DashError {
    DashError::Forbidden("This review link has expired or was revoked; ask for a new one.".into())
}

/// How each platform will show the post: its text for that platform, its length against
/// the platform's limit, and the media.
fn previews(v: &PostView, media_base: &str) -> Markup {
    let p = &v.post;
    let bodies = domain::input::PostDetails::bodies_from(&p.bodies);
    let texts =
        domain::platforms::Texts { body: p.body.as_deref(), bodies: &bodies, hashtags: &p.hashtags, thread: &[] };
    let mut providers: Vec<Provider> = v.deliveries.iter().map(|(d, _)| d.provider).collect();
    providers.dedup();
    html! {
        div.previews {
            @for pr in &providers {
                @let platform = domain::platforms::get(*pr);
                @let text = texts.for_provider(*pr).unwrap_or_default();
                @let used = domain::platforms::text_length(platform.text_counting, &text);
                div.preview data-provider=(pr.as_str()) {
                    p.platform { strong { (pr.display_name()) } " " span.muted { (used) " / " (platform.max_characters) } }
                    pre.body { (text) }
                    @for (m, a) in &v.media {
                        @if a.content_type.starts_with("image/") {
                            img src={ (media_base.trim_end_matches('/')) "/media/" (m.asset_id) } alt=(m.alt.clone().unwrap_or_default()) loading="lazy";
                        } @else { p.muted { "video: " (a.content_type) } }
                    }
                }
            }
        }
    }
}

pub async fn link_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> DashResult<HttpResponse> {
    let (link, caller) = state.posting.open_link(&token).await.map_err(ApiError::from)?.ok_or_else(link_gone)?;
    let posts = state.posting.link_posts(&link, &caller).await.map_err(ApiError::from)?;
    let mut comments = Vec::with_capacity(posts.len());
    for v in &posts {
        comments.push(state.posting.comments(&caller, v.post.id).await.map_err(ApiError::from)?);
    }
    let base = format!("/review/{}", token.as_str());
    let body = html! {
        p.muted { "For " strong { (link.label) } " · valid until " (when(Some(link.expires_at))) ". No account needed: what you do here is recorded under this link's name." }
        @if posts.is_empty() { p.muted { "There is nothing to review here any more." } }
        @for (v, cs) in posts.iter().zip(&comments) {
            @let p = &v.post;
            section.review-post data-post=(p.id) {
                h2 { "Post " span.muted { "v" (p.version) } " " (badge(p.review.map_or("not in review", |r| r.as_str()))) }
                p.muted { "Scheduled for " (when(p.scheduled_at)) }
                (previews(v, &state.config.public_url))
                @if matches!(p.review, Some(ReviewStatus::ClientReview | ReviewStatus::PendingApproval)) {
                    form.inline method="post" action={ (base) "/posts/" (p.id) } {
                        input type="hidden" name="verdict" value="approve";
                        input type="hidden" name="version" value=(p.version);
                        button type="submit" { "Approve" }
                    }
                    form.inline method="post" action={ (base) "/posts/" (p.id) } {
                        input type="hidden" name="verdict" value="reject";
                        input type="hidden" name="version" value=(p.version);
                        input type="text" name="text" required maxlength="2000" placeholder="What should change?" aria-label="Reason";
                        button.danger type="submit" { "Reject" }
                    }
                } @else if p.approved_version == Some(p.version) {
                    p { (badge("approved")) " This version is approved." }
                } @else {
                    p.muted { "Not waiting for your approval right now." }
                }
                @if !cs.is_empty() {
                    ol.comments { @for c in cs { li data-kind=(c.kind) { p { (c.text) } p.muted { (c.author) " · " (when(Some(c.created_at))) } } } }
                }
                form.stack method="post" action={ (base) "/posts/" (p.id) } {
                    input type="hidden" name="verdict" value="comment";
                    label { "Quote (optional)" input type="text" name="quote" maxlength="400"; }
                    label { "Comment" textarea name="text" required maxlength="2000" rows="2" {} }
                    button.secondary type="submit" { "Comment" }
                }
            }
        }
    };
    Ok(layout::public(&req, "Review", body))
}

#[derive(Deserialize)]
pub struct LinkActForm {
    verdict: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    quote: String,
    version: Option<i32>,
}

pub async fn link_act(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<LinkActForm>,
) -> DashResult<HttpResponse> {
    let (token, post) = path.into_inner();
    let (link, caller) = state.posting.open_link(&token).await.map_err(ApiError::from)?.ok_or_else(link_gone)?;
    let id: PostId = path_id(&post, ApiError::post_not_found)?;
    let here = format!("/review/{token}");
    let text = Some(form.text.clone()).filter(|t| !t.trim().is_empty());
    let outcome = match form.verdict.as_str() {
        "approve" => state
            .posting
            .link_verdict(&link, &caller, id, posting::Verdict::Approve, None, form.version)
            .await
            .map(|()| "Approved. Thank you.".to_owned()),
        "reject" => state
            .posting
            .link_verdict(&link, &caller, id, posting::Verdict::Reject, text, form.version)
            .await
            .map(|()| "Rejected; your reason was sent to the team.".to_owned()),
        "comment" => state
            .posting
            .link_comment(&link, &caller, id, &form.text, text_anchor(&form.quote).as_ref())
            .await
            .map(|_| "Comment added.".to_owned()),
        _ => return after(&here, Err(ApiError::field("verdict", "approve, reject or comment"))),
    };
    after(&here, outcome.map_err(ApiError::from))
}
