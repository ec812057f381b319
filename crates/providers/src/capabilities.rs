//! What a platform's adapter can do, one trait per capability, and the registry entry
//! that says which of them a platform has. An adapter implements exactly what its API
//! offers; callers ask the registry (`Providers`) and get "not supported" for the rest.
//!
//! `Publish` and `Lookup` are implemented by every adapter that has them; `Thread` by the
//! platforms with threads and `Comment` by those that take a first comment; `Metrics` by
//! every platform (mapped to `domain::metrics`); `Inbox` and `Reply` by the platforms whose
//! audience's comments, mentions or messages PostMantis reads and answers.

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::{Map, Value};

use domain::inbox::ItemKind;

use crate::{Account, FindResult, ProviderError, PublishRequest, PublishResult, Published, http::Cx};
use domain::metrics::{AccountSnapshot, Snapshot};

/// Publishing a post: every platform has it.
pub trait Publish: Send + Sync {
    fn publish<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult>;
}

/// Finding the post an earlier attempt of this delivery made, when its answer was lost
/// (`recover::pick` decides what is surely ours).
pub trait Lookup: Send + Sync {
    fn find<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult>;
}

/// Publishing one part of a thread (`req.part`) as the reply to the part before it, and
/// finding the one an earlier attempt made when its answer was lost.
pub trait Thread: Send + Sync {
    fn publish_part<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult>;
    fn find_part<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult>;
}

/// Posting the first comment (`req.part`) on the post, and finding it after a lost answer.
pub trait Comment: Send + Sync {
    fn comment<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult>;
    fn find_comment<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult>;
}

/// Answering an inbox item (`req.part` of kind `Answer`: `parent` is the item, `root` the
/// post or conversation it belongs to), and finding the answer an earlier attempt made
/// when its answer was lost.
pub trait Reply: Send + Sync {
    fn reply<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, PublishResult>;
    fn find_reply<'a>(&'a self, cx: &'a Cx, req: &'a PublishRequest) -> BoxFuture<'a, FindResult>;
}

/// A published post's figures, and the account's, as the platform counts them now, in the catalogue's terms
/// (`domain::metrics`): what the platform does not give is empty; what it stopped giving
/// is empty with a warning.
pub trait Metrics: Send + Sync {
    fn metrics<'a>(
        &'a self,
        cx: &'a Cx,
        account: &'a Account,
        post: &'a Published,
    ) -> BoxFuture<'a, Result<Snapshot, ProviderError>>;

    /// The account's own figures now (followers, posts): read daily.
    fn account<'a>(&'a self, cx: &'a Cx, account: &'a Account)
    -> BoxFuture<'a, Result<AccountSnapshot, ProviderError>>;
}

/// Comments, mentions and messages addressed to an account, read after the cursors the
/// last read returned (per kind, in the platform's own terms: a since-id, a page cursor).
pub trait Inbox: Send + Sync {
    fn inbox<'a>(
        &'a self,
        cx: &'a Cx,
        account: &'a Account,
        read: &'a InboxRead,
    ) -> BoxFuture<'a, Result<InboxPage, ProviderError>>;
}

/// What one inbox read starts from.
#[derive(Debug, Clone, Default)]
pub struct InboxRead {
    /// The cursors the last read returned, by kind (`mentions`, `dms`, …).
    pub cursors: Map<String, Value>,
    /// The account's latest published posts, for platforms whose comments are read per post.
    pub posts: Vec<Published>,
}

/// What one inbox read found, and the cursors the next read starts from.
#[derive(Debug, Clone, Default)]
pub struct InboxPage {
    pub items: Vec<InboxItem>,
    pub cursors: Map<String, Value>,
}

/// Who an item is from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Author {
    pub name: Option<String>,
    pub username: Option<String>,
    pub avatar_url: Option<String>,
    pub profile_url: Option<String>,
}

/// One thing addressed to an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboxItem {
    /// The platform's id of the item (what a reply answers).
    pub id: String,
    pub kind: ItemKind,
    pub author: Author,
    pub text: String,
    pub at: DateTime<Utc>,
    pub url: Option<String>,
    /// The platform's id of what it answers or is about (our post, for a comment).
    pub about: Option<String>,
    /// The root of its conversation, where the platform's reply needs it (Bluesky).
    pub root: Option<String>,
    pub can_reply: bool,
    pub can_hide: bool,
    pub can_delete: bool,
}

/// One platform's capabilities.
pub struct Capabilities {
    pub publish: Box<dyn Publish>,
    /// `None`: the platform replays a repeated publish by its own idempotency key.
    pub lookup: Option<Box<dyn Lookup>>,
    pub thread: Option<Box<dyn Thread>>,
    pub comment: Option<Box<dyn Comment>>,
    pub reply: Option<Box<dyn Reply>>,
    pub metrics: Option<Box<dyn Metrics>>,
    pub inbox: Option<Box<dyn Inbox>>,
}

impl Capabilities {
    /// A platform that can publish and nothing else yet.
    pub fn publishing(publish: impl Publish + 'static) -> Self {
        Self {
            publish: Box::new(publish),
            lookup: None,
            thread: None,
            comment: None,
            reply: None,
            metrics: None,
            inbox: None,
        }
    }

    pub fn with_lookup(mut self, lookup: impl Lookup + 'static) -> Self {
        self.lookup = Some(Box::new(lookup));
        self
    }

    pub fn with_threads(mut self, thread: impl Thread + 'static) -> Self {
        self.thread = Some(Box::new(thread));
        self
    }

    pub fn with_comments(mut self, comment: impl Comment + 'static) -> Self {
        self.comment = Some(Box::new(comment));
        self
    }

    pub fn with_metrics(mut self, metrics: impl Metrics + 'static) -> Self {
        self.metrics = Some(Box::new(metrics));
        self
    }

    /// An inbox read and replies to what it finds.
    pub fn with_engagement(mut self, e: impl Inbox + Reply + Copy + 'static) -> Self {
        self.inbox = Some(Box::new(e));
        self.reply = Some(Box::new(e));
        self
    }
}
