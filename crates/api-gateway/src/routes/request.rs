//! Reading requests: JSON bodies (so that every problem names its field), ids, query lists.

use actix_web::{HttpRequest, http::header, web};
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::error::ApiError;

/// Reads the whole body, refusing more than `limit` bytes with a problem+json 413.
pub async fn read_body(mut payload: web::Payload, limit: usize) -> Result<web::Bytes, ApiError> {
    use futures_util::StreamExt;
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::field("", format!("the body could not be read: {e}")))?;
        if buf.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(format!("The body is larger than {limit} bytes.")));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// The body as JSON; `None` when empty. Anything but JSON is a 415.
pub fn json_body(req: &HttpRequest, body: &web::Bytes) -> Result<Option<Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if mime != "application/json" && !mime.ends_with("+json") {
        return Err(ApiError::UnsupportedMediaType(format!(
            "Send the body as application/json (got `{}`).",
            if mime.is_empty() { "no content type" } else { &mime }
        )));
    }
    let v: Value =
        serde_json::from_slice(body).map_err(|e| ApiError::field("", format!("the body is not valid JSON: {e}")))?;
    domain::input::nul_free(&v).map_err(|e| ApiError::Validation(vec![e]))?;
    Ok(Some(v))
}

pub fn require_json(req: &HttpRequest, body: &web::Bytes) -> Result<Value, ApiError> {
    json_body(req, body)?.ok_or_else(|| ApiError::field("", "a JSON body is required"))
}

/// Bodies of small settings requests (uploads, webhooks) never need more than this.
const SMALL_BODY_LIMIT: usize = 64 * 1024;

/// A required JSON body of a small settings request.
pub async fn small_json(req: &HttpRequest, payload: web::Payload) -> Result<Value, ApiError> {
    require_json(req, &read_body(payload, SMALL_BODY_LIMIT).await?)
}

/// Path ids that are not uuids name nothing that exists.
/// An id from the path, typed as the caller needs (`PostId`, `ProfileId`, …); anything
/// that is not a UUID is simply not found.
pub fn path_id<T: From<Uuid>>(raw: &str, not_found: fn() -> ApiError) -> Result<T, ApiError> {
    Uuid::parse_str(raw).map(T::from).map_err(|_| not_found())
}

/// Query pairs, keeping repeated keys.
pub struct QueryPairs(pub Vec<(String, String)>);

impl QueryPairs {
    pub fn parse(req: &HttpRequest) -> Result<Self, ApiError> {
        serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .map(QueryPairs)
            .map_err(|e| ApiError::field("query", e.to_string()))
    }

    pub fn one(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// A list given as repeated keys (`a=1&a=2`, also `a[]=`) or comma-separated.
    pub fn many(&self, key: &str) -> Option<Vec<String>> {
        let bracket = format!("{key}[]");
        let items: Vec<String> = self
            .0
            .iter()
            .filter(|(k, _)| k == key || *k == bracket)
            .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect::<Vec<_>>())
            .collect();
        (!items.is_empty()).then_some(items)
    }

    pub fn check_known(&self, known: &[&str]) -> Result<(), ApiError> {
        let unknown: Vec<_> = self
            .0
            .iter()
            .map(|(k, _)| k.trim_end_matches("[]"))
            .filter(|k| !known.contains(k))
            .map(|k| {
                domain::input::FieldError::new(k, format!("unknown query parameter; allowed: {}", known.join(", ")))
            })
            .collect();
        if unknown.is_empty() { Ok(()) } else { Err(ApiError::Validation(unknown)) }
    }

    pub fn time(&self, key: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        self.one(key)
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| ApiError::field(key, "must be an RFC 3339 date-time, e.g. 2026-03-27T10:30:00Z"))
            })
            .transpose()
    }

    pub fn int(&self, key: &str, default: i64, min: i64, max: i64) -> Result<i64, ApiError> {
        match self.one(key) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| ApiError::field(key, format!("must be an integer from {min} to {max}"))),
        }
    }

    pub fn uuids<T: From<Uuid>>(&self, key: &str) -> Result<Option<Vec<T>>, ApiError> {
        self.many(key)
            .map(|v| {
                v.iter()
                    .map(|s| {
                        Uuid::parse_str(s)
                            .map(T::from)
                            .map_err(|_| ApiError::field(key, format!("`{s}` is not a uuid")))
                    })
                    .collect()
            })
            .transpose()
    }
}
