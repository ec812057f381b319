//! Connecting a profile: OAuth authorization code with PKCE (the provider redirects back to
//! `/connect/callback`), or Bluesky's app password. Tokens are stored encrypted; a
//! reconnect of the same account updates its profile and makes it active again.

use domain::{ProfileId, WorkspaceId};

use chrono::Utc;
use domain::{Provider, secrets::SecretKey};
use providers::ProvidersConfig;
use providers::oauth::{self, Identity, OAuthError, Tokens};
use store::models::{NewProfile, ProfileRow};

use crate::error::ApiError;

/// Where providers send the browser back.
pub fn redirect_uri(public_url: &str) -> String {
    format!("{}/connect/callback", public_url.trim_end_matches('/'))
}

/// A connect flow to start.
pub struct Start<'a> {
    pub workspace_id: WorkspaceId,
    pub provider: Provider,
    /// Which account to sign in as, when the provider takes a hint.
    pub login_hint: Option<&'a str>,
    /// A local path to send the browser to afterwards; `None` answers with JSON.
    pub return_to: Option<&'a str>,
    /// Bind the flow to the browser that starts it (the dashboard). Only an operator's
    /// command line starts unbound flows: a link it prints may be handed to the account's
    /// owner on purpose.
    pub bind_browser: bool,
}

/// The cookie that binds a connect flow to its browser; sent only to the callback.
pub const BINDING_COOKIE: &str = "pm_connect";

/// A started flow: the provider's authorization URL, and the value the starting browser
/// must hold (as `BINDING_COOKIE`) when the provider sends it back.
pub struct Started {
    pub url: String,
    pub binding: Option<String>,
}

/// Starts a connect flow.
pub async fn start(
    conn: &mut store::Conn,
    providers: &ProvidersConfig,
    secrets: &SecretKey,
    public_url: &str,
    Start { workspace_id, provider, login_hint, return_to, bind_browser }: Start<'_>,
) -> Result<Started, ApiError> {
    let client = providers.oauth(provider);
    let (verifier, challenge) = oauth::pkce_pair();
    let state = oauth::random_state();
    let url = oauth::authorize_url(&client, &redirect_uri(public_url), &state, &challenge, login_hint)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let expires = Utc::now() + chrono::Duration::minutes(10);
    let binding = bind_browser.then(oauth::random_state);
    let binding_hash = binding.as_deref().map(crate::auth::hash_key);
    let verifier_enc = secrets.encrypt(&verifier);
    let flow = store::oauth::NewFlow {
        state: &state,
        workspace_id,
        provider: provider.as_str(),
        code_verifier_enc: &verifier_enc,
        expires_at: expires,
        return_to,
        browser_binding: binding_hash.as_deref(),
    };
    store::oauth::insert_state(conn, &flow).await?;
    Ok(Started { url, binding })
}

/// Whether the browser that came back holds the flow's binding (an unbound flow needs none).
fn same_browser(flow: &store::oauth::Flow, cookie: Option<&str>) -> bool {
    use subtle::ConstantTimeEq;
    match (&flow.browser_binding, cookie) {
        (None, _) => true,
        (Some(want), Some(got)) => bool::from(crate::auth::hash_key(got).as_bytes().ct_eq(want.as_bytes())),
        (Some(_), None) => false,
    }
}

fn refused(e: OAuthError) -> ApiError {
    ApiError::field("code", format!("the provider did not grant access: {e}"))
}

/// What the provider's redirect brought back, and the binding cookie the browser holds.
pub struct Returned<'a> {
    pub state: &'a str,
    pub code: &'a str,
    pub browser: Option<&'a str>,
}

/// Finishes a connect flow from the provider's redirect; returns the profile and where the
/// flow asked the browser to go next.
pub async fn complete(
    conn: &mut store::Conn,
    http: &reqwest::Client,
    providers: &ProvidersConfig,
    secrets: &SecretKey,
    public_url: &str,
    Returned { state, code, browser }: Returned<'_>,
) -> Result<(ProfileRow, Option<String>), ApiError> {
    let flow = store::oauth::take_state(conn, state)
        .await?
        .ok_or_else(|| ApiError::field("state", "unknown or expired; start the connection again"))?;
    if !same_browser(&flow, browser) {
        tracing::warn!(workspace_id = %flow.workspace_id, provider = %flow.provider, "a connect callback came back in another browser; refused");
        return Err(ApiError::field(
            "state",
            "this connection was started in another browser; start it again from the dashboard",
        ));
    }
    let provider: Provider = flow.provider.parse().map_err(|_| ApiError::Internal("stored provider".into()))?;
    let verifier = secrets.decrypt(&flow.code_verifier_enc).map_err(|e| ApiError::Internal(e.to_string()))?;
    let client = providers.oauth(provider);
    let tokens =
        oauth::exchange_code(http, &client, code, &verifier, &redirect_uri(public_url)).await.map_err(refused)?;
    let who = oauth::identity(http, &client, &tokens.access_token).await.map_err(refused)?;
    Ok((save(conn, secrets, flow.workspace_id, provider, who, tokens).await?, flow.return_to))
}

/// Connects a Bluesky account with a handle and an app password.
pub async fn bluesky(
    conn: &mut store::Conn,
    http: &reqwest::Client,
    providers: &ProvidersConfig,
    secrets: &SecretKey,
    workspace_id: WorkspaceId,
    identifier: &str,
    app_password: &str,
) -> Result<ProfileRow, ApiError> {
    let (tokens, who) = oauth::bluesky_session(http, providers, identifier, app_password).await.map_err(refused)?;
    save(conn, secrets, workspace_id, Provider::Bluesky, who, tokens).await
}

async fn save(
    conn: &mut store::Conn,
    secrets: &SecretKey,
    workspace_id: WorkspaceId,
    provider: Provider,
    who: Identity,
    tokens: Tokens,
) -> Result<ProfileRow, ApiError> {
    let profile = NewProfile {
        id: ProfileId::new(),
        workspace_id,
        provider,
        name: who.name,
        username: who.username,
        picture_url: who.picture_url,
        external_id: who.id,
        access_token: Some(secrets.encrypt(&tokens.access_token)),
        refresh_token: tokens.refresh_token.as_deref().map(|t| secrets.encrypt(t)),
        expires_at: tokens.expires_at(),
    };
    let row = store::profiles::upsert_connected(conn, &profile).await?;
    tracing::info!(profile_id = %row.id, provider = %provider, "profile connected");
    Ok(row)
}
