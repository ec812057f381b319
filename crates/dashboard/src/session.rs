//! Dashboard sign-in: argon2 password hashes, a random session cookie (only its SHA-256 is
//! stored), and a CSRF token per session that every form carries back.

use domain::WorkspaceId;

use std::future::Future;
use std::pin::Pin;

use actix_web::{
    FromRequest, HttpRequest,
    cookie::{Cookie, SameSite, time::Duration as CookieDuration},
    dev::Payload,
    web,
};
use chrono::Utc;
use store::{KeyScope, sessions::SessionRow};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::DashError;
use api_gateway::{
    app::AppState,
    auth::{
        Caller,
        passwords::{burn_a_check, hash_password, random_token, verify_password},
    },
};

pub const COOKIE: &str = "pm_session";
const LIFETIME_HOURS: i64 = 12;
pub const MIN_PASSWORD: usize = 10;

/// Runs argon2 on the blocking pool, a few at a time: each check is ~50 ms of CPU, and on
/// the async executor a flood of sign-ins would stall every request of the gateway.
async fn off_executor<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, DashError> {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let slots = SLOTS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
    });
    let _slot = slots.acquire().await.map_err(|e| DashError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(work).await.map_err(|e| DashError::Internal(e.to_string()))
}

/// `hash_password` off the async executor.
pub async fn hash_password_async(password: &str) -> Result<String, DashError> {
    let password = password.to_owned();
    off_executor(move || hash_password(&password)).await?.map_err(DashError::Internal)
}

/// Whether `password` matches `stored`, off the async executor. With no stored hash (an
/// unknown address) it spends the same time on a dummy, so timing tells nothing.
pub async fn check_password(password: &str, stored: Option<&str>) -> Result<bool, DashError> {
    let (password, stored) = (password.to_owned(), stored.map(str::to_owned));
    off_executor(move || match stored {
        Some(h) => verify_password(&password, &h),
        None => {
            burn_a_check(&password);
            false
        }
    })
    .await
}

/// Starts a session for a user in a workspace; returns the cookie to set.
pub async fn start(state: &AppState, user_id: Uuid, workspace_id: WorkspaceId) -> Result<Cookie<'static>, DashError> {
    let token = random_token();
    let mut conn = state.pool.get().await?;
    let expires = Utc::now() + chrono::Duration::hours(LIFETIME_HOURS);
    store::sessions::insert(
        &mut conn,
        &api_gateway::auth::hash_key(&token),
        user_id,
        workspace_id,
        &random_token(),
        expires,
    )
    .await?;
    Ok(cookie(state, token, CookieDuration::hours(LIFETIME_HOURS)))
}

fn cookie(state: &AppState, value: String, max_age: CookieDuration) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path("/")
        .http_only(true)
        // Lax, not Strict: the browser comes back from a provider's consent page with a
        // top-level GET, and must still be signed in then.
        .same_site(SameSite::Lax)
        .secure(state.config.public_url.starts_with("https://"))
        .max_age(max_age)
        .finish()
}

pub fn cleared(state: &AppState) -> Cookie<'static> {
    cookie(state, String::new(), CookieDuration::ZERO)
}

/// The signed-in person, in the workspace the session is on.
#[derive(Debug, Clone)]
pub struct Session {
    pub row: SessionRow,
    pub token_hash: String,
    /// The person's role in the session's workspace: `owner | admin | editor | client`.
    pub role: String,
}

/// What a role reaches in the dashboard. The application layer checks every change again
/// (a client's caller may only review); this keeps people off pages that are not theirs.
fn reaches(role: &str, method: &actix_web::http::Method, path: &str) -> bool {
    let write = method != actix_web::http::Method::GET;
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    match role {
        "owner" | "admin" => true,
        "client" => ["/dashboard/posts", "/dashboard/review", "/dashboard/logout", "/dashboard/workspace"]
            .iter()
            .any(|p| under(p)),
        // Editors write posts and share them for review; they do not run the workspace.
        _ => {
            !(under("/dashboard/keys")
                || under("/dashboard/webhooks")
                || (write && (under("/dashboard/team") || under("/dashboard/settings"))))
        }
    }
}

impl Session {
    /// A session acts with write permission over its whole workspace: the same functions
    /// as the API run for it, with the same checks.
    pub fn caller(&self) -> Caller {
        let mut caller = posting::Caller::new(
            api_gateway::auth::Actor::Person(self.row.user_id),
            KeyScope::workspace(self.row.workspace_id),
            true,
        );
        caller.policy = posting::Policy::of_role(&self.role);
        Caller(caller)
    }

    pub fn workspace_id(&self) -> WorkspaceId {
        self.row.workspace_id
    }

    pub fn csrf(&self) -> &str {
        &self.row.csrf_token
    }

    /// Every state-changing form carries the session's token back.
    pub fn check_csrf(&self, sent: &str) -> Result<(), DashError> {
        if bool::from(sent.as_bytes().ct_eq(self.row.csrf_token.as_bytes())) { Ok(()) } else { Err(DashError::Csrf) }
    }
}

impl FromRequest for Session {
    type Error = DashError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req.cookie(COOKIE).map(|c| c.value().to_owned()).filter(|v| !v.is_empty());
        let next = req.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
        let (method, path) = (req.method().clone(), req.path().to_owned());
        Box::pin(async move {
            let state = state.ok_or_else(|| DashError::Internal("state missing".into()))?;
            let token = token.ok_or(DashError::SignIn { next: next.clone() })?;
            let token_hash = api_gateway::auth::hash_key(&token);
            let mut conn = state.pool.get().await?;
            let row =
                store::sessions::find(&mut conn, &token_hash).await?.ok_or(DashError::SignIn { next: next.clone() })?;
            // A session outlives a membership only until this check: no role, no access.
            let role = store::users::role(&mut conn, row.user_id, row.workspace_id)
                .await?
                .ok_or(DashError::SignIn { next: next.clone() })?;
            if !reaches(&role, &method, &path) {
                return Err(DashError::Forbidden(format!("This page is not open to a workspace {role}.")));
            }
            Ok(Session { row, token_hash, role })
        })
    }
}

/// The body of a one-button form: only the CSRF token.
#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf_token: String,
}

/// Before there is a session (sign-in, sign-up, joining), forms are protected by a double
/// submit: a random cookie, and the same value in the form. Another site can make a
/// browser post a form but can neither read nor set this cookie, so it cannot sign a
/// victim in to an account of its choosing.
pub const PRE_COOKIE: &str = "pm_presession";

/// The token for a public form, and the cookie to set when the browser has none yet.
pub fn pre_token(req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    match req.cookie(PRE_COOKIE).map(|c| c.value().to_owned()).filter(|v| v.len() == 64) {
        Some(t) => (t, None),
        None => {
            let t = random_token();
            let c = Cookie::build(PRE_COOKIE, t.clone())
                .path("/dashboard")
                .http_only(true)
                .same_site(SameSite::Lax)
                .finish();
            (t, Some(c))
        }
    }
}

pub fn check_pre(req: &HttpRequest, sent: &str) -> Result<(), DashError> {
    match req.cookie(PRE_COOKIE) {
        Some(c) if c.value().len() == 64 && bool::from(c.value().as_bytes().ct_eq(sent.as_bytes())) => Ok(()),
        _ => Err(DashError::Csrf),
    }
}
