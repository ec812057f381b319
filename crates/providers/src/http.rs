//! What every adapter shares: sending a call with the delivery id and token, and turning
//! the answer into a value or a classified failure.

use std::time::Duration;

use domain::Provider;
use reqwest::{RequestBuilder, StatusCode, header::HeaderMap};
use serde_json::Value;

use crate::{MediaItem, ProviderError, PublishRequest};

/// The longest `Retry-After` taken from a provider.
pub const MAX_RETRY_AFTER_S: u64 = 3600;

/// A 429's `Retry-After` in seconds. The provider's number, so at most an hour (then it
/// is asked again): a huge one must neither overflow a timestamp nor park a profile.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| Duration::from_secs(s.min(MAX_RETRY_AFTER_S)))
}

pub struct Cx {
    pub http: reqwest::Client,
    pub base: String,
    provider: Provider,
    delivery_id: String,
    token: Option<String>,
    /// Dry run: requests are recorded here instead of sent.
    recorded: Option<std::sync::Mutex<Vec<Value>>>,
}

/// A successful answer.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Cx {
    pub fn new(http: reqwest::Client, base: String, req: &PublishRequest) -> Self {
        Self {
            http,
            base,
            provider: req.provider,
            delivery_id: req.delivery_id.to_string(),
            token: req.account.access_token.clone(),
            recorded: None,
        }
    }

    /// A context for reading on an account's behalf (its post's figures), outside any
    /// delivery.
    pub fn reading(http: reqwest::Client, base: String, provider: Provider, account: &crate::Account) -> Self {
        Self { http, base, provider, delivery_id: String::new(), token: account.access_token.clone(), recorded: None }
    }

    /// A context that records every request and answers with placeholders.
    pub fn recording(http: reqwest::Client, base: String, req: &PublishRequest) -> Self {
        Self { recorded: Some(std::sync::Mutex::new(Vec::new())), ..Self::new(http, base, req) }
    }

    pub fn recorded(self) -> Vec<Value> {
        self.recorded.and_then(|r| r.into_inner().ok()).unwrap_or_default()
    }

    fn record(&self, b: RequestBuilder) -> Result<Answer, ProviderError> {
        let req = b.build().map_err(|e| ProviderError::Rejected(format!("the request could not be built: {e}")))?;
        let mut headers = serde_json::Map::new();
        for (name, value) in req.headers() {
            // Credentials never leave in a preview.
            if name != reqwest::header::AUTHORIZATION {
                headers.insert(name.as_str().to_owned(), Value::String(value.to_str().unwrap_or("").to_owned()));
            }
        }
        let body = match req.body().and_then(|b| b.as_bytes()) {
            Some(bytes) => serde_json::from_slice(bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned())),
            None if req.body().is_some() => Value::String("(streamed: the file or multipart form)".into()),
            None => Value::Null,
        };
        if let Some(r) = &self.recorded
            && let Ok(mut list) = r.lock()
        {
            list.push(serde_json::json!({"method": req.method().as_str(), "url": req.url().as_str(), "headers": headers, "body": body}));
        }
        let mut answer_headers = HeaderMap::new();
        for (k, v) in
            [("location", format!("{}/dry-run/upload", self.base)), ("x-restli-id", "urn:li:share:dry-run".to_owned())]
        {
            if let Ok(v) = reqwest::header::HeaderValue::from_str(&v) {
                answer_headers.insert(k, v);
            }
        }
        Ok(Answer { status: StatusCode::OK, headers: answer_headers, body: placeholder_answer(&self.base) })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with the account's bearer token and the delivery id.
    pub fn call(&self, method: reqwest::Method, url: &str) -> RequestBuilder {
        let mut b = self.http.request(method, url).header("X-PostMantis-Delivery-Id", &self.delivery_id);
        if let Some(tp) = telemetry::current_traceparent() {
            b = b.header("traceparent", tp);
        }
        if let Some(t) = &self.token {
            b = b.bearer_auth(t);
        }
        b
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.call(reqwest::Method::POST, &self.url(path))
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.call(reqwest::Method::GET, &self.url(path))
    }

    /// The platform's name, for messages (and a snapshot's warnings).
    pub fn name(&self) -> &'static str {
        self.provider.display_name()
    }

    /// Sends and classifies.
    pub async fn send(&self, b: RequestBuilder) -> Result<Answer, ProviderError> {
        if self.recorded.is_some() {
            return self.record(b);
        }
        let name = self.name();
        let resp = b.send().await.map_err(|e| {
            if e.is_timeout() {
                ProviderError::Retryable(format!("{name} did not answer in time"))
            } else {
                ProviderError::Retryable(format!("could not reach {name}: {}", root_cause(&e)))
            }
        })?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.map_err(|_| ProviderError::Retryable(format!("{name}'s answer was cut off")))?;
        if status.is_success() {
            let body = if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            };
            return Ok(Answer { status, headers, body });
        }
        let message = readable_error(&text).unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
        Err(match status.as_u16() {
            429 => {
                ProviderError::RateLimited { message: format!("{name}: {message}"), retry_after: retry_after(&headers) }
            }
            401 => ProviderError::Unauthorized(format!(
                "{name} refused the profile's authorization ({message}); reconnect the profile in the dashboard"
            )),
            408 | 500..=599 => {
                ProviderError::Retryable(format!("{name} failed with HTTP {}: {message}", status.as_u16()))
            }
            _ => ProviderError::Rejected(format!("{name} rejected the post: {message}")),
        })
    }

    /// Downloads an owned media file as a stream to forward (never buffered whole).
    pub async fn media_body(&self, m: &MediaItem) -> Result<reqwest::Body, ProviderError> {
        if self.recorded.is_some() {
            return Ok(reqwest::Body::wrap_stream(
                futures_util::stream::empty::<Result<bytes::Bytes, std::io::Error>>(),
            ));
        }
        let resp = self
            .http
            .get(&m.url)
            .send()
            .await
            .map_err(|e| ProviderError::Retryable(format!("could not read the media file: {}", root_cause(&e))))?;
        if !resp.status().is_success() {
            return Err(ProviderError::Retryable(format!("the media file answered HTTP {}", resp.status().as_u16())));
        }
        Ok(reqwest::Body::wrap_stream(resp.bytes_stream()))
    }

    pub fn unexpected(&self, what: &str) -> ProviderError {
        ProviderError::Retryable(format!("{} answered without {what}", self.name()))
    }
}

/// What a dry run answers every call with: the fields the adapters read, as placeholders.
fn placeholder_answer(base: &str) -> Value {
    let id = "dry-run";
    let upload = format!("{base}/dry-run/upload");
    serde_json::json!({
        "id": id, "post_id": id, "uri": "at://dry-run", "cid": id, "$URN": "urn:li:comment:dry-run",
        "url": "https://dry-run.invalid/post",
        "permalink": "https://dry-run.invalid/post", "media_id": id, "upload_url": upload,
        "data": {"id": id, "publish_id": id, "status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [id]},
        "value": {"uploadUrl": upload, "image": "urn:li:image:dry-run", "video": "urn:li:video:dry-run",
                  "uploadInstructions": [{"uploadUrl": upload}], "uploadToken": ""},
        "blob": {"$type": "blob", "ref": {"$link": "dry-run"}, "mimeType": "application/octet-stream", "size": 0},
        "json": {"errors": [], "data": {"name": "t3_dry-run", "url": "https://dry-run.invalid/post",
                 "things": [{"data": {"name": "t1_dry-run", "permalink": "/dry-run"}}]}},
    })
}

/// A string field of an answer, or a retryable "answered without".
pub fn field(cx: &Cx, v: &Value, pointer: &str) -> Result<String, ProviderError> {
    match v.pointer(pointer) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(cx.unexpected(pointer.trim_start_matches('/'))),
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// The provider's own words, from the usual places an error body puts them; never a
/// serialized object.
pub fn readable_error(body: &str) -> Option<String> {
    let v: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(_) => {
            let t = body.trim();
            return (!t.is_empty() && t.len() < 500).then(|| t.to_owned());
        }
    };
    let candidates = [
        v.pointer("/error/message"),
        v.pointer("/error/error_user_msg"),
        v.pointer("/error_description"),
        v.pointer("/message"),
        v.pointer("/detail"),
        v.pointer("/errors/0/message"),
        v.pointer("/json/errors/0/1"),
        v.pointer("/error"),
    ];
    candidates.into_iter().flatten().find_map(|c| c.as_str().map(str::to_owned))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_become_sentences() {
        assert_eq!(
            readable_error(r#"{"error":{"message":"Duplicate content"}}"#).as_deref(),
            Some("Duplicate content")
        );
        assert_eq!(readable_error(r#"{"errors":[{"message":"Too long"}]}"#).as_deref(), Some("Too long"));
        assert_eq!(readable_error(r#"{"error":"invalid_token"}"#).as_deref(), Some("invalid_token"));
        assert_eq!(
            readable_error(r#"{"json":{"errors":[["SUBREDDIT_NOEXIST","that subreddit doesn't exist","sr"]]}}"#)
                .as_deref(),
            Some("that subreddit doesn't exist")
        );
        assert_eq!(readable_error("Bad Gateway").as_deref(), Some("Bad Gateway"));
        assert_eq!(readable_error(r#"{"error":{"code":5}}"#), None);
        assert_eq!(readable_error(""), None);
    }

    #[test]
    fn only_thrown_and_rate_limited_attempts_are_retried() {
        assert!(!ProviderError::Rejected("no".into()).is_retryable());
        assert!(!ProviderError::Unauthorized("token".into()).is_retryable());
        assert!(ProviderError::Retryable("5xx".into()).is_retryable());
        assert!(ProviderError::RateLimited { message: "slow".into(), retry_after: None }.is_retryable());
    }

    #[test]
    fn retry_after_is_clamped_to_an_hour() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(reqwest::header::RETRY_AFTER, "30".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(30)));
        h.insert(reqwest::header::RETRY_AFTER, "18446744073709551615".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3600)));
        h.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }
}
