//! API keys: `Authorization: Bearer <key>`, looked up by the SHA-256 of the key; and
//! people's passwords (`passwords`).

use domain::WorkspaceId;

pub mod cache;
pub mod passwords;

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

/// What a new key may do. `None` scopes mean every provider / every profile.
pub struct KeySpec<'a> {
    pub name: &'a str,
    pub permission: &'a str,
    pub providers: Option<Vec<String>>,
    pub profile_ids: Option<Vec<domain::ProfileId>>,
    /// `publish | draft_only | approval_required` (see `posting::Policy`).
    pub policy: &'a str,
}

/// Checks a key's scope against the workspace and stores the new key's hash; returns the
/// key, which is never stored and so shown only this once.
pub async fn create_key(
    conn: &mut store::Conn,
    workspace_id: WorkspaceId,
    spec: KeySpec<'_>,
) -> Result<String, ApiError> {
    use domain::input::FieldError;
    let mut errors = Vec::new();
    let name = spec.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new("name", "must have 1 to 100 characters"));
    }
    if spec.permission != "read" && spec.permission != "write" {
        errors.push(FieldError::new("permission", "must be read or write"));
    }
    if !posting::KEY_POLICIES.contains(&spec.policy) {
        errors.push(FieldError::new("policy", format!("must be one of {}", posting::KEY_POLICIES.join(", "))));
    }
    for (i, p) in spec.providers.iter().flatten().enumerate() {
        if p.parse::<domain::Provider>().is_err() {
            errors.push(FieldError::new(format!("providers[{i}]"), format!("unknown provider {p:?}")));
        }
    }
    if let Some(ids) = &spec.profile_ids {
        let found = store::profiles::find_many(conn, &KeyScope::workspace(workspace_id), ids).await?;
        for (i, id) in ids.iter().enumerate() {
            if !found.iter().any(|p| p.id == *id) {
                errors.push(FieldError::new(format!("profile_ids[{i}]"), "no such profile in this workspace"));
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (key, prefix, hash) = mint_key();
    store::keys::insert(
        conn,
        store::keys::NewKey {
            id: Uuid::now_v7(),
            workspace_id,
            name,
            key_prefix: &prefix,
            key_hash: &hash,
            permission: spec.permission,
            providers: spec.providers,
            profile_ids: spec.profile_ids,
            policy: spec.policy,
        },
    )
    .await?;
    Ok(key)
}

pub use posting::Actor;

/// The authenticated caller of an HTTP request: the application layer's caller, taken
/// from the request's API key (see `FromRequest` below).
#[derive(Debug, Clone)]
pub struct Caller(pub posting::Caller);

impl std::ops::Deref for Caller {
    type Target = posting::Caller;

    fn deref(&self) -> &posting::Caller {
        &self.0
    }
}

pub fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

/// When each key's `last_used_at` was last written by this process: it is written at most
/// once a minute per key (the column is minute-grained anyway), so a busy key costs one
/// read per request, not a read and a write.
#[derive(Default)]
pub struct Touched(std::sync::Mutex<std::collections::HashMap<Uuid, std::time::Instant>>);

impl Touched {
    /// True when the key's use should be recorded now (and notes that it is).
    fn due(&self, key: Uuid) -> bool {
        let now = std::time::Instant::now();
        let Ok(mut seen) = self.0.lock() else { return true };
        match seen.get(&key) {
            Some(at) if now.duration_since(*at) < std::time::Duration::from_secs(60) => false,
            _ => {
                // Keys no longer used fall out; the map stays as small as the live keys.
                if seen.len() > 10_000 {
                    seen.retain(|_, at| now.duration_since(*at) < std::time::Duration::from_secs(60));
                }
                seen.insert(key, now);
                true
            }
        }
    }
}

pub async fn authenticate(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let hash = hash_key(token);
    let row = match state.keys.get(&hash) {
        Some(row) => row,
        None => {
            let generation = state.keys.generation();
            let mut conn = state.pool.get().await?;
            let row = store::keys::find_active_by_hash(&mut conn, &hash).await?.ok_or(ApiError::Unauthorized)?;
            state.keys.keep(hash, row.clone(), generation);
            row
        }
    };
    if state.touched.due(row.id) {
        let mut conn = state.pool.get().await?;
        store::keys::touch(&mut conn, row.id).await?;
    }
    // An unknown policy (a newer release's) is held to the strictest one.
    let policy = posting::Policy::of_key(&row.policy).unwrap_or(posting::Policy::DraftOnly);
    let scope = KeyScope { workspace_id: row.workspace_id, providers: row.providers, profile_ids: row.profile_ids };
    let mut caller = posting::Caller::new(Actor::ApiKey(row.id), scope, row.permission == "write");
    caller.policy = policy;
    Ok(Caller(caller))
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
            state.limiter.check(caller.actor.id(), caller.scope.workspace_id, write).map_err(|e| {
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
