//! The sim's shared core: accounts known by their token, stored uploads, fault injection
//! at each provider's publish step, the record of every publish call, and `/_sim/*`.

use std::collections::HashMap;
use std::net::TcpListener;
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, dev::Server, web};
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Digest;

/// What the next publish calls of one account meet.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Fault {
    /// reject | error | timeout | rate_limit | delay | unauthorized | lost_answer
    pub mode: String,
    #[serde(default)]
    pub message: Option<String>,
    /// Applies to this many calls, then the account behaves again; absent: every call.
    #[serde(default)]
    pub times: Option<u32>,
    #[serde(default)]
    pub delay_ms: Option<u64>,
    #[serde(default)]
    pub retry_after_s: Option<u64>,
    /// This many publish calls pass untouched before the fault applies (a fault on the
    /// second part of a thread: `after: 1`).
    #[serde(default)]
    pub after: Option<u32>,
}

/// One call to a provider's publish step, as a test inspects it.
#[derive(Debug, Clone, Serialize)]
pub struct Call {
    pub seq: u64,
    pub provider: String,
    pub account: String,
    /// The delivery id the adapter sent (`X-PostMantis-Delivery-Id`).
    pub idempotency_key: Option<String>,
    pub text: Option<String>,
    /// The exact publish request: method, path, the headers that matter, body.
    pub request: Value,
    /// The media the post carries, as the sim received them (uploaded or fetched).
    pub media: Vec<Value>,
    pub outcome: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Publish {
    pub id: String,
    pub provider: String,
    pub account: String,
    pub text: Option<String>,
    pub title: Option<String>,
    /// The provider's own idempotency key (Mastodon header, Bluesky rkey).
    pub key: Option<String>,
    pub at: DateTime<Utc>,
    /// post | reply (a thread's next part) | comment
    pub kind: String,
    /// The sim id of the post this one answers (a reply's or comment's parent).
    pub parent: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Upload {
    pub id: String,
    pub account: String,
    pub content_type: String,
    pub size: usize,
    pub sha256: String,
    pub alt: Option<String>,
    /// Free-form: the session metadata a resumable upload started with.
    pub meta: Value,
}

#[derive(Default)]
pub struct State {
    pub faults: HashMap<String, Fault>,
    pub calls: Vec<Call>,
    pub publishes: Vec<Publish>,
    pub uploads: HashMap<String, Upload>,
    /// Every request's method and path, in order, per account.
    pub requests: Vec<(String, String, String)>,
    pub seq: u64,
    /// Publish calls in flight per account, and the most there ever were.
    pub in_flight: HashMap<String, u32>,
    pub max_in_flight: HashMap<String, u32>,
    /// Requests to the OpenAI-compatible double, as received (for tests).
    pub assistant_requests: Vec<Value>,
    /// Per account, the platform metric fields its answers leave out (a retired metric).
    pub retired: HashMap<String, Vec<String>>,
    /// What other people said to each account (`crate::audience`).
    pub audience: Vec<crate::audience::Said>,
    /// Accounts whose first inbox read has found its mention and message.
    pub seeded: std::collections::HashSet<String>,
}

/// Counts a publish call in flight for as long as it lives.
struct InFlight<'a> {
    sim: &'a Sim,
    account: String,
}

impl<'a> InFlight<'a> {
    fn enter(sim: &'a Sim, account: &str) -> Self {
        let mut st = sim.state.lock();
        let n = st.in_flight.entry(account.to_owned()).or_default();
        *n += 1;
        let now = *n;
        let max = st.max_in_flight.entry(account.to_owned()).or_default();
        *max = (*max).max(now);
        InFlight { sim, account: account.to_owned() }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(n) = self.sim.state.lock().in_flight.get_mut(&self.account) {
            *n = n.saturating_sub(1);
        }
    }
}

pub struct Sim {
    pub state: Mutex<State>,
    pub tokens: Mutex<crate::oauth::Tokens>,
    pub base_url: String,
    pub http: reqwest::Client,
}

pub type SimData = web::Data<Sim>;

pub fn run(listener: TcpListener, base_url: String) -> std::io::Result<Server> {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().map_err(std::io::Error::other)?;
    let sim = web::Data::new(Sim { state: Mutex::default(), tokens: Mutex::default(), base_url, http });
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(sim.clone())
            .app_data(web::JsonConfig::default().limit(10 * 1024 * 1024))
            .app_data(web::PayloadConfig::new(1024 * 1024 * 1024))
            .wrap_fn(|req, srv| {
                use actix_web::dev::Service;
                let sim = req.app_data::<SimData>().cloned();
                let account = account_of(req.request()).unwrap_or_default();
                if let Some(sim) = sim
                    && !req.path().starts_with("/_sim")
                {
                    sim.state.lock().requests.push((account, req.method().to_string(), req.uri().to_string()));
                }
                srv.call(req)
            })
            .route("/healthz", web::get().to(|| async { HttpResponse::Ok().json(json!({"status": "ok"})) }))
            .route("/_sim/faults/{account}", web::put().to(set_fault))
            .route("/_sim/faults/{account}", web::delete().to(clear_fault))
            .route("/_sim/calls", web::get().to(calls))
            .route("/_sim/publishes", web::get().to(publishes))
            .route("/_sim/requests", web::get().to(requests))
            .route("/_sim/concurrency", web::get().to(concurrency))
            .route("/_sim/metrics/{account}", web::put().to(set_retired))
            .route("/_sim/metrics/{account}", web::delete().to(clear_retired))
            .route("/_sim/media/{name}", web::get().to(media))
            .route("/_sim/audience", web::post().to(crate::audience::add))
            .route("/_sim/audience", web::get().to(crate::audience::list))
            .route("/_sim/webhooks", web::post().to(crate::audience::send))
            .configure(crate::oauth::routes)
            .configure(crate::apis::routes)
    })
    .workers(2)
    .listen(listener)?
    .run())
}

/// The account a request acts for, from a live token the sim issued.
pub fn account_of(req: &HttpRequest) -> Option<String> {
    let auth = req.headers().get("authorization")?.to_str().ok()?;
    let token = auth.strip_prefix("Bearer ")?;
    let sim = req.app_data::<SimData>()?;
    sim.tokens.lock().account(token)
}

pub fn header(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// 401 unless the token names an account.
pub fn authorized(req: &HttpRequest) -> Result<String, HttpResponse> {
    account_of(req).ok_or_else(|| {
        HttpResponse::Unauthorized().json(json!({"error": {"message": "Invalid or expired access token"}}))
    })
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

pub fn bad_request(message: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({"error": {"message": message}}))
}

impl Sim {
    pub fn next_id(&self) -> u64 {
        let mut st = self.state.lock();
        st.seq += 1;
        st.seq
    }

    pub fn store_upload(&self, account: &str, content_type: &str, bytes: &[u8], meta: Value) -> String {
        let id = (1_000_000_000 + self.next_id()).to_string();
        let up = Upload {
            id: id.clone(),
            account: account.to_owned(),
            content_type: content_type.to_owned(),
            size: bytes.len(),
            sha256: sha256(bytes),
            alt: None,
            meta,
        };
        self.state.lock().uploads.insert(id.clone(), up);
        id
    }

    pub fn upload(&self, id: &str) -> Option<Upload> {
        self.state.lock().uploads.get(id).cloned()
    }

    pub fn upload_facts(&self, id: &str) -> Value {
        match self.upload(id) {
            Some(u) => {
                json!({"id": u.id, "content_type": u.content_type, "size": u.size, "sha256": u.sha256, "alt": u.alt})
            }
            None => json!({"id": id, "error": "unknown media id"}),
        }
    }

    /// Fetches a media URL the way a provider pulls media.
    pub async fn fetch(&self, url: &str) -> Result<Value, String> {
        let resp = self.http.get(url).send().await.map_err(|e| format!("could not fetch {url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("fetching {url} answered HTTP {}", resp.status().as_u16()));
        }
        let content_type = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let bytes = resp.bytes().await.map_err(|e| format!("could not read {url}: {e}"))?;
        Ok(json!({"url": url, "content_type": content_type, "size": bytes.len(), "sha256": sha256(&bytes)}))
    }

    pub async fn fetch_all(&self, urls: &[String]) -> Result<Vec<Value>, HttpResponse> {
        let mut out = Vec::new();
        for u in urls {
            out.push(self.fetch(u).await.map_err(|m| bad_request(&m))?);
        }
        Ok(out)
    }
}

/// What a publish step is about to create.
pub struct Step<'a> {
    pub provider: &'a str,
    pub account: &'a str,
    pub req: &'a HttpRequest,
    pub request: Value,
    pub text: Option<String>,
    pub media: Vec<Value>,
    /// The provider's own idempotency key, where it has one.
    pub key: Option<String>,
    /// A title, where the platform has one beside the text (YouTube, Reddit).
    pub title: Option<String>,
    /// post | reply | comment
    pub kind: &'a str,
    /// The sim id of what a reply or comment answers: it must be a post of this account.
    pub parent: Option<String>,
}

/// The outcome of a publish step: the new (or replayed) post, or the response to send.
pub enum Stepped {
    Created(Publish),
    Replayed(Publish),
}

enum Verdict {
    Publish,
    Reject(String),
    Error,
    Timeout(u64),
    RateLimit(u64),
    Delay(u64),
    Unauthorized,
    /// The post is made, but the answer never arrives (the caller times out).
    LostAnswer(u64),
}

fn next_verdict(st: &mut State, account: &str) -> Verdict {
    let Some(f) = st.faults.get_mut(account) else { return Verdict::Publish };
    if let Some(n) = f.after.as_mut()
        && *n > 0
    {
        *n -= 1;
        return Verdict::Publish;
    }
    let v = match f.mode.as_str() {
        "reject" => Verdict::Reject(f.message.clone().unwrap_or_else(|| "The post was rejected.".into())),
        "error" => Verdict::Error,
        "timeout" => Verdict::Timeout(f.delay_ms.unwrap_or(30_000)),
        "rate_limit" => Verdict::RateLimit(f.retry_after_s.unwrap_or(1)),
        "delay" => Verdict::Delay(f.delay_ms.unwrap_or(100)),
        "unauthorized" => Verdict::Unauthorized,
        "lost_answer" => Verdict::LostAnswer(f.delay_ms.unwrap_or(30_000)),
        _ => Verdict::Publish,
    };
    if let Some(n) = f.times.as_mut() {
        *n = n.saturating_sub(1);
        if *n == 0 {
            st.faults.remove(account);
        }
    }
    v
}

impl Sim {
    /// Applies the account's fault, records the call, and creates (or, for a known
    /// idempotency key, replays) the post.
    pub async fn publish_step(&self, s: Step<'_>) -> Result<Stepped, HttpResponse> {
        // A reply or comment answers a post that exists, on the same platform and account
        // (its own, or something its audience said to it).
        if let Some(parent) = &s.parent {
            let known = {
                let st = self.state.lock();
                st.publishes.iter().any(|p| &p.id == parent && p.provider == s.provider && p.account == s.account)
                    || st.audience.iter().any(|a| &a.id == parent && a.provider == s.provider && a.account == s.account)
            };
            if !known {
                return Err(bad_request(&format!("the post {parent} this {} answers does not exist", s.kind)));
            }
        }
        let _in_flight = InFlight::enter(self, s.account);
        let replay = s.key.as_ref().and_then(|k| {
            self.state.lock().publishes.iter().find(|p| p.key.as_deref() == Some(k) && p.account == s.account).cloned()
        });
        let verdict = if replay.is_some() { Verdict::Publish } else { next_verdict(&mut self.state.lock(), s.account) };
        let record = |outcome: &str| {
            let mut st = self.state.lock();
            st.seq += 1;
            let seq = st.seq;
            st.calls.push(Call {
                seq,
                provider: s.provider.to_owned(),
                account: s.account.to_owned(),
                idempotency_key: header(s.req, "x-postmantis-delivery-id"),
                text: s.text.clone(),
                request: s.request.clone(),
                media: s.media.clone(),
                outcome: outcome.to_owned(),
                at: Utc::now(),
            });
        };
        if let Some(p) = replay {
            record("replayed");
            return Ok(Stepped::Replayed(p));
        }
        match verdict {
            Verdict::Reject(message) => {
                record("rejected");
                Err(bad_request(&message))
            }
            Verdict::Error => {
                record("error");
                Err(HttpResponse::InternalServerError().json(json!({"error": {"message": "Internal error"}})))
            }
            Verdict::Timeout(ms) => {
                record("timeout");
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Err(HttpResponse::GatewayTimeout().finish())
            }
            Verdict::RateLimit(secs) => {
                record("rate_limited");
                Err(HttpResponse::TooManyRequests()
                    .insert_header(("Retry-After", secs.to_string()))
                    .json(json!({"error": {"message": "Rate limit exceeded"}})))
            }
            Verdict::Unauthorized => {
                record("unauthorized");
                Err(HttpResponse::Unauthorized().json(json!({"error": {"message": "Invalid or expired access token"}})))
            }
            Verdict::LostAnswer(ms) => {
                record("published");
                self.create(&s);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Err(HttpResponse::GatewayTimeout().finish())
            }
            Verdict::Delay(ms) => {
                // Recorded on arrival, so a test sees the call while it is still in flight.
                record("published");
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok(Stepped::Created(self.create(&s)))
            }
            Verdict::Publish => {
                record("published");
                Ok(Stepped::Created(self.create(&s)))
            }
        }
    }

    fn create(&self, s: &Step<'_>) -> Publish {
        let id = (1_800_000_000_000_000_000u64 + self.next_id()).to_string();
        let p = Publish {
            id,
            provider: s.provider.to_owned(),
            account: s.account.to_owned(),
            text: s.text.clone(),
            title: s.title.clone(),
            key: s.key.clone(),
            at: Utc::now(),
            kind: s.kind.to_owned(),
            parent: s.parent.clone(),
        };
        self.state.lock().publishes.push(p.clone());
        self.on_published(&p);
        p
    }
}

impl Sim {
    /// The account's latest posts (not its replies or comments), newest first: one page of
    /// `limit`.
    pub fn recent(&self, provider: &str, account: &str, limit: usize) -> Vec<Publish> {
        self.recent_of(provider, account, "post", limit)
    }

    /// The account's latest publishes of one kind, newest first.
    pub fn recent_of(&self, provider: &str, account: &str, kind: &str, limit: usize) -> Vec<Publish> {
        self.state
            .lock()
            .publishes
            .iter()
            .rev()
            .filter(|p| p.provider == provider && p.account == account && p.kind == kind)
            .take(limit)
            .cloned()
            .collect()
    }
}

impl Stepped {
    pub fn post(self) -> Publish {
        match self {
            Stepped::Created(p) | Stepped::Replayed(p) => p,
        }
    }
}

#[derive(Deserialize)]
struct Retired {
    /// The platform's own field names to leave out of this account's metric answers.
    retired: Vec<String>,
}

async fn set_retired(sim: SimData, account: web::Path<String>, body: web::Json<Retired>) -> HttpResponse {
    sim.state.lock().retired.insert(account.into_inner(), body.into_inner().retired);
    HttpResponse::NoContent().finish()
}

async fn clear_retired(sim: SimData, account: web::Path<String>) -> HttpResponse {
    sim.state.lock().retired.remove(&account.into_inner());
    HttpResponse::NoContent().finish()
}

/// How fast a metric grows, by the kind of thing it counts (the platforms' own names).
fn weight(field: &str) -> f64 {
    let f = field.to_ascii_lowercase();
    if f.contains("unique") || f.contains("reach") {
        30.0
    } else if f.contains("impression") || f.contains("view") {
        40.0
    } else if f.contains("click") {
        2.0
    } else if f.contains("like") || f.contains("favourite") || f.contains("score") || f.contains("reaction") {
        3.0
    } else {
        1.0
    }
}

impl Sim {
    /// A post's figure now: grows with the square root of the seconds since it was
    /// published (a demo shows figures at once; a month in, impressions are in the tens of
    /// thousands), the same for the same age (tests compute it back).
    pub fn figure(p: &Publish, field: &str, now: DateTime<Utc>) -> u64 {
        let seconds = ((now - p.at).num_milliseconds().max(0) as f64) / 1_000.0;
        (weight(field) * seconds.sqrt()).floor() as u64
    }

    /// The figures an answer about `p` carries: each of `fields` the account's platform
    /// has not retired, by its own name.
    pub fn figures(&self, p: &Publish, fields: &[&str]) -> serde_json::Map<String, Value> {
        let retired = self.state.lock().retired.get(&p.account).cloned().unwrap_or_default();
        let now = Utc::now();
        fields
            .iter()
            .filter(|f| !retired.iter().any(|r| r == *f))
            .map(|f| ((*f).to_owned(), Value::from(Self::figure(p, f, now))))
            .collect()
    }

    /// An account's own figures by the platform's field names: `posts` counts its posts
    /// (not replies or comments) on `providers`, and it has 1 000 followers plus 7 per post,
    /// so a test computes both back. Retired fields are left out.
    pub fn account_figures(
        &self,
        account: &str,
        providers: &[&str],
        followers: &str,
        posts: Option<&str>,
    ) -> serde_json::Map<String, Value> {
        let st = self.state.lock();
        let retired = st.retired.get(account).cloned().unwrap_or_default();
        let n = st
            .publishes
            .iter()
            .filter(|p| p.account == account && p.kind == "post" && providers.contains(&p.provider.as_str()))
            .count() as u64;
        let mut m = serde_json::Map::new();
        m.insert(followers.to_owned(), Value::from(1_000 + 7 * n));
        if let Some(posts) = posts {
            m.insert(posts.to_owned(), Value::from(n));
        }
        m.retain(|k, _| !retired.iter().any(|r| r == k));
        m
    }

    /// A publish of this account by its id (a post, reply or comment).
    pub fn publish_of(&self, provider: &str, account: &str, id: &str) -> Option<Publish> {
        self.state
            .lock()
            .publishes
            .iter()
            .find(|p| p.provider == provider && p.account == account && p.id == id)
            .cloned()
    }
}

async fn set_fault(sim: SimData, account: web::Path<String>, fault: web::Json<Fault>) -> HttpResponse {
    sim.state.lock().faults.insert(account.into_inner(), fault.into_inner());
    HttpResponse::NoContent().finish()
}

async fn clear_fault(sim: SimData, account: web::Path<String>) -> HttpResponse {
    sim.state.lock().faults.remove(&account.into_inner());
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
struct ByAccount {
    account: Option<String>,
}

async fn calls(sim: SimData, q: web::Query<ByAccount>) -> HttpResponse {
    let st = sim.state.lock();
    let rows: Vec<&Call> = st.calls.iter().filter(|c| q.account.as_ref().is_none_or(|a| &c.account == a)).collect();
    HttpResponse::Ok().json(rows)
}

async fn publishes(sim: SimData, q: web::Query<ByAccount>) -> HttpResponse {
    let st = sim.state.lock();
    let rows: Vec<&Publish> =
        st.publishes.iter().filter(|c| q.account.as_ref().is_none_or(|a| &c.account == a)).collect();
    HttpResponse::Ok().json(rows)
}

async fn requests(sim: SimData, q: web::Query<ByAccount>) -> HttpResponse {
    let st = sim.state.lock();
    let rows: Vec<Value> = st
        .requests
        .iter()
        .filter(|(a, _, _)| q.account.as_ref().is_none_or(|x| x == a))
        .map(|(_, m, p)| json!(format!("{m} {p}")))
        .collect();
    HttpResponse::Ok().json(rows)
}

async fn concurrency(sim: SimData, q: web::Query<ByAccount>) -> HttpResponse {
    let st = sim.state.lock();
    let account = q.account.clone().unwrap_or_default();
    HttpResponse::Ok().json(json!({
        "in_flight": st.in_flight.get(&account).copied().unwrap_or(0),
        "max_in_flight": st.max_in_flight.get(&account).copied().unwrap_or(0),
    }))
}

/// A valid 1×1 PNG for the demo.
async fn media(name: web::Path<String>) -> HttpResponse {
    static PNG: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00,
        0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF,
        0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];
    if name.ends_with(".png") {
        HttpResponse::Ok().content_type("image/png").body(PNG)
    } else {
        HttpResponse::NotFound().finish()
    }
}
