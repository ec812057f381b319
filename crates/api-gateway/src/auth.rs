//! API keys: `Authorization: Bearer <key>`, looked up by the SHA-256 of the key.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::KeyScope;
use uuid::Uuid;

use crate::{app::AppState, error::ApiError};

pub const KEY_PREFIX: &str = "pm_";

pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A new key: 256 random bits. Returns (key, shown prefix, hash).
pub fn mint_key() -> (String, String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let key = format!("{KEY_PREFIX}{}", hex::encode(bytes));
    let prefix = key[..KEY_PREFIX.len() + 8].to_owned();
    let hash = hash_key(&key);
    (key, prefix, hash)
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key_id: Uuid,
    pub scope: KeyScope,
    pub can_write: bool,
}

impl Caller {
    pub fn require_write(&self) -> Result<(), ApiError> {
        if self.can_write {
            Ok(())
        } else {
            Err(ApiError::Forbidden("This API key is read-only; this action needs a key with write permission.".into()))
        }
    }
}

pub fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

pub async fn authenticate(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let mut conn = state.pool.get().await?;
    let row = store::keys::find_active_by_hash(&mut conn, &hash_key(token)).await?.ok_or(ApiError::Unauthorized)?;
    store::keys::touch(&mut conn, row.id).await?;
    Ok(Caller {
        key_id: row.id,
        can_write: row.permission == "write",
        scope: KeyScope { workspace_id: row.workspace_id, providers: row.providers, profile_ids: row.profile_ids },
    })
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req);
        let write = !matches!(*req.method(), actix_web::http::Method::GET | actix_web::http::Method::HEAD);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal("state missing".into()))?;
            let token = token.ok_or(ApiError::Unauthorized)?;
            let caller = authenticate(&state, &token).await?;
            state.limiter.check(caller.key_id, caller.scope.workspace_id, write).map_err(|e| {
                ApiError::RateLimited {
                    limit: e.limit,
                    // Whole seconds, rounded up: coming back after it always succeeds.
                    retry_after_s: e.retry_after.as_secs() + u64::from(e.retry_after.subsec_nanos() > 0),
                }
            })?;
            Ok(caller)
        })
    }
}
