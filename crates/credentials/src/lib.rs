//! Provider tokens of connected profiles: decrypted only for the call that needs them,
//! refreshed once when a provider refuses one (single-flight across processes), and
//! refreshed ahead of expiry by a background task. Shared by the delivery workers and the
//! coming metrics collector; the OAuth exchange itself is `providers::oauth`. Kept out of
//! `providers`, which never touches the database.

use std::time::Duration;

use chrono::Utc;
use diesel_async::AsyncConnection;
use domain::secrets::SecretKey;
use providers::oauth::OAuthError;
use store::{StoreError, models::ProfileRow};

/// What a refresh needs: the providers' HTTP client and OAuth applications, the key
/// tokens are encrypted with, and the database.
#[derive(Clone)]
pub struct Tokens {
    pub pool: store::Pool,
    pub providers: providers::Providers,
    pub secrets: SecretKey,
}

/// What a refresh came to.
pub enum Refreshed {
    /// A new access token (already stored, encrypted).
    Token(String),
    /// The grant is dead: the profile was marked reauth_required.
    Dead(String),
    /// The refresh could not be done now.
    Later(String),
}

pub fn access_token(secrets: &SecretKey, p: &ProfileRow) -> Option<String> {
    let stored = p.access_token.as_deref()?;
    match secrets.decrypt(stored) {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::error!(profile_id = %p.id, error = %e, "a stored token cannot be read");
            None
        }
    }
}

/// Refreshes one profile's tokens now, single-flight across workers: under the profile's
/// row lock, and only if nobody refreshed since `seen` was read. Two workers refused at
/// once would otherwise both refresh; with a rotating refresh token the second one's is
/// already spent, and a healthy profile would be marked for reconnection.
pub async fn refresh(ctx: &Tokens, conn: &mut store::Conn, seen: &ProfileRow) -> Result<Refreshed, StoreError> {
    conn.transaction::<Refreshed, StoreError, _>(async |conn| {
        let Some(p) = store::profiles::lock(conn, seen.id).await? else {
            return Ok(Refreshed::Dead("the profile is gone".into()));
        };
        if p.access_token != seen.access_token {
            // Another worker refreshed (or the profile was reconnected) meanwhile.
            return Ok(match (p.status, access_token(&ctx.secrets, &p)) {
                (domain::ProfileStatus::Active, Some(t)) => Refreshed::Token(t),
                _ => Refreshed::Dead("the profile needs to be reconnected".into()),
            });
        }
        refresh_locked(ctx, conn, &p).await
    })
    .await
}

async fn refresh_locked(ctx: &Tokens, conn: &mut store::Conn, p: &ProfileRow) -> Result<Refreshed, StoreError> {
    let provider = p.provider;
    let Some(rt) = p.refresh_token.as_deref().and_then(|r| ctx.secrets.decrypt(r).ok()) else {
        store::profiles::require_reauth(conn, p.id).await?;
        return Ok(Refreshed::Dead("no refresh token is stored".into()));
    };
    match providers::oauth::refresh(ctx.providers.http(), ctx.providers.config(), provider, &rt).await {
        Ok(t) => {
            let access = ctx.secrets.encrypt(&t.access_token);
            let refresh =
                t.refresh_token.as_deref().map(|r| ctx.secrets.encrypt(r)).or_else(|| p.refresh_token.clone());
            let expires = t.expires_at();
            store::profiles::set_tokens(conn, p.id, &access, refresh.as_deref(), expires).await?;
            tracing::info!(profile_id = %p.id, provider = %provider, "token refreshed");
            Ok(Refreshed::Token(t.access_token))
        }
        Err(OAuthError::Revoked(why)) => {
            store::profiles::require_reauth(conn, p.id).await?;
            tracing::warn!(profile_id = %p.id, provider = %provider, %why, "refresh refused; the profile must be reconnected");
            Ok(Refreshed::Dead(why))
        }
        Err(OAuthError::Failed(why)) => Ok(Refreshed::Later(why)),
    }
}

/// Refreshes tokens that expire within `ahead`, every `every`. Workers share the work:
/// profiles are locked with SKIP LOCKED.
pub async fn refresh_ahead(ctx: Tokens, every: Duration, ahead: chrono::Duration) {
    loop {
        tokio::time::sleep(every).await;
        let result: Result<usize, StoreError> = async {
            let mut conn = ctx.pool.get().await?;
            conn.transaction::<usize, StoreError, _>(async |conn| {
                let due = store::profiles::lock_due_for_refresh(conn, Utc::now() + ahead, 20).await?;
                for p in &due {
                    refresh_locked(&ctx, conn, p).await?;
                }
                Ok(due.len())
            })
            .await
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "token refresh pass failed");
        }
    }
}
