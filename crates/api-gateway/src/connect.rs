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
    /// Where the provider sends the browser back; `None`: `/connect/callback`.
    pub redirect_uri: Option<&'a str>,
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
    Start { workspace_id, provider, login_hint, return_to, bind_browser, redirect_uri: back }: Start<'_>,
) -> Result<Started, ApiError> {
    let client = providers.oauth(provider);
    let (verifier, challenge) = oauth::pkce_pair();
    let state = oauth::random_state();
    let back_to = back.map_or_else(|| redirect_uri(public_url), str::to_owned);
    let url = oauth::authorize_url(&client, &back_to, &state, &challenge, login_hint)
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
        redirect_uri: back,
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

/// What a finished flow made: the connected profile, or a choice of destinations that
/// waits under a nonce (`GET /api/v1/social/oauth/pending/{nonce}`).
pub enum Outcome {
    Connected(Box<ProfileRow>),
    Choose { nonce: String, provider: Provider, options: serde_json::Value },
}

pub struct Completed {
    pub outcome: Outcome,
    /// Where the flow asked the browser to go next.
    pub return_to: Option<String>,
}

/// How long a choice of destinations waits.
const PENDING_MINUTES: i64 = 30;

/// Finishes a connect flow from the provider's redirect.
pub async fn complete(
    conn: &mut store::Conn,
    http: &reqwest::Client,
    providers: &ProvidersConfig,
    secrets: &SecretKey,
    public_url: &str,
    Returned { state, code, browser }: Returned<'_>,
) -> Result<Completed, ApiError> {
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
    let back = flow.redirect_uri.clone().unwrap_or_else(|| redirect_uri(public_url));
    let tokens = oauth::exchange_code(http, &client, code, &verifier, &back).await.map_err(refused)?;
    let who = oauth::identity(http, &client, &tokens.access_token).await.map_err(refused)?;
    let destinations = oauth::destinations(http, providers, provider, &who, &tokens).await.map_err(refused)?;
    let outcome = if destinations.len() > 1 {
        let stored: Vec<serde_json::Value> = destinations
            .iter()
            .map(|d| {
                serde_json::json!({
                    "displayName": d.identity.name, "username": d.identity.username,
                    "platformAccountId": d.identity.id, "avatarUrl": d.identity.picture_url,
                    "accountType": d.kind,
                    "token": secrets.encrypt(&d.tokens.access_token),
                    "refresh": d.tokens.refresh_token.as_deref().map(|t| secrets.encrypt(t)),
                    "expiresIn": d.tokens.expires_in,
                    "platformMeta": d.meta,
                })
            })
            .collect();
        let nonce = oauth::random_state();
        let options = serde_json::Value::Array(stored);
        let pending = store::oauth::NewPending {
            nonce: &nonce,
            workspace_id: flow.workspace_id,
            provider: provider.as_str(),
            options: &options,
            return_to: flow.return_to.as_deref(),
            expires_at: Utc::now() + chrono::Duration::minutes(PENDING_MINUTES),
        };
        store::oauth::insert_pending(conn, &pending).await?;
        tracing::info!(workspace_id = %flow.workspace_id, provider = %provider, options = destinations.len(), "a connection waits for a choice of destinations");
        Outcome::Choose { nonce, provider, options: public_options(&options) }
    } else {
        let (who, tokens, kind, meta) = match destinations.into_iter().next() {
            Some(d) => (d.identity, d.tokens, d.kind, d.meta),
            None => (who, tokens, "personal".to_owned(), serde_json::Value::Null),
        };
        let row = save(conn, secrets, flow.workspace_id, provider, who, tokens).await?;
        describe(conn, &row, &kind, &meta).await?;
        Outcome::Connected(Box::new(row))
    };
    Ok(Completed { outcome, return_to: flow.return_to })
}

/// What kind of destination a connected profile is, and what it supplies to its posts.
async fn describe(
    conn: &mut store::Conn,
    row: &ProfileRow,
    kind: &str,
    meta: &serde_json::Value,
) -> Result<(), ApiError> {
    let platform_meta = meta.is_object().then(|| meta.clone());
    if row.account_type != kind || platform_meta.is_some() {
        let change =
            store::profiles::ProfileMeta { account_type: Some(kind.to_owned()), platform_meta, ..Default::default() };
        store::profiles::update_meta(conn, row.id, &change).await?;
    }
    Ok(())
}

/// A pending choice's options as shown: without tokens, each with its index.
pub fn public_options(stored: &serde_json::Value) -> serde_json::Value {
    let shown: Vec<serde_json::Value> = stored
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, o)| {
            serde_json::json!({
                "index": i, "displayName": o["displayName"], "username": o["username"],
                "accountType": o["accountType"], "platformAccountId": o["platformAccountId"], "avatarUrl": o["avatarUrl"],
            })
        })
        .collect();
    serde_json::Value::Array(shown)
}

/// One chosen option of a pending choice.
pub struct Pick {
    pub index: usize,
    pub default: bool,
}

/// Connects the chosen destinations of a pending choice (which is then gone); returns
/// their profile ids.
pub async fn confirm(
    conn: &mut store::Conn,
    secrets: &SecretKey,
    workspace_id: WorkspaceId,
    nonce: &str,
    picks: &[Pick],
) -> Result<Vec<ProfileId>, ApiError> {
    let not_found = || ApiError::field("nonce", "no pending selection with this nonce (it may have expired)");
    let peek = store::oauth::pending(conn, workspace_id, nonce, false).await?.ok_or_else(not_found)?;
    let count = peek.options.as_array().map_or(0, Vec::len);
    if let Some(bad) = picks.iter().find(|p| p.index >= count) {
        return Err(ApiError::field("selections", format!("index {} is not one of the {count} options", bad.index)));
    }
    let taken = store::oauth::pending(conn, workspace_id, nonce, true).await?.ok_or_else(not_found)?;
    let provider: Provider = taken.provider.parse().map_err(|_| ApiError::Internal("stored provider".into()))?;
    let decrypt = |v: &serde_json::Value| -> Result<Option<String>, ApiError> {
        v.as_str().map(|t| secrets.decrypt(t).map_err(|e| ApiError::Internal(e.to_string()))).transpose()
    };
    let mut ids = Vec::new();
    for pick in picks {
        let o = &taken.options[pick.index];
        let access =
            decrypt(&o["token"])?.ok_or_else(|| ApiError::Internal("a pending option without a token".into()))?;
        let who = Identity {
            id: o["platformAccountId"].as_str().unwrap_or_default().to_owned(),
            username: o["username"].as_str().map(str::to_owned),
            name: o["displayName"].as_str().unwrap_or_default().to_owned(),
            picture_url: o["avatarUrl"].as_str().map(str::to_owned),
        };
        let tokens = Tokens {
            access_token: access,
            refresh_token: decrypt(&o["refresh"])?,
            expires_in: o["expiresIn"].as_i64(),
        };
        let row = save(conn, secrets, workspace_id, provider, who, tokens).await?;
        describe(conn, &row, o["accountType"].as_str().unwrap_or("personal"), &o["platformMeta"]).await?;
        if pick.default {
            store::profiles::set_default(conn, &row).await?;
        }
        ids.push(row.id);
    }
    Ok(ids)
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
