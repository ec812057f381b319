//! Signing in and out, the first user's sign-up, and joining through an invitation.

use actix_web::{HttpRequest, HttpResponse, web};
use diesel_async::AsyncConnection;
use maud::html;
use serde::Deserialize;
use uuid::Uuid;

use super::{
    DashError, DashResult,
    flash::{self, Flash},
    layout, see_other,
    session::{self, MIN_PASSWORD, Session},
};
use api_gateway::{app::AppState, error::ApiError};

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only a dashboard path: never a redirect to another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/dashboard") && !n.starts_with("//") => n.to_owned(),
        _ => "/dashboard/posts".into(),
    }
}

pub async fn login_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<NextQuery>,
) -> DashResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let first_run = !store::users::any_exist(&mut conn).await?;
    let (token, cookie) = session::pre_token(&req);
    let page = layout::public(
        &req,
        "Sign in",
        html! {
            form.stack method="post" action="/dashboard/login" {
                input type="hidden" name="csrf_token" value=(token);
                input type="hidden" name="next" value=(safe_next(q.next.as_deref()));
                label { "E-mail" input type="email" name="email" autocomplete="username" required autofocus; }
                label { "Password" input type="password" name="password" autocomplete="current-password" required; }
                button type="submit" { "Sign in" }
            }
            @if first_run {
                p { "No one has signed up yet. " a href="/dashboard/signup" { "Create the first account" } "." }
            } @else {
                p.muted { "New here? Ask a member of your workspace for an invitation." }
            }
        },
    );
    with_cookie(page, cookie)
}

fn with_cookie(mut page: HttpResponse, cookie: Option<actix_web::cookie::Cookie<'static>>) -> DashResult<HttpResponse> {
    if let Some(c) = cookie {
        page.add_cookie(&c).map_err(|e| DashError::Internal(e.to_string()))?;
    }
    Ok(page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf_token: String,
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> DashResult<HttpResponse> {
    session::check_pre(&req, &form.csrf_token)?;
    if let Err(e) = state.limiter.sign_in(&form.email) {
        let wait = e.retry_after.as_secs() + 1;
        return Ok(flash::redirect(
            "/dashboard/login",
            Flash::Error(format!("Too many sign-in attempts for this address; try again in {wait} s.")),
        ));
    }
    let mut conn = state.pool.get().await?;
    // Sessions end by themselves; sign-ins are a good moment to drop the dead ones.
    store::sessions::delete_expired(&mut conn).await?;
    let user = store::users::by_email(&mut conn, form.email.trim()).await?;
    // No connection is held while argon2 runs.
    drop(conn);
    let matches = session::check_password(&form.password, user.as_ref().map(|u| u.password_hash.as_str())).await?;
    let user = match user {
        Some(u) if matches => u,
        _ => return Ok(wrong()),
    };
    let mut conn = state.pool.get().await?;
    let Some(first) = store::users::memberships(&mut conn, user.id).await?.into_iter().next() else {
        return Ok(flash::redirect(
            "/dashboard/login",
            Flash::Error("This account belongs to no workspace any more.".into()),
        ));
    };
    let cookie = session::start(&state, user.id, first.workspace_id).await?;
    tracing::info!(user_id = %user.id, "signed in");
    let mut resp = see_other(&safe_next(form.next.as_deref()));
    resp.add_cookie(&cookie).map_err(|e| DashError::Internal(e.to_string()))?;
    Ok(resp)
}

fn wrong() -> HttpResponse {
    flash::redirect("/dashboard/login", Flash::Error("Wrong e-mail address or password.".into()))
}

pub async fn logout(
    state: web::Data<AppState>,
    s: Session,
    form: web::Form<session::CsrfForm>,
) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let mut conn = state.pool.get().await?;
    store::sessions::delete(&mut conn, &s.token_hash).await?;
    let mut resp = flash::redirect("/dashboard/login", Flash::Notice("Signed out.".into()));
    resp.add_cookie(&session::cleared(&state)).map_err(|e| DashError::Internal(e.to_string()))?;
    Ok(resp)
}

pub async fn signup_page(state: web::Data<AppState>, req: HttpRequest) -> DashResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    if store::users::any_exist(&mut conn).await? {
        return Ok(see_other("/dashboard/login"));
    }
    let (token, cookie) = session::pre_token(&req);
    let page = layout::public(
        &req,
        "Create the first account",
        html! {
            p.muted { "This account owns a new workspace; invite everyone else from its Team page." }
            form.stack method="post" action="/dashboard/signup" {
                input type="hidden" name="csrf_token" value=(token);
                label { "Workspace name" input type="text" name="workspace" required maxlength="100"; }
                label { "E-mail" input type="email" name="email" autocomplete="username" required; }
                label { "Password (at least " (MIN_PASSWORD) " characters)" input type="password" name="password" autocomplete="new-password" required minlength=(MIN_PASSWORD); }
                button type="submit" { "Create account" }
            }
        },
    );
    with_cookie(page, cookie)
}

#[derive(Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    csrf_token: String,
    workspace: String,
    email: String,
    password: String,
}

pub fn is_email(email: &str) -> bool {
    email.len() <= 254 && email.find('@').is_some_and(|i| i > 0 && i + 1 < email.len())
}

pub fn check_account(email: &str, password: &str) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if !is_email(email) {
        errors.push(domain::input::FieldError::new("email", "must be an e-mail address"));
    }
    if password.chars().count() < MIN_PASSWORD {
        errors
            .push(domain::input::FieldError::new("password", format!("must have at least {MIN_PASSWORD} characters")));
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Validation(errors)) }
}

/// Sign-up exists for the first person only; the check and the insert share a
/// transaction with a table lock, so two first sign-ups cannot both win.
pub async fn signup(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<SignupForm>,
) -> DashResult<HttpResponse> {
    session::check_pre(&req, &form.csrf_token)?;
    let email = form.email.trim();
    let name = form.workspace.trim();
    let checked = check_account(email, &form.password)
        .and_then(|()| if name.is_empty() { Err(ApiError::field("workspace", "must not be empty")) } else { Ok(()) });
    if let Err(e) = checked {
        return super::after("/dashboard/signup", Err(e));
    }
    let hash = session::hash_password_async(&form.password).await?;
    let (user_id, workspace_id) = (Uuid::now_v7(), domain::WorkspaceId::new());
    let mut conn = state.pool.get().await?;
    let created = conn
        .transaction::<bool, store::StoreError, _>(async |conn| {
            use diesel_async::RunQueryDsl;
            diesel::sql_query("LOCK TABLE users IN EXCLUSIVE MODE").execute(conn).await?;
            if store::users::any_exist(conn).await? {
                return Ok(false);
            }
            store::workspaces::insert(conn, workspace_id, name).await?;
            store::users::insert(conn, user_id, email, &hash).await?;
            store::users::add_member(conn, user_id, workspace_id, "owner").await?;
            Ok(true)
        })
        .await?;
    if !created {
        return Ok(flash::redirect("/dashboard/login", Flash::Error("An account exists already; sign in.".into())));
    }
    let cookie = session::start(&state, user_id, workspace_id).await?;
    let mut resp = flash::redirect("/dashboard/profiles", Flash::Notice("Welcome! Connect a profile to start.".into()));
    resp.add_cookie(&cookie).map_err(|e| DashError::Internal(e.to_string()))?;
    Ok(resp)
}

pub async fn invitation_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> DashResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let Some((inv, workspace)) =
        store::invitations::open_by_token(&mut conn, &api_gateway::auth::hash_key(&token)).await?
    else {
        return Ok(layout::public(
            &req,
            "Invitation",
            html! { p.error { "This invitation is used, expired or unknown." } },
        ));
    };
    let existing = store::users::by_email(&mut conn, &inv.email).await?.is_some();
    let (csrf, cookie) = session::pre_token(&req);
    let page = layout::public(
        &req,
        &format!("Join {workspace}"),
        html! {
            form.stack method="post" action={ "/dashboard/invitations/" (token.as_str()) } {
                input type="hidden" name="csrf_token" value=(csrf);
                label { "E-mail" input type="email" value=(inv.email) disabled; }
                @if existing {
                    p.muted { "You have an account: enter its password to add this workspace to it." }
                    label { "Password" input type="password" name="password" autocomplete="current-password" required; }
                } @else {
                    label { "Choose a password (at least " (MIN_PASSWORD) " characters)" input type="password" name="password" autocomplete="new-password" required minlength=(MIN_PASSWORD); }
                }
                button type="submit" { "Join " (workspace) }
            }
        },
    );
    with_cookie(page, cookie)
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    csrf_token: String,
    password: String,
}

pub async fn accept_invitation(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    form: web::Form<AcceptForm>,
) -> DashResult<HttpResponse> {
    session::check_pre(&req, &form.csrf_token)?;
    let here = format!("/dashboard/invitations/{}", token.as_str());
    let mut conn = state.pool.get().await?;
    let Some((inv, _)) = store::invitations::open_by_token(&mut conn, &api_gateway::auth::hash_key(&token)).await?
    else {
        return Ok(flash::redirect(&here, Flash::Error("This invitation is used, expired or unknown.".into())));
    };
    let existing = store::users::by_email(&mut conn, &inv.email).await?;
    let matches = match &existing {
        Some(u) => session::check_password(&form.password, Some(&u.password_hash)).await?,
        None => false,
    };
    let user_id = match &existing {
        Some(u) if matches => u.id,
        Some(_) => return Ok(flash::redirect(&here, Flash::Error("Wrong password for this account.".into()))),
        None => {
            if let Err(e) = check_account(&inv.email, &form.password) {
                return super::after(&here, Err(e));
            }
            Uuid::now_v7()
        }
    };
    let hash = match existing {
        Some(_) => None,
        None => Some(session::hash_password_async(&form.password).await?),
    };
    let joined = conn
        .transaction::<bool, store::StoreError, _>(async |conn| {
            if !store::invitations::accept(conn, inv.id).await? {
                return Ok(false);
            }
            if let Some(hash) = &hash
                && !store::users::insert(conn, user_id, &inv.email, hash).await?
            {
                return Ok(false);
            }
            store::users::add_member(conn, user_id, inv.workspace_id, &inv.role).await?;
            Ok(true)
        })
        .await?;
    if !joined {
        return Ok(flash::redirect(&here, Flash::Error("This invitation was used meanwhile.".into())));
    }
    let cookie = session::start(&state, user_id, inv.workspace_id).await?;
    let mut resp = flash::redirect("/dashboard/posts", Flash::Notice("You joined the workspace.".into()));
    resp.add_cookie(&cookie).map_err(|e| DashError::Internal(e.to_string()))?;
    Ok(resp)
}
