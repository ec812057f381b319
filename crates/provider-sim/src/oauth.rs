//! provider-sim as every provider's authorization server: authorization code with PKCE,
//! refresh grants, userinfo, and Bluesky sessions; plus controls to expire or revoke an
//! account's tokens.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::sim::{SimData, bad_request, header};

#[derive(Default)]
pub struct Tokens {
    /// code → (account, provider, challenge, redirect_uri)
    codes: HashMap<String, (String, String, String, String)>,
    /// access token → (account, expires)
    access: HashMap<String, (String, DateTime<Utc>)>,
    /// refresh token → account (removed when revoked or rotated)
    refresh: HashMap<String, String>,
    pub expires_in: i64,
    seq: u64,
}

impl Tokens {
    /// The account of a live access token; `sim-token-<account>` is a static sandbox token.
    pub fn account(&self, token: &str) -> Option<String> {
        if let Some((account, expires)) = self.access.get(token) {
            return (*expires > Utc::now()).then(|| account.clone());
        }
        let rest = token.strip_prefix("sim-token-")?;
        (!rest.contains('~')).then(|| rest.to_owned())
    }

    fn issue(&mut self, account: &str) -> serde_json::Value {
        self.seq += 1;
        let access = format!("sim-token-{account}~{}", self.seq);
        let refresh = format!("sim-refresh-{account}~{}", self.seq);
        let ttl = if self.expires_in > 0 { self.expires_in } else { 3600 };
        self.access.insert(access.clone(), (account.to_owned(), Utc::now() + chrono::Duration::seconds(ttl)));
        self.refresh.insert(refresh.clone(), account.to_owned());
        json!({"access_token": access, "refresh_token": refresh, "token_type": "bearer", "expires_in": ttl, "scope": "post.write offline.access"})
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/oauth/{provider}/authorize", web::get().to(authorize))
        .route("/oauth/{provider}/token", web::post().to(token))
        .route("/oauth/{provider}/userinfo", web::get().to(userinfo))
        .route("/xrpc/com.atproto.server.createSession", web::post().to(bsky_session))
        .route("/xrpc/com.atproto.server.refreshSession", web::post().to(bsky_refresh))
        .route("/xrpc/app.bsky.actor.getProfile", web::get().to(bsky_profile))
        .route("/_sim/oauth/{account}/expire", web::post().to(expire))
        .route("/_sim/oauth/{account}/revoke", web::post().to(revoke))
        .route("/_sim/oauth/settings", web::put().to(settings))
        .route("/me/accounts", web::get().to(fb_pages))
        .route("/rest/organizationAcls", web::get().to(li_orgs))
        .route("/v5/boards", web::get().to(pin_boards));
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    response_type: String,
    client_id: String,
    redirect_uri: String,
    state: String,
    code_challenge: String,
    code_challenge_method: String,
    login_hint: Option<String>,
}

/// The user "signs in and approves" at once: the sim redirects back with a code.
async fn authorize(sim: SimData, provider: web::Path<String>, q: web::Query<AuthorizeQuery>) -> HttpResponse {
    if q.response_type != "code"
        || q.client_id.is_empty()
        || q.code_challenge_method != "S256"
        || q.code_challenge.len() < 43
    {
        return bad_request("response_type=code, client_id and an S256 code_challenge are required");
    }
    let account = q.login_hint.clone().unwrap_or_else(|| format!("demo-{provider}"));
    let code = format!("code-{}", sim.next_id());
    sim.tokens
        .lock()
        .codes
        .insert(code.clone(), (account, provider.into_inner(), q.code_challenge.clone(), q.redirect_uri.clone()));
    let sep = if q.redirect_uri.contains('?') { '&' } else { '?' };
    let back = format!("{}{sep}code={code}&state={}", q.redirect_uri, urlencode(&q.state));
    HttpResponse::Found().insert_header(("Location", back)).finish()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn oauth_error(error: &str, description: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({"error": error, "error_description": description}))
}

async fn token(sim: SimData, req: HttpRequest, provider: web::Path<String>, body: web::Bytes) -> HttpResponse {
    if header(&req, "authorization").is_none_or(|a| !a.starts_with("Basic ")) {
        return HttpResponse::Unauthorized().json(json!({"error": "invalid_client"}));
    }
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let mut t = sim.tokens.lock();
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let code = form.get("code").cloned().unwrap_or_default();
            let Some((account, p, challenge, redirect)) = t.codes.remove(&code) else {
                return oauth_error("invalid_grant", "unknown or used code");
            };
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            if p != *provider
                || form.get("redirect_uri") != Some(&redirect)
                || URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != challenge
            {
                return oauth_error("invalid_grant", "the code_verifier or redirect_uri does not match");
            }
            HttpResponse::Ok().json(t.issue(&account))
        }
        Some("refresh_token") => {
            let rt = form.get("refresh_token").cloned().unwrap_or_default();
            let Some(account) = t.refresh.remove(&rt) else {
                return oauth_error("invalid_grant", "The refresh token was revoked");
            };
            HttpResponse::Ok().json(t.issue(&account))
        }
        _ => oauth_error("unsupported_grant_type", "authorization_code or refresh_token"),
    }
}

fn username(account: &str) -> String {
    format!("postmantis_{}", account.replace('-', "_"))
}

fn display(provider: &str) -> &'static str {
    match provider {
        "x" => "X",
        "linkedin" => "LinkedIn",
        "youtube" => "YouTube",
        "instagram" => "Instagram",
        "tiktok" => "TikTok",
        "facebook" => "Facebook",
        "threads" => "Threads",
        "pinterest" => "Pinterest",
        "bluesky" => "Bluesky",
        "mastodon" => "Mastodon",
        "reddit" => "Reddit",
        "dribbble" => "Dribbble",
        _ => "Sandbox",
    }
}

async fn userinfo(sim: SimData, req: HttpRequest, provider: web::Path<String>) -> HttpResponse {
    let token =
        header(&req, "authorization").and_then(|a| a.strip_prefix("Bearer ").map(str::to_owned)).unwrap_or_default();
    match sim.tokens.lock().account(&token) {
        Some(account) => HttpResponse::Ok().json(json!({
            "id": account,
            "username": username(&account),
            "name": format!("Demo {}", display(&provider)),
            "picture_url": null,
        })),
        None => HttpResponse::Unauthorized().json(json!({"error": {"message": "Invalid or expired access token"}})),
    }
}

fn bsky_tokens(t: &mut Tokens, account: &str) -> serde_json::Value {
    let issued = t.issue(account);
    json!({
        "did": format!("did:plc:{account}"),
        "handle": username(account),
        "accessJwt": issued["access_token"],
        "refreshJwt": issued["refresh_token"],
    })
}

/// App-password sign-in: the handle `postmantis_<account>` with any app password.
async fn bsky_session(sim: SimData, body: web::Json<serde_json::Value>) -> HttpResponse {
    let handle = body["identifier"].as_str().unwrap_or("");
    let password = body["password"].as_str().unwrap_or("");
    let Some(account) = handle.strip_prefix("postmantis_").map(|a| a.replace('_', "-")) else {
        return HttpResponse::Unauthorized()
            .json(json!({"error": "AuthenticationRequired", "message": "Invalid identifier or password"}));
    };
    if password.len() < 8 {
        return HttpResponse::Unauthorized()
            .json(json!({"error": "AuthenticationRequired", "message": "Invalid identifier or password"}));
    }
    HttpResponse::Ok().json(bsky_tokens(&mut sim.tokens.lock(), &account))
}

async fn bsky_refresh(sim: SimData, req: HttpRequest) -> HttpResponse {
    let rt =
        header(&req, "authorization").and_then(|a| a.strip_prefix("Bearer ").map(str::to_owned)).unwrap_or_default();
    let mut t = sim.tokens.lock();
    match t.refresh.remove(&rt) {
        Some(account) => HttpResponse::Ok().json(bsky_tokens(&mut t, &account)),
        None => HttpResponse::BadRequest().json(json!({"error": "ExpiredToken", "message": "Token has been revoked"})),
    }
}

#[derive(Deserialize)]
struct Actor {
    actor: String,
}

async fn bsky_profile(sim: SimData, q: web::Query<Actor>) -> HttpResponse {
    let account = q.actor.trim_start_matches("did:plc:");
    let mut v = sim.account_figures(account, &["bluesky"], "followersCount", Some("postsCount"));
    v.insert("did".into(), json!(q.actor));
    v.insert("handle".into(), json!(username(account)));
    v.insert("displayName".into(), json!("Demo Bluesky"));
    HttpResponse::Ok().json(serde_json::Value::Object(v))
}

/// Every live access token of the account stops working now.
async fn expire(sim: SimData, account: web::Path<String>) -> HttpResponse {
    let past = Utc::now() - chrono::Duration::seconds(1);
    for (a, exp) in sim.tokens.lock().access.values_mut() {
        if *a == *account {
            *exp = past;
        }
    }
    HttpResponse::NoContent().finish()
}

/// Access tokens expire and refresh tokens are revoked: only a new connect helps.
async fn revoke(sim: SimData, account: web::Path<String>) -> HttpResponse {
    let past = Utc::now() - chrono::Duration::seconds(1);
    let mut t = sim.tokens.lock();
    for (a, exp) in t.access.values_mut() {
        if *a == *account {
            *exp = past;
        }
    }
    t.refresh.retain(|_, a| *a != *account);
    HttpResponse::NoContent().finish()
}

async fn settings(sim: SimData, body: web::Json<serde_json::Value>) -> HttpResponse {
    if let Some(e) = body["expires_in"].as_i64() {
        sim.tokens.lock().expires_in = e;
    }
    HttpResponse::NoContent().finish()
}

fn bearer_account(sim: &SimData, req: &HttpRequest) -> Option<String> {
    let token = header(req, "authorization").and_then(|a| a.strip_prefix("Bearer ").map(str::to_owned))?;
    sim.tokens.lock().account(&token)
}

/// Accounts named `agency-…` manage two destinations each (pages, organisations); others
/// none, so a plain connection stays one account.
fn managed(account: &str) -> usize {
    if account.starts_with("agency-") { 2 } else { 0 }
}

/// Facebook `GET /me/accounts`: the pages the user manages, each with a page token.
async fn fb_pages(sim: SimData, req: HttpRequest) -> HttpResponse {
    let Some(account) = bearer_account(&sim, &req) else {
        return HttpResponse::Unauthorized().json(json!({"error": {"message": "Invalid OAuth access token"}}));
    };
    let mut t = sim.tokens.lock();
    let pages: Vec<serde_json::Value> = (1..=managed(&account))
        .map(|n| {
            let id = format!("{account}-page-{n}");
            let token = t.issue(&id);
            json!({"id": id, "name": format!("Demo Page {n}"), "category": "Business", "access_token": token["access_token"], "tasks": ["CREATE_CONTENT"]})
        })
        .collect();
    HttpResponse::Ok().json(json!({"data": pages, "paging": {}}))
}

/// LinkedIn `GET /rest/organizationAcls?q=roleAssignee`: organisations the member administers.
async fn li_orgs(sim: SimData, req: HttpRequest) -> HttpResponse {
    let Some(account) = bearer_account(&sim, &req) else {
        return HttpResponse::Unauthorized().json(json!({"message": "Invalid access token", "status": 401}));
    };
    let elements: Vec<serde_json::Value> = (1..=managed(&account))
        .map(|n| {
            json!({
                "organization": format!("urn:li:organization:{}{n}", account.len()),
                "organization~": {"localizedName": format!("Demo Company {n}")},
                "role": "ADMINISTRATOR", "state": "APPROVED",
            })
        })
        .collect();
    HttpResponse::Ok().json(json!({"elements": elements, "paging": {"count": 10, "start": 0}}))
}

/// Pinterest `GET /v5/boards`: the user's boards.
async fn pin_boards(sim: SimData, req: HttpRequest) -> HttpResponse {
    let Some(account) = bearer_account(&sim, &req) else {
        return HttpResponse::Unauthorized().json(json!({"code": 2, "message": "Authentication failed."}));
    };
    let items: Vec<serde_json::Value> = (1..=managed(&account))
        .map(|n| json!({"id": format!("{}{n}", 5_000_000 + account.len()), "name": format!("Demo Board {n}"), "privacy": "PUBLIC"}))
        .collect();
    HttpResponse::Ok().json(json!({"items": items, "bookmark": null}))
}
