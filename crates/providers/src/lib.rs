//! Provider adapters: one per platform behind one trait, each speaking that platform's
//! public API (paths, bodies, media upload flow). Base URLs come from configuration, so
//! the same adapters talk to provider-sim in development and tests.
//!
//! Every adapter classifies what went wrong: an explicit rejection settles the delivery
//! failed now; a thrown attempt (timeout, connection error, 5xx) may be retried; 429 is
//! retryable after `Retry-After`; an authorization failure means the profile must be
//! reconnected. The delivery id travels as `X-PostMantis-Delivery-Id` on every call, and
//! as the platform's own idempotency key where one exists.

mod adapters;
mod capabilities;
mod http;
pub mod inbound;
pub mod oauth;
pub mod recover;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use domain::Provider;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use capabilities::{
    Author, Capabilities, Comment, Inbox, InboxItem, InboxPage, InboxRead, Lookup, Metrics, Publish, Reply, Thread,
};
pub use http::readable_error;

#[derive(Debug, Clone, Serialize)]
pub struct MediaItem {
    /// An owned asset URL (the gateway's `/media/{id}`).
    pub url: String,
    pub content_type: String,
    pub alt: Option<String>,
    pub size_bytes: u64,
}

/// The profile a delivery goes to.
#[derive(Debug, Clone)]
pub struct Account {
    /// The account id on the provider's side (user id, page id, DID…).
    pub external_id: String,
    pub username: Option<String>,
    pub access_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct PublishRequest {
    pub delivery_id: domain::DeliveryId,
    pub provider: Provider,
    pub account: Account,
    pub text: Option<String>,
    pub media: Vec<MediaItem>,
    /// `provider_options[provider]` of the post.
    pub options: Value,
    /// The post's cover image, when the options name one.
    pub cover: Option<MediaItem>,
    /// Set when an earlier attempt may have published already (it timed out after
    /// sending, or the worker died mid-call): the post is looked up before publishing.
    pub recovery: Option<recover::Recovery>,
    /// Set for a part after the post itself: a thread's next part, or the first comment.
    pub part: Option<PartOf>,
}

/// What a later part of a delivery answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartOf {
    /// 1 for the part after the post, and so on.
    pub index: u16,
    pub kind: PartKind,
    /// The delivery's post (part 0).
    pub root: Published,
    /// The part just before this one (the post itself for a comment).
    pub parent: Published,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    /// A thread's next post, replying to the one before.
    Reply,
    /// A comment on the post.
    Comment,
    /// A reply from the inbox: `parent` is the item answered.
    Answer,
}

impl PartKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PartKind::Reply => "reply",
            PartKind::Comment => "comment",
            PartKind::Answer => "answer",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub provider_post_id: String,
    pub url: String,
    /// Found by a look-up: an earlier attempt had published it already.
    pub recovered: bool,
}

impl Published {
    pub fn new(provider_post_id: String, url: String) -> Self {
        Self { provider_post_id, url, recovered: false }
    }

    pub fn recovered(provider_post_id: String, url: String) -> Self {
        Self { provider_post_id, url, recovered: true }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider said no: settle failed now; another attempt would say no again.
    #[error("{0}")]
    Rejected(String),
    /// The attempt threw (timeout, connection error, 5xx): another attempt may succeed.
    #[error("{0}")]
    Retryable(String),
    /// 429: retryable, after `retry_after` when the provider said.
    #[error("rate limited by the provider: {message}")]
    RateLimited { message: String, retry_after: Option<Duration> },
    /// The token was refused: the profile must be reconnected (or its token refreshed).
    #[error("{0}")]
    Unauthorized(String),
}

impl ProviderError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, ProviderError::Retryable(_) | ProviderError::RateLimited { .. })
    }
}

pub type PublishResult = Result<Published, ProviderError>;
pub type FindResult = Result<Option<Published>, ProviderError>;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ProvidersConfig {
    /// Base URL per provider id; `default_base_url` for the rest.
    pub base_urls: HashMap<String, String>,
    pub default_base_url: String,
    pub timeout_ms: u64,
    /// OAuth applications per provider id (unset fields point at provider-sim).
    pub oauth: HashMap<String, oauth::OAuthClient>,
}

impl Default for ProvidersConfig {
    fn default() -> Self {
        Self {
            base_urls: HashMap::new(),
            default_base_url: "http://127.0.0.1:8090".into(),
            timeout_ms: 30_000,
            oauth: HashMap::new(),
        }
    }
}

#[derive(Clone)]
pub struct Providers {
    http: reqwest::Client,
    config: ProvidersConfig,
    adapters: Arc<HashMap<Provider, Capabilities>>,
}

impl Providers {
    pub fn new(config: ProvidersConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("PostMantis/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, config, adapters: Arc::new(adapters::all()) })
    }

    fn base(&self, p: Provider) -> String {
        self.config.api_base(p)
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn config(&self) -> &ProvidersConfig {
        &self.config
    }

    /// The requests the adapter would send for `req`, without sending any (a dry run).
    /// Look-ups of earlier attempts are not part of a first attempt, so none are shown.
    pub async fn preview(&self, req: &PublishRequest) -> Result<Vec<Value>, ProviderError> {
        let adapter = self.adapter(req)?;
        let cx = http::Cx::recording(self.http.clone(), self.base(req.provider), req);
        self.make(adapter, &cx, req).await?;
        Ok(cx.recorded())
    }

    /// Publishes the post or part, after looking for the one an earlier attempt made when
    /// one may have.
    pub async fn publish(&self, req: &PublishRequest) -> PublishResult {
        let adapter = self.adapter(req)?;
        let cx = http::Cx::new(self.http.clone(), self.base(req.provider), req);
        if req.recovery.is_some()
            && let Some(found) = self.look(adapter, &cx, req).await?
        {
            return Ok(found);
        }
        self.make(adapter, &cx, req).await
    }

    /// Only the look-up: for an attempt that may not publish again (its budget is spent).
    pub async fn find(&self, req: &PublishRequest) -> FindResult {
        let adapter = self.adapter(req)?;
        let cx = http::Cx::new(self.http.clone(), self.base(req.provider), req);
        self.look(adapter, &cx, req).await
    }

    async fn make(&self, adapter: &Capabilities, cx: &http::Cx, req: &PublishRequest) -> PublishResult {
        match req.part.as_ref().map(|p| p.kind) {
            None => adapter.publish.publish(cx, req).await,
            Some(PartKind::Reply) => self.threads(adapter, req)?.publish_part(cx, req).await,
            Some(PartKind::Comment) => self.comments(adapter, req)?.comment(cx, req).await,
            Some(PartKind::Answer) => self.replies(adapter, req)?.reply(cx, req).await,
        }
    }

    async fn look(&self, adapter: &Capabilities, cx: &http::Cx, req: &PublishRequest) -> FindResult {
        match req.part.as_ref().map(|p| p.kind) {
            None => match &adapter.lookup {
                Some(lookup) => lookup.find(cx, req).await,
                None => Ok(None),
            },
            Some(PartKind::Reply) => self.threads(adapter, req)?.find_part(cx, req).await,
            Some(PartKind::Comment) => self.comments(adapter, req)?.find_comment(cx, req).await,
            Some(PartKind::Answer) => self.replies(adapter, req)?.find_reply(cx, req).await,
        }
    }

    /// A published post's figures now (`post` as its delivery recorded it).
    pub async fn metrics(
        &self,
        provider: Provider,
        account: &Account,
        post: &Published,
    ) -> Result<domain::metrics::Snapshot, ProviderError> {
        let adapter = self.adapters.get(&provider).and_then(|a| a.metrics.as_deref()).ok_or_else(|| {
            ProviderError::Rejected(format!("{} gives no figures to PostMantis", provider.display_name()))
        })?;
        let cx = http::Cx::reading(self.http.clone(), self.base(provider), provider, account);
        adapter.metrics(&cx, account, post).await
    }

    /// An account's own figures now (followers, posts).
    pub async fn account_metrics(
        &self,
        provider: Provider,
        account: &Account,
    ) -> Result<domain::metrics::AccountSnapshot, ProviderError> {
        let adapter = self.adapters.get(&provider).and_then(|a| a.metrics.as_deref()).ok_or_else(|| {
            ProviderError::Rejected(format!("{} gives no figures to PostMantis", provider.display_name()))
        })?;
        let cx = http::Cx::reading(self.http.clone(), self.base(provider), provider, account);
        adapter.account(&cx, account).await
    }

    fn threads<'a>(&self, adapter: &'a Capabilities, req: &PublishRequest) -> Result<&'a dyn Thread, ProviderError> {
        adapter.thread.as_deref().ok_or_else(|| {
            ProviderError::Rejected(format!("{} has no threads in PostMantis", req.provider.display_name()))
        })
    }

    fn comments<'a>(&self, adapter: &'a Capabilities, req: &PublishRequest) -> Result<&'a dyn Comment, ProviderError> {
        adapter.comment.as_deref().ok_or_else(|| {
            ProviderError::Rejected(format!("{} takes no first comment in PostMantis", req.provider.display_name()))
        })
    }

    fn replies<'a>(&self, adapter: &'a Capabilities, req: &PublishRequest) -> Result<&'a dyn Reply, ProviderError> {
        adapter.reply.as_deref().ok_or_else(|| {
            ProviderError::Rejected(format!("{} takes no replies from PostMantis", req.provider.display_name()))
        })
    }

    /// What the account's audience addressed to it since the last read's cursors.
    pub async fn inbox(
        &self,
        provider: Provider,
        account: &Account,
        read: &InboxRead,
    ) -> Result<InboxPage, ProviderError> {
        let adapter = self.adapters.get(&provider).and_then(|a| a.inbox.as_deref()).ok_or_else(|| {
            ProviderError::Rejected(format!("{} has no inbox in PostMantis", provider.display_name()))
        })?;
        let cx = http::Cx::reading(self.http.clone(), self.base(provider), provider, account);
        adapter.inbox(&cx, account, read).await
    }

    /// The providers whose adapters read an inbox.
    pub fn with_inbox(&self) -> Vec<Provider> {
        let mut all: Vec<Provider> = self.adapters.iter().filter(|(_, c)| c.inbox.is_some()).map(|(p, _)| *p).collect();
        all.sort_by_key(|p| p.as_str());
        all
    }

    fn adapter(&self, req: &PublishRequest) -> Result<&Capabilities, ProviderError> {
        self.adapters.get(&req.provider).ok_or_else(|| {
            ProviderError::Rejected(format!("{} is not wired for publishing", req.provider.display_name()))
        })
    }
}
