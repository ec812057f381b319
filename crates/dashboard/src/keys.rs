//! API keys: created here with a permission and optional provider and profile scopes,
//! shown once, stored as a hash, never edited, revocable.

use actix_web::{HttpRequest, HttpResponse, web};
use domain::Provider;
use maud::{Markup, html};

use super::{
    DashResult, after,
    form::Pairs,
    layout::{self, Page, badge, button_form, csrf, when},
    session::{CsrfForm, Session},
};
use api_gateway::{app::AppState, error::ApiError, routes::request::path_id};

async fn render(
    state: &AppState,
    req: &HttpRequest,
    s: &Session,
    created: Option<(String, String)>,
) -> DashResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let keys = store::keys::list(&mut conn, s.workspace_id()).await?;
    let profiles = store::profiles::list(&mut conn, &s.caller().scope).await?;
    let name_of = |id: &domain::ProfileId| {
        profiles.iter().find(|(p, _)| p.id == *id).map(|(p, _)| p.name.clone()).unwrap_or_else(|| id.to_string())
    };
    let body = html! {
        @if let Some((name, key)) = &created {
            div.flash.notice role="status" {
                p { "Key " strong { (name) } " created. Copy it now: it is shown only once." }
                p.secret data-test="new-key" { (key) }
            }
        }
        @if keys.is_empty() { p.muted { "No keys yet." } } @else {
            table {
                thead { tr { th { "Name" } th { "Key" } th { "Permission" } th { "Policy" } th { "Providers" } th { "Profiles" } th { "Created" } th { "Last used" } th {} } }
                tbody {
                    @for k in &keys {
                        tr {
                            td { (k.name) }
                            td { code { (k.key_prefix) "…" } }
                            td { (k.permission) }
                            td data-test="key-policy" { (k.policy.replace('_', " ")) }
                            td { @match &k.providers { Some(p) => (p.join(", ")), None => span.muted { "all" } } }
                            td { @match &k.profile_ids { Some(p) => (p.iter().map(name_of).collect::<Vec<_>>().join(", ")), None => span.muted { "all" } } }
                            td { (when(Some(k.created_at))) }
                            td { (when(k.last_used_at)) }
                            td {
                                @if k.revoked_at.is_some() { (badge("revoked")) }
                                @else { (button_form(s, &format!("/dashboard/keys/{}/revoke", k.id), "Revoke", "danger")) }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Create a key" }
        form.stack method="post" action="/dashboard/keys" {
            (csrf(s))
            label { "Name" input type="text" name="name" required maxlength="100" placeholder="what will use it"; }
            fieldset {
                legend { "Permission" }
                label { input type="radio" name="permission" value="write" checked; "write (create, publish, cancel)" }
                label { input type="radio" name="permission" value="read"; "read only" }
            }
            fieldset {
                legend { "Policy" }
                label { input type="radio" name="policy" value="publish" checked; "publish (what its permission allows)" }
                label { input type="radio" name="policy" value="draft_only"; "draft only (creates and submits; never publishes or approves)" }
                label { input type="radio" name="policy" value="approval_required"; "approval required (everything it makes passes review; never approves its own)" }
            }
            fieldset {
                legend { "Providers (none ticked: all)" }
                @for p in Provider::ALL { label { input type="checkbox" name="providers" value=(p.as_str()); (p.display_name()) } }
            }
            (profile_boxes(&profiles))
            button type="submit" { "Create key" }
        }
        p.muted { "A post is visible to a key only when every one of its deliveries is inside the key's scope." }
    };
    Ok(layout::page(req, s, Page::new("API keys", "keys"), body))
}

fn profile_boxes(profiles: &[(store::models::ProfileRow, i64)]) -> Markup {
    html! {
        fieldset {
            legend { "Profiles (none ticked: all)" }
            @for (p, _) in profiles { label { input type="checkbox" name="profile_ids" value=(p.id); (p.name) " (" (p.provider) ")" } }
        }
    }
}

pub async fn page(state: web::Data<AppState>, req: HttpRequest, s: Session) -> DashResult<HttpResponse> {
    render(&state, &req, &s, None).await
}

/// Repeated checkbox names do not fit `web::Form`, so the body is read as pairs.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    s: Session,
    body: web::Bytes,
) -> DashResult<HttpResponse> {
    let form = Pairs::read(&body, &s)?;
    let profile_ids = form
        .many("profile_ids")
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.parse::<domain::ProfileId>()
                .map_err(|_| ApiError::field(format!("profile_ids[{i}]"), "must be a profile id"))
        })
        .collect::<Result<Vec<_>, _>>();
    let name = form.one("name");
    // The form ticks `publish` by default; a form without the field means the same.
    let policy = Some(form.one("policy")).filter(|p| !p.is_empty()).unwrap_or_else(|| "publish".to_owned());
    let outcome = match profile_ids {
        Ok(ids) => {
            let mut conn = state.pool.get().await?;
            let spec = api_gateway::auth::KeySpec {
                name: &name,
                permission: &form.one("permission"),
                providers: form.many("providers"),
                profile_ids: Some(ids).filter(|v| !v.is_empty()),
                policy: &policy,
            };
            api_gateway::auth::create_key(&mut conn, s.workspace_id(), spec).await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(key) => render(&state, &req, &s, Some((name.trim().to_owned(), key))).await,
        Err(e) => after("/dashboard/keys", Err(e)),
    }
}

pub async fn revoke(
    state: web::Data<AppState>,
    s: Session,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let not_found = || ApiError::NotFound(api_gateway::error::Missing::ApiKey);
    let id = path_id(&id, not_found)?;
    let mut conn = state.pool.get().await?;
    let outcome = if store::keys::revoke_in(&mut conn, s.workspace_id(), id).await? {
        // Refused by this gateway from now on; the others hear of it when it commits.
        state.keys.forget_where(|k| k.id == id);
        Ok("Key revoked: it is refused from now on.".to_owned())
    } else {
        Err(not_found())
    };
    after("/dashboard/keys", outcome)
}
