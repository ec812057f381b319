//! The dashboard, a library the gateway mounts under `/dashboard` on its own server (same
//! process, same state): the control plane for connections, credentials and people, while
//! the API stays the runtime surface. Pages are rendered on the server (maud); the one
//! script only turns a local date into UTC. Every post action calls the application layer
//! (`posting`) with the session as a write key over its workspace, so the rules and the
//! workflow are the API's; it never writes a status.

mod access;
mod activity;
mod analytics;
mod assets;
mod feeds;
mod flash;
mod form;
mod inbox;
mod keys;
mod layout;
mod planning;
mod posts;
mod profiles;
mod review;
pub mod session;
mod team;
mod webhooks;

use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
    web,
};

use api_gateway::error::ApiError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/dashboard")
            .wrap(actix_web::middleware::from_fn(layout::security_headers))
            .route("", web::get().to(|| async { see_other("/dashboard/posts") }))
            .route("/", web::get().to(|| async { see_other("/dashboard/posts") }))
            .route("/app.css", web::get().to(assets::css))
            .route("/app.js", web::get().to(assets::js))
            .route("/login", web::get().to(access::login_page))
            .route("/login", web::post().to(access::login))
            .route("/signup", web::get().to(access::signup_page))
            .route("/signup", web::post().to(access::signup))
            .route("/logout", web::post().to(access::logout))
            .route("/invitations/{token}", web::get().to(access::invitation_page))
            .route("/invitations/{token}", web::post().to(access::accept_invitation))
            .route("/workspace", web::post().to(team::switch_workspace))
            .route("/workspaces", web::post().to(team::create_workspace))
            .route("/team", web::get().to(team::page))
            .route("/team/invitations", web::post().to(team::invite))
            .route("/team/roles", web::post().to(team::set_role))
            .route("/profiles", web::get().to(profiles::page))
            .route("/profiles/connect", web::post().to(profiles::connect))
            .route("/profiles/bluesky", web::post().to(profiles::connect_bluesky))
            .route("/profiles/confirm", web::post().to(profiles::confirm))
            .route("/profiles/{id}/disconnect", web::post().to(profiles::disconnect))
            .route("/keys", web::get().to(keys::page))
            .route("/keys", web::post().to(keys::create))
            .route("/keys/{id}/revoke", web::post().to(keys::revoke))
            .route("/compose", web::get().to(posts::compose_page))
            .route("/compose", web::post().to(posts::compose))
            .route("/assist", web::post().to(posts::assist))
            .route("/posts", web::get().to(posts::list))
            .route("/posts/{id}", web::get().to(posts::detail))
            // Before `{action}`, which would take these paths.
            .route("/posts/{id}/review", web::post().to(review::step))
            .route("/posts/{id}/comments", web::post().to(review::comment))
            .route("/posts/{id}/{action}", web::post().to(posts::act))
            .route("/posts/{id}/deliveries/{delivery_id}/retry", web::post().to(posts::retry))
            .route("/log", web::get().to(activity::log))
            .route("/health", web::get().to(activity::health))
            .route("/webhooks", web::get().to(webhooks::page))
            .route("/webhooks", web::post().to(webhooks::create))
            .route("/webhooks/{id}/delete", web::post().to(webhooks::delete))
            .route("/review", web::get().to(review::queue))
            .route("/review-links", web::post().to(review::create_link))
            .route("/review-links/{id}/revoke", web::post().to(review::revoke_link))
            .route("/calendar", web::get().to(planning::calendar))
            .route("/analytics", web::get().to(analytics::page))
            .route("/inbox", web::get().to(inbox::page))
            .route("/inbox/poll", web::post().to(inbox::poll))
            .route("/inbox/{id}/{action}", web::post().to(inbox::act))
            .route("/feeds", web::get().to(feeds::page))
            .route("/feeds", web::post().to(feeds::create))
            .route("/feeds/{id}/{action}", web::post().to(feeds::act))
            .route("/campaigns", web::get().to(planning::campaigns))
            .route("/campaigns", web::post().to(planning::create_campaign))
            .route("/campaigns/{id}", web::get().to(planning::campaign))
            .route("/campaigns/{id}/schedule", web::post().to(planning::schedule))
            .route("/import", web::get().to(planning::import_page))
            .route("/import", web::post().to(planning::import))
            .route("/settings", web::get().to(review::settings_page))
            .route("/settings", web::post().to(review::save_settings)),
    );
    // A review link's pages: for clients without an account, outside the signed-in area.
    cfg.service(
        web::scope("/review")
            .wrap(actix_web::middleware::from_fn(layout::security_headers))
            .route("/{token}", web::get().to(review::link_page))
            .route("/{token}/posts/{id}", web::post().to(review::link_act)),
    );
}

pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to.to_owned())).finish()
}

/// Why a dashboard request could not be served. Form actions turn the API's refusals into
/// a message on the page they return to; these are what is left.
#[derive(Debug, thiserror::Error)]
pub enum DashError {
    #[error("sign in first")]
    SignIn { next: String },
    #[error("The form has expired or did not come from this dashboard; reload the page and try again.")]
    Csrf,
    #[error("{}", .0.detail())]
    Api(ApiError),
    /// The person's role does not reach this page or action.
    #[error("{0}")]
    Forbidden(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<ApiError> for DashError {
    fn from(e: ApiError) -> Self {
        DashError::Api(e)
    }
}

impl From<store::StoreError> for DashError {
    fn from(e: store::StoreError) -> Self {
        DashError::Api(e.into())
    }
}

impl ResponseError for DashError {
    fn status_code(&self) -> StatusCode {
        match self {
            DashError::SignIn { .. } => StatusCode::SEE_OTHER,
            DashError::Csrf | DashError::Forbidden(_) => StatusCode::FORBIDDEN,
            DashError::Api(e) => e.status_code(),
            DashError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            DashError::SignIn { next } => {
                let q = serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
                return see_other(&format!("/dashboard/login?{q}"));
            }
            DashError::Internal(cause) | DashError::Api(ApiError::Internal(cause)) => {
                tracing::error!(%cause, "dashboard request failed");
                "Something went wrong on our side; nothing was changed.".to_owned()
            }
            other => other.to_string(),
        };
        let status = self.status_code();
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(layout::bare(status.canonical_reason().unwrap_or("Error"), &message).into_string())
    }
}

pub type DashResult<T> = Result<T, DashError>;

/// After a form action: back to `to` with the outcome as a message. Refusals the user can
/// act on (validation, conflicts, permissions) become an error message; outages and
/// internal failures stay errors.
pub fn after(to: &str, outcome: Result<String, ApiError>) -> DashResult<HttpResponse> {
    match outcome {
        Ok(notice) => Ok(flash::redirect(to, flash::Flash::Notice(notice))),
        Err(e @ (ApiError::Internal(_) | ApiError::Unavailable(_))) => Err(e.into()),
        Err(e) => Ok(flash::redirect(to, flash::Flash::Error(e.detail()))),
    }
}
