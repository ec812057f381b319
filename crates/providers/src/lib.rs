//! Provider adapters. This first set speaks one simplified request shape to every
//! provider (the shape `provider-sim` serves); the providers issue replaces it with each
//! platform's real API. What is final here is the contract toward the worker: one call,
//! the delivery id as idempotency key, and failures classified so the worker knows
//! whether another attempt may help.

use std::collections::HashMap;
use std::time::Duration;

use domain::Provider;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct MediaItem {
    pub url: String,
    pub content_type: String,
    pub alt: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PublishRequest {
    pub delivery_id: Uuid,
    pub provider: Provider,
    pub account_id: String,
    pub access_token: Option<String>,
    pub text: Option<String>,
    pub media: Vec<MediaItem>,
    /// `provider_options[provider]` of the post, passed through.
    pub options: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub provider_post_id: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider said no: settle failed now, another attempt would say no again.
    #[error("{0}")]
    Rejected(String),
    /// The attempt threw (timeout, connection error, 5xx): another attempt may succeed.
    #[error("{0}")]
    Retryable(String),
    /// 429: retryable, after `retry_after` if the provider said.
    #[error("rate limited by the provider: {message}")]
    RateLimited { message: String, retry_after: Option<Duration> },
}

impl ProviderError {
    pub fn is_retryable(&self) -> bool {
        !matches!(self, ProviderError::Rejected(_))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ProvidersConfig {
    /// Base URL per provider id; `default_base_url` for the rest.
    pub base_urls: HashMap<String, String>,
    pub default_base_url: String,
    pub timeout_ms: u64,
}

impl Default for ProvidersConfig {
    fn default() -> Self {
        Self { base_urls: HashMap::new(), default_base_url: "http://127.0.0.1:8090".into(), timeout_ms: 30_000 }
    }
}

#[derive(Clone)]
pub struct Providers {
    http: reqwest::Client,
    config: ProvidersConfig,
}

#[derive(Deserialize)]
struct Created {
    id: String,
    url: String,
}

impl Providers {
    pub fn new(config: ProvidersConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("PostMantis/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, config })
    }

    fn base(&self, p: Provider) -> &str {
        self.config.base_urls.get(p.as_str()).unwrap_or(&self.config.default_base_url).trim_end_matches('/')
    }

    pub async fn publish(&self, req: &PublishRequest) -> Result<Published, ProviderError> {
        let url = format!("{}/v1/{}/accounts/{}/posts", self.base(req.provider), req.provider, req.account_id);
        let mut call = self
            .http
            .post(&url)
            .header("Idempotency-Key", req.delivery_id.to_string())
            .json(&serde_json::json!({"text": req.text, "media": req.media, "options": req.options}));
        if let Some(token) = &req.access_token {
            call = call.bearer_auth(token);
        }
        let resp = call.send().await.map_err(|e| {
            if e.is_timeout() {
                ProviderError::Retryable(format!("{} did not answer in time", req.provider.display_name()))
            } else {
                ProviderError::Retryable(format!("could not reach {}: {}", req.provider.display_name(), root_cause(&e)))
            }
        })?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = resp.text().await.unwrap_or_default();
        let name = req.provider.display_name();
        if status.is_success() {
            let c: Created = serde_json::from_str(&text)
                .map_err(|_| ProviderError::Retryable(format!("{name} answered {status} with an unreadable body")))?;
            return Ok(Published { provider_post_id: c.id, url: c.url });
        }
        let message = readable_error(&text).unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
        Err(match status.as_u16() {
            429 => ProviderError::RateLimited { message: format!("{name}: {message}"), retry_after },
            408 | 500..=599 => {
                ProviderError::Retryable(format!("{name} failed with HTTP {}: {message}", status.as_u16()))
            }
            _ => ProviderError::Rejected(format!("{name} rejected the post: {message}")),
        })
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
        v.pointer("/error_description"),
        v.pointer("/message"),
        v.pointer("/detail"),
        v.pointer("/errors/0/message"),
        v.pointer("/error"),
    ];
    candidates.into_iter().flatten().find_map(|c| c.as_str().map(str::to_owned))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
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
        assert_eq!(readable_error("Bad Gateway").as_deref(), Some("Bad Gateway"));
        assert_eq!(readable_error(r#"{"error":{"code":5}}"#), None);
        assert_eq!(readable_error(""), None);
    }

    #[test]
    fn only_rejections_are_final() {
        assert!(!ProviderError::Rejected("no".into()).is_retryable());
        assert!(ProviderError::Retryable("5xx".into()).is_retryable());
        assert!(ProviderError::RateLimited { message: "slow".into(), retry_after: None }.is_retryable());
    }
}
