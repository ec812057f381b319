//! The people of a workspace, invitations, and the workspaces a person can switch between.

use domain::WorkspaceId;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use maud::html;
use serde::Deserialize;

use super::{
    DashResult, after,
    layout::{self, Page, csrf, when},
    session::Session,
};
use api_gateway::{app::AppState, error::ApiError};

const INVITATION_DAYS: i64 = 7;
/// The roles a member can be given (a workspace's owner is the one who made it).
const ASSIGNABLE: &[&str] = &["admin", "editor", "client"];

fn role_of(form_role: &str) -> Result<&'static str, ApiError> {
    ASSIGNABLE
        .iter()
        .find(|r| **r == form_role)
        .copied()
        .ok_or_else(|| ApiError::field("role", format!("must be one of {}", ASSIGNABLE.join(", "))))
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    csrf_token: String,
    email: String,
    role: String,
}

/// An owner or admin changes a member's role (not the owner's).
pub async fn set_role(state: web::Data<AppState>, s: Session, form: web::Form<RoleForm>) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let role = match role_of(&form.role) {
        Ok(r) => r,
        Err(e) => return after("/dashboard/team", Err(e)),
    };
    let mut conn = state.pool.get().await?;
    let outcome = if store::users::set_role(&mut conn, s.workspace_id(), form.email.trim(), role).await? {
        Ok(format!("{} is now {role}.", form.email.trim()))
    } else {
        Err(ApiError::field("email", "is not a member whose role can change (the owner's cannot)"))
    };
    after("/dashboard/team", outcome)
}

pub async fn page(state: web::Data<AppState>, req: HttpRequest, s: Session) -> DashResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let members = store::users::members(&mut conn, s.workspace_id()).await?;
    let invitations = store::invitations::list(&mut conn, s.workspace_id()).await?;
    let workspaces = store::users::memberships(&mut conn, s.row.user_id).await?;
    let manages = matches!(s.role.as_str(), "owner" | "admin");
    let body = html! {
        h2 { "Members" }
        table {
            thead { tr { th { "E-mail" } th { "Role" } th { "Joined" } } }
            tbody {
                @for (email, role, joined) in &members {
                    tr data-test="member" {
                        td { (email) }
                        td {
                            @if role == "owner" || !manages { (role) } @else {
                                form.inline method="post" action="/dashboard/team/roles" {
                                    (csrf(&s))
                                    input type="hidden" name="email" value=(email);
                                    select name="role" aria-label={ "Role of " (email) } {
                                        @for r in ASSIGNABLE { option value=(r) selected[*r == role] { (r) } }
                                    }
                                    button.secondary type="submit" { "Change" }
                                }
                            }
                        }
                        td { (when(Some(*joined))) }
                    }
                }
            }
        }
        p.muted { "Owners and admins run the workspace (settings, keys, webhooks, team); editors write, publish and share posts for review; clients see posts and comments and approve or reject at the client stage, nothing else." }
        @if manages {
            h2 { "Invite someone" }
            form.row method="post" action="/dashboard/team/invitations" {
                (csrf(&s))
                label { "E-mail" input type="email" name="email" required; }
                label { "Role" select name="role" { @for r in ASSIGNABLE { option value=(r) selected[*r == "editor"] { (r) } } } }
                button type="submit" { "Create invitation link" }
            }
        }
        @if !invitations.is_empty() {
            table {
                thead { tr { th { "Invited" } th { "Role" } th { "Created" } th { "Expires" } th { "Status" } } }
                tbody {
                    @for i in &invitations {
                        tr {
                            td { (i.email) }
                            td { (i.role) }
                            td { (when(Some(i.created_at))) }
                            td { (when(Some(i.expires_at))) }
                            td { @if i.accepted_at.is_some() { (layout::badge("accepted")) } @else if i.expires_at < Utc::now() { (layout::badge("expired")) } @else { (layout::badge("open")) } }
                        }
                    }
                }
            }
        }
        h2 { "Workspaces" }
        p.muted { "Each workspace keeps its profiles, posts, media and keys apart from every other." }
        table {
            tbody {
                @for w in &workspaces {
                    tr {
                        td { (w.workspace_name) }
                        td { (w.role) }
                        td {
                            @if w.workspace_id == s.workspace_id() { span.muted { "current" } }
                            @else {
                                form.inline method="post" action="/dashboard/workspace" {
                                    (csrf(&s))
                                    input type="hidden" name="workspace_id" value=(w.workspace_id);
                                    button.secondary type="submit" { "Switch" }
                                }
                            }
                        }
                    }
                }
            }
        }
        form.row method="post" action="/dashboard/workspaces" {
            (csrf(&s))
            label { "New workspace" input type="text" name="name" required maxlength="100"; }
            button.secondary type="submit" { "Create and switch" }
        }
    };
    Ok(layout::page(&req, &s, Page::new("Team", "team"), body))
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    csrf_token: String,
    email: String,
    #[serde(default)]
    role: String,
}

/// The link is shown once to the person inviting (there is no mail server to send it);
/// only its hash is stored.
pub async fn invite(state: web::Data<AppState>, s: Session, form: web::Form<InviteForm>) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let email = form.email.trim();
    if !super::access::is_email(email) {
        return after("/dashboard/team", Err(ApiError::field("email", "must be an e-mail address")));
    }
    let role = match role_of(if form.role.is_empty() { "editor" } else { &form.role }) {
        Ok(r) => r,
        Err(e) => return after("/dashboard/team", Err(e)),
    };
    let token = api_gateway::auth::passwords::random_token();
    let mut conn = state.pool.get().await?;
    let expires = Utc::now() + chrono::Duration::days(INVITATION_DAYS);
    store::invitations::insert(
        &mut conn,
        s.workspace_id(),
        email,
        &api_gateway::auth::hash_key(&token),
        s.row.user_id,
        expires,
        role,
    )
    .await?;
    let link = format!("{}/dashboard/invitations/{token}", state.config.public_url.trim_end_matches('/'));
    after(
        "/dashboard/team",
        Ok(format!(
            "Invitation for {email} ({role}) created. Send this link (valid {INVITATION_DAYS} days, shown once): {link}"
        )),
    )
}

#[derive(Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    csrf_token: String,
    workspace_id: WorkspaceId,
}

pub async fn switch_workspace(
    state: web::Data<AppState>,
    s: Session,
    form: web::Form<SwitchForm>,
) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let mut conn = state.pool.get().await?;
    if !store::users::is_member(&mut conn, s.row.user_id, form.workspace_id).await? {
        return after(
            "/dashboard/team",
            Err(ApiError::field("workspace_id", "you are not a member of that workspace")),
        );
    }
    store::sessions::switch_workspace(&mut conn, &s.token_hash, form.workspace_id).await?;
    after("/dashboard/posts", Ok("Switched workspace.".into()))
}

#[derive(Deserialize)]
pub struct NewWorkspaceForm {
    #[serde(default)]
    csrf_token: String,
    name: String,
}

pub async fn create_workspace(
    state: web::Data<AppState>,
    s: Session,
    form: web::Form<NewWorkspaceForm>,
) -> DashResult<HttpResponse> {
    s.check_csrf(&form.csrf_token)?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return after("/dashboard/team", Err(ApiError::field("name", "must have 1 to 100 characters")));
    }
    let id = domain::WorkspaceId::new();
    let mut conn = state.pool.get().await?;
    let user_id = s.row.user_id;
    conn.transaction::<(), store::StoreError, _>(async |conn| {
        store::workspaces::insert(conn, id, name).await?;
        store::users::add_member(conn, user_id, id, "owner").await?;
        store::sessions::switch_workspace(conn, &s.token_hash, id).await
    })
    .await?;
    after("/dashboard/profiles", Ok(format!("Workspace \u{201c}{name}\u{201d} created.")))
}
