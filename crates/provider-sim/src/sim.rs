use std::collections::HashMap;
use std::net::TcpListener;
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, dev::Server, web};
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// What the next calls for one account should meet.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Fault {
    /// reject | error | timeout | rate_limit | delay
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
}

#[derive(Debug, Clone, Serialize)]
struct Call {
    seq: u64,
    provider: String,
    account: String,
    idempotency_key: Option<String>,
    authorization: Option<String>,
    body: Value,
    /// What the media URLs in the body served when the sim fetched them.
    media: Vec<Value>,
    outcome: String,
    at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
struct Publish {
    id: String,
    url: String,
    provider: String,
    account: String,
    idempotency_key: Option<String>,
    text: Option<String>,
    at: DateTime<Utc>,
}

#[derive(Default)]
struct State {
    faults: HashMap<String, Fault>,
    calls: Vec<Call>,
    publishes: Vec<Publish>,
    seq: u64,
}

struct Sim {
    state: Mutex<State>,
    base_url: String,
    http: reqwest::Client,
}

/// Fetches every `media[].url` like a provider pulling media: size, type and SHA-256.
async fn fetch_media(http: &reqwest::Client, body: &Value) -> Result<Vec<Value>, String> {
    use sha2::Digest;
    let mut out = Vec::new();
    for m in body.get("media").and_then(Value::as_array).into_iter().flatten() {
        let url = m.get("url").and_then(Value::as_str).ok_or("a media item has no url")?;
        let resp = http.get(url).send().await.map_err(|e| format!("could not fetch {url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("fetching {url} answered HTTP {}", resp.status().as_u16()));
        }
        let content_type = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let bytes = resp.bytes().await.map_err(|e| format!("could not read {url}: {e}"))?;
        out.push(json!({
            "url": url,
            "content_type": content_type,
            "size": bytes.len(),
            "sha256": hex::encode(sha2::Sha256::digest(&bytes)),
        }));
    }
    Ok(out)
}

pub fn run(listener: TcpListener, base_url: String) -> std::io::Result<Server> {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().map_err(std::io::Error::other)?;
    let sim = web::Data::new(Sim { state: Mutex::default(), base_url, http });
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(sim.clone())
            .app_data(web::JsonConfig::default().limit(10 * 1024 * 1024))
            .route("/healthz", web::get().to(|| async { HttpResponse::Ok().json(json!({"status": "ok"})) }))
            .route("/v1/{provider}/accounts/{account}/posts", web::post().to(publish))
            .route("/_sim/faults/{account}", web::put().to(set_fault))
            .route("/_sim/faults/{account}", web::delete().to(clear_fault))
            .route("/_sim/calls", web::get().to(calls))
            .route("/_sim/publishes", web::get().to(publishes))
            .route("/_sim/media/{name}", web::get().to(media))
    })
    .workers(2)
    .listen(listener)?
    .run())
}

enum Verdict {
    Publish,
    Reject(String),
    Error,
    Timeout(u64),
    RateLimit(u64),
    Delay(u64),
}

fn next_verdict(state: &mut State, account: &str) -> Verdict {
    let Some(f) = state.faults.get_mut(account) else { return Verdict::Publish };
    let verdict = match f.mode.as_str() {
        "reject" => Verdict::Reject(f.message.clone().unwrap_or_else(|| "The post was rejected.".into())),
        "error" => Verdict::Error,
        "timeout" => Verdict::Timeout(f.delay_ms.unwrap_or(30_000)),
        "rate_limit" => Verdict::RateLimit(f.retry_after_s.unwrap_or(1)),
        "delay" => Verdict::Delay(f.delay_ms.unwrap_or(100)),
        _ => Verdict::Publish,
    };
    if let Some(n) = f.times.as_mut() {
        *n = n.saturating_sub(1);
        if *n == 0 {
            state.faults.remove(account);
        }
    }
    verdict
}

async fn publish(
    sim: web::Data<Sim>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Json<Value>,
) -> HttpResponse {
    let (provider, account) = path.into_inner();
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let key = header("idempotency-key");
    let (verdict, replay) = {
        let mut st = sim.state.lock();
        // The same idempotency key after a success returns the first result, like the
        // providers that honour such keys: no second public post.
        let replay = key
            .as_ref()
            .and_then(|k| st.publishes.iter().find(|p| p.idempotency_key.as_deref() == Some(k.as_str())).cloned());
        let verdict = if replay.is_some() { Verdict::Publish } else { next_verdict(&mut st, &account) };
        (verdict, replay)
    };
    let media = match &verdict {
        Verdict::Publish | Verdict::Delay(_) if replay.is_none() => match fetch_media(&sim.http, &body).await {
            Ok(m) => m,
            Err(message) => Vec::from([json!({"error": message})]),
        },
        _ => Vec::new(),
    };
    let media_error = media.iter().find_map(|m| m.get("error").and_then(Value::as_str).map(str::to_owned));
    let record = |outcome: &str| {
        let mut st = sim.state.lock();
        st.seq += 1;
        let seq = st.seq;
        st.calls.push(Call {
            seq,
            provider: provider.clone(),
            account: account.clone(),
            idempotency_key: key.clone(),
            authorization: header("authorization"),
            body: body.0.clone(),
            media: media.clone(),
            outcome: outcome.to_owned(),
            at: Utc::now(),
        });
    };
    if let Some(message) = media_error {
        record("rejected");
        return HttpResponse::BadRequest().json(json!({"error": {"code": "media", "message": message}}));
    }
    if let Some(p) = replay {
        record("replayed");
        return HttpResponse::Ok().json(json!({"id": p.id, "url": p.url}));
    }
    match verdict {
        Verdict::Reject(message) => {
            record("rejected");
            HttpResponse::BadRequest().json(json!({"error": {"code": "rejected", "message": message}}))
        }
        Verdict::Error => {
            record("error");
            HttpResponse::InternalServerError().json(json!({"error": {"message": "Internal error"}}))
        }
        Verdict::Timeout(ms) => {
            record("timeout");
            tokio::time::sleep(Duration::from_millis(ms)).await;
            HttpResponse::GatewayTimeout().finish()
        }
        Verdict::RateLimit(s) => {
            record("rate_limited");
            HttpResponse::TooManyRequests()
                .insert_header(("Retry-After", s.to_string()))
                .json(json!({"error": {"message": "Rate limit exceeded"}}))
        }
        Verdict::Delay(ms) => {
            // Recorded on arrival, so a test sees the call while it is still in flight.
            record("published");
            tokio::time::sleep(Duration::from_millis(ms)).await;
            created(&sim, &provider, &account, key.clone(), &body)
        }
        Verdict::Publish => {
            record("published");
            created(&sim, &provider, &account, key.clone(), &body)
        }
    }
}

fn created(sim: &Sim, provider: &str, account: &str, key: Option<String>, body: &Value) -> HttpResponse {
    let id = uuid::Uuid::new_v4().simple().to_string()[..16].to_owned();
    let url = format!("{}/{provider}/{account}/posts/{id}", sim.base_url);
    sim.state.lock().publishes.push(Publish {
        id: id.clone(),
        url: url.clone(),
        provider: provider.to_owned(),
        account: account.to_owned(),
        idempotency_key: key,
        text: body.get("text").and_then(|t| t.as_str()).map(str::to_owned),
        at: Utc::now(),
    });
    HttpResponse::Created().json(json!({"id": id, "url": url}))
}

async fn set_fault(sim: web::Data<Sim>, account: web::Path<String>, fault: web::Json<Fault>) -> HttpResponse {
    sim.state.lock().faults.insert(account.into_inner(), fault.into_inner());
    HttpResponse::NoContent().finish()
}

async fn clear_fault(sim: web::Data<Sim>, account: web::Path<String>) -> HttpResponse {
    sim.state.lock().faults.remove(&account.into_inner());
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
struct ByAccount {
    account: Option<String>,
}

async fn calls(sim: web::Data<Sim>, q: web::Query<ByAccount>) -> HttpResponse {
    let st = sim.state.lock();
    let rows: Vec<&Call> = st.calls.iter().filter(|c| q.account.as_ref().is_none_or(|a| &c.account == a)).collect();
    HttpResponse::Ok().json(rows)
}

async fn publishes(sim: web::Data<Sim>, q: web::Query<ByAccount>) -> HttpResponse {
    let st = sim.state.lock();
    let rows: Vec<&Publish> =
        st.publishes.iter().filter(|c| q.account.as_ref().is_none_or(|a| &c.account == a)).collect();
    HttpResponse::Ok().json(rows)
}

/// A valid 1×1 PNG for media tests and the demo.
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
