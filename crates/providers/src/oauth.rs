//! The OAuth side of a profile: authorization code with PKCE (S256), token refresh, the
//! account's identity, and Bluesky's app-password sessions. Endpoints come from
//! configuration per provider; the defaults point at provider-sim.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::Provider;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::ProvidersConfig;

/// One provider's OAuth application.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OAuthClient {
    pub authorize_url: String,
    pub token_url: String,
    /// Where the connected account's id, username and name are read.
    pub userinfo_url: String,
    pub client_id: String,
    /// Also the key the platform signs its webhooks with (X's consumer secret, Meta's app
    /// secret).
    pub client_secret: String,
    pub scopes: String,
    /// Meta's webhook subscription check echoes its challenge only for this token.
    pub webhook_verify_token: String,
}

impl ProvidersConfig {
    /// The configured client for `p`, with provider-sim's endpoints for what is not set.
    pub fn oauth(&self, p: Provider) -> OAuthClient {
        let mut c = self.oauth.get(p.as_str()).cloned().unwrap_or_default();
        let base = self.base_urls.get(p.as_str()).unwrap_or(&self.default_base_url).trim_end_matches('/').to_owned();
        let fill = |v: &mut String, d: String| {
            if v.is_empty() {
                *v = d;
            }
        };
        fill(&mut c.authorize_url, format!("{base}/oauth/{p}/authorize"));
        fill(&mut c.token_url, format!("{base}/oauth/{p}/token"));
        fill(&mut c.userinfo_url, format!("{base}/oauth/{p}/userinfo"));
        fill(&mut c.client_id, "postmantis-dev".into());
        fill(&mut c.client_secret, "postmantis-dev-secret".into());
        fill(&mut c.scopes, "post.write offline.access".into());
        fill(&mut c.webhook_verify_token, "postmantis-dev-verify".into());
        c
    }

    pub fn api_base(&self, p: Provider) -> String {
        self.base_urls.get(p.as_str()).unwrap_or(&self.default_base_url).trim_end_matches('/').to_owned()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: Option<i64>,
}

/// The longest token lifetime taken from a provider: its `expires_in` is its word, and a
/// number near i64::MAX must not overflow a timestamp.
const MAX_TOKEN_LIFETIME_S: i64 = 10 * 366 * 24 * 3600;

impl Tokens {
    /// When the access token expires, with the provider's `expires_in` clamped.
    pub fn expires_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.expires_in.map(|s| chrono::Utc::now() + chrono::Duration::seconds(s.clamp(0, MAX_TOKEN_LIFETIME_S)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub id: String,
    pub username: Option<String>,
    pub name: String,
    pub picture_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The grant is dead (revoked, expired): the profile must be reconnected.
    #[error("{0}")]
    Revoked(String),
    /// The call failed; it may work later.
    #[error("{0}")]
    Failed(String),
}

/// A PKCE verifier and its S256 challenge.
pub fn pkce_pair() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

pub fn random_state() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn authorize_url(
    c: &OAuthClient,
    redirect_uri: &str,
    state: &str,
    challenge: &str,
    login_hint: Option<&str>,
) -> Result<String, OAuthError> {
    let mut url = url::Url::parse(&c.authorize_url)
        .map_err(|_| OAuthError::Failed(format!("the configured authorize_url `{}` is not a URL", c.authorize_url)))?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &c.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &c.scopes)
            .append_pair("state", state)
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "S256");
        if let Some(h) = login_hint {
            q.append_pair("login_hint", h);
        }
    }
    Ok(url.to_string())
}

async fn token_call(http: &reqwest::Client, c: &OAuthClient, form: &[(&str, &str)]) -> Result<Tokens, OAuthError> {
    let resp = http
        .post(&c.token_url)
        .basic_auth(&c.client_id, Some(&c.client_secret))
        .form(form)
        .send()
        .await
        .map_err(|e| OAuthError::Failed(format!("the token endpoint could not be reached: {e}")))?;
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        let access =
            body["access_token"].as_str().ok_or_else(|| OAuthError::Failed("no access_token in the answer".into()))?;
        return Ok(Tokens {
            access_token: access.to_owned(),
            refresh_token: body["refresh_token"].as_str().map(str::to_owned),
            expires_in: body["expires_in"].as_i64(),
        });
    }
    let reason = crate::readable_error(&body.to_string()).unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
    if status.is_client_error() { Err(OAuthError::Revoked(reason)) } else { Err(OAuthError::Failed(reason)) }
}

pub async fn exchange_code(
    http: &reqwest::Client,
    c: &OAuthClient,
    code: &str,
    verifier: &str,
    redirect_uri: &str,
) -> Result<Tokens, OAuthError> {
    token_call(
        http,
        c,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", verifier),
            ("redirect_uri", redirect_uri),
            ("client_id", &c.client_id),
        ],
    )
    .await
}

/// New tokens from a refresh token (Bluesky: a new session from its refresh JWT).
pub async fn refresh(
    http: &reqwest::Client,
    config: &ProvidersConfig,
    p: Provider,
    refresh_token: &str,
) -> Result<Tokens, OAuthError> {
    if p == Provider::Bluesky {
        let url = format!("{}/xrpc/com.atproto.server.refreshSession", config.api_base(p));
        let resp =
            http.post(url).bearer_auth(refresh_token).send().await.map_err(|e| OAuthError::Failed(e.to_string()))?;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        return match (status.is_success(), body["accessJwt"].as_str()) {
            (true, Some(a)) => Ok(Tokens {
                access_token: a.into(),
                refresh_token: body["refreshJwt"].as_str().map(str::to_owned),
                expires_in: Some(7200),
            }),
            _ if status.is_client_error() => Err(OAuthError::Revoked(
                crate::readable_error(&body.to_string()).unwrap_or_else(|| "the session expired".into()),
            )),
            _ => Err(OAuthError::Failed(format!("HTTP {}", status.as_u16()))),
        };
    }
    let c = config.oauth(p);
    token_call(
        http,
        &c,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", &c.client_id)],
    )
    .await
}

pub async fn identity(http: &reqwest::Client, c: &OAuthClient, access_token: &str) -> Result<Identity, OAuthError> {
    let resp = http
        .get(&c.userinfo_url)
        .bearer_auth(access_token)
        .send()
        .await
        .map_err(|e| OAuthError::Failed(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(OAuthError::Failed(format!("the account could not be read (HTTP {})", resp.status().as_u16())));
    }
    let v: Value = resp.json().await.map_err(|e| OAuthError::Failed(e.to_string()))?;
    let id = v["id"].as_str().ok_or_else(|| OAuthError::Failed("the account has no id".into()))?.to_owned();
    Ok(Identity {
        name: v["name"].as_str().unwrap_or(&id).to_owned(),
        username: v["username"].as_str().map(str::to_owned),
        picture_url: v["picture_url"].as_str().map(str::to_owned),
        id,
    })
}

/// One place a connection can publish to: the account itself, or a page or organisation
/// it manages (with the token that publishes there).
#[derive(Debug, Clone)]
pub struct Destination {
    pub identity: Identity,
    pub tokens: Tokens,
    /// `personal`, `page`, `organization` or `board`.
    pub kind: String,
    /// What the destination supplies to its posts (`{"options": {"board_id": …}}` for a
    /// Pinterest board), kept as the profile's `platform_meta`.
    pub meta: Value,
}

/// The destinations an authorization reaches beyond the account itself: Facebook pages
/// (`GET /me/accounts`, each with its page token) and LinkedIn organisations the member
/// administers (`GET /rest/organizationAcls`; the member's own profile stays one of the
/// choices), Pinterest boards (`GET /v5/boards`; each board an account its pins go to).
/// Empty for other platforms, and when there is nothing to choose.
pub async fn destinations(
    http: &reqwest::Client,
    config: &ProvidersConfig,
    p: Provider,
    who: &Identity,
    tokens: &Tokens,
) -> Result<Vec<Destination>, OAuthError> {
    let base = config.api_base(p);
    let read = |url: String| async move {
        let resp = http
            .get(url)
            .bearer_auth(&tokens.access_token)
            .header("LinkedIn-Version", "202405")
            .header("X-Restli-Protocol-Version", "2.0.0")
            .send()
            .await
            .map_err(|e| OAuthError::Failed(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(OAuthError::Failed(format!(
                "the account's pages could not be read (HTTP {})",
                resp.status().as_u16()
            )));
        }
        resp.json::<Value>().await.map_err(|e| OAuthError::Failed(e.to_string()))
    };
    match p {
        Provider::Facebook => {
            let v = read(format!("{base}/me/accounts")).await?;
            Ok(v["data"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|page| {
                    Some(Destination {
                        identity: Identity {
                            id: page["id"].as_str()?.to_owned(),
                            username: None,
                            name: page["name"].as_str().unwrap_or("Page").to_owned(),
                            picture_url: None,
                        },
                        tokens: Tokens {
                            access_token: page["access_token"].as_str()?.to_owned(),
                            refresh_token: None,
                            expires_in: None,
                        },
                        kind: "page".into(),
                        meta: Value::Null,
                    })
                })
                .collect())
        }
        Provider::Linkedin => {
            let v = read(format!(
                "{base}/rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED&projection=(elements*(organization~(localizedName)))"
            ))
            .await?;
            let orgs: Vec<Destination> = v["elements"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| {
                    let urn = e["organization"].as_str()?;
                    Some(Destination {
                        identity: Identity {
                            id: urn.to_owned(),
                            username: None,
                            name: e
                                .pointer("/organization~/localizedName")
                                .and_then(Value::as_str)
                                .unwrap_or(urn)
                                .to_owned(),
                            picture_url: None,
                        },
                        tokens: tokens.clone(),
                        kind: "organization".into(),
                        meta: Value::Null,
                    })
                })
                .collect();
            if orgs.is_empty() {
                return Ok(Vec::new());
            }
            let mut all = vec![Destination {
                identity: who.clone(),
                tokens: tokens.clone(),
                kind: "personal".into(),
                meta: Value::Null,
            }];
            all.extend(orgs);
            Ok(all)
        }
        Provider::Pinterest => {
            let v = read(format!("{base}/v5/boards?page_size=100")).await?;
            Ok(v["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|b| {
                    let id = b["id"].as_str()?;
                    Some(Destination {
                        identity: Identity {
                            id: id.to_owned(),
                            username: who.username.clone(),
                            name: b["name"].as_str().unwrap_or(id).to_owned(),
                            picture_url: None,
                        },
                        tokens: tokens.clone(),
                        kind: "board".into(),
                        meta: serde_json::json!({"options": {"board_id": id}}),
                    })
                })
                .collect())
        }
        _ => Ok(Vec::new()),
    }
}

/// Bluesky's app-password connection: `com.atproto.server.createSession`.
pub async fn bluesky_session(
    http: &reqwest::Client,
    config: &ProvidersConfig,
    identifier: &str,
    app_password: &str,
) -> Result<(Tokens, Identity), OAuthError> {
    let url = format!("{}/xrpc/com.atproto.server.createSession", config.api_base(Provider::Bluesky));
    let resp = http
        .post(url)
        .json(&serde_json::json!({"identifier": identifier, "password": app_password}))
        .send()
        .await
        .map_err(|e| OAuthError::Failed(e.to_string()))?;
    let status = resp.status();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(OAuthError::Revoked(
            crate::readable_error(&v.to_string()).unwrap_or_else(|| "the app password was refused".into()),
        ));
    }
    let did = v["did"].as_str().ok_or_else(|| OAuthError::Failed("no did in the session".into()))?;
    let handle = v["handle"].as_str().unwrap_or(identifier);
    let tokens = Tokens {
        access_token: v["accessJwt"].as_str().unwrap_or_default().to_owned(),
        refresh_token: v["refreshJwt"].as_str().map(str::to_owned),
        expires_in: Some(7200),
    };
    // The display name, from the account's public profile.
    let mut profile_url =
        url::Url::parse(&format!("{}/xrpc/app.bsky.actor.getProfile", config.api_base(Provider::Bluesky)))
            .map_err(|e| OAuthError::Failed(e.to_string()))?;
    profile_url.query_pairs_mut().append_pair("actor", did);
    let name = match http.get(profile_url).bearer_auth(&tokens.access_token).send().await {
        Ok(r) if r.status().is_success() => {
            r.json::<Value>().await.ok().and_then(|v| v["displayName"].as_str().map(str::to_owned))
        }
        _ => None,
    };
    let identity = Identity {
        id: did.trim_start_matches("did:plc:").to_owned(),
        username: Some(handle.to_owned()),
        name: name.unwrap_or_else(|| handle.to_owned()),
        picture_url: None,
    };
    Ok((tokens, identity))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_the_s256_of_the_verifier() {
        let (v, c) = pkce_pair();
        assert!(v.len() >= 43 && !v.contains('='));
        assert_eq!(c, URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())));
        assert_ne!(pkce_pair().0, v);
    }

    #[test]
    fn the_authorize_url_carries_pkce_and_state() {
        let cfg = ProvidersConfig::default();
        let c = cfg.oauth(Provider::X);
        assert_eq!(c.token_url, "http://127.0.0.1:8090/oauth/x/token");
        let u = authorize_url(&c, "http://gw/connect/callback", "st", "ch", Some("demo-x")).unwrap();
        for part in [
            "response_type=code",
            "client_id=postmantis-dev",
            "state=st",
            "code_challenge=ch",
            "code_challenge_method=S256",
            "login_hint=demo-x",
            "redirect_uri=http%3A%2F%2Fgw%2Fconnect%2Fcallback",
        ] {
            assert!(u.contains(part), "{part} missing in {u}");
        }
    }

    #[test]
    fn a_provider_lifetime_near_i64_max_does_not_overflow() {
        let t = super::Tokens { access_token: "a".into(), refresh_token: None, expires_in: Some(i64::MAX) };
        let at = t.expires_at().unwrap();
        assert!(at > chrono::Utc::now() + chrono::Duration::days(3600));
        let t = super::Tokens { expires_in: Some(-5), ..t };
        assert!(t.expires_at().unwrap() <= chrono::Utc::now());
    }
}
