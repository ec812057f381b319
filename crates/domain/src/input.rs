//! Parsing and validation of the public write bodies. Bodies are walked as JSON values
//! rather than derived, so that every problem names its field path (`post.scheduled_at`,
//! `media[1].url`) and all problems of one request are reported together.

use crate::ProfileId;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::Provider;

pub const MAX_BODY_CHARS: usize = 100_000;
pub const MAX_PROFILES: usize = 50;
pub const MAX_MEDIA: usize = 20;
pub const MAX_ALT_CHARS: usize = 1_000;
/// The most parts any thread may have before each platform's own cap is checked.
pub const MAX_THREAD_PARTS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaSource {
    Url(String),
    Asset(Uuid),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaInput {
    pub source: MediaSource,
    pub alt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewPost {
    pub body: Option<String>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub draft: bool,
    pub profiles: Vec<ProfileId>,
    pub media: Vec<MediaInput>,
    pub provider_options: Map<String, Value>,
    pub details: PostDetails,
    /// A posting queue: the post takes its next free slot.
    pub queue: Option<Uuid>,
}

pub const MAX_HASHTAGS: usize = 30;
pub const MAX_LABELS: usize = 30;
pub const MAX_LABEL_CHARS: usize = 100;

/// What a post carries besides its body. `hashtags` and `bodies` are part of what each
/// provider receives (see `platforms::delivered_text`); labels, tags, category and
/// campaign only sort and find posts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PostDetails {
    /// Each `#` followed by letters, digits or `_`, kept apart from the body.
    pub hashtags: Vec<String>,
    /// One body per provider, used instead of `body` for that provider's deliveries.
    pub bodies: std::collections::BTreeMap<Provider, String>,
    pub labels: Vec<String>,
    pub tags: Vec<String>,
    pub category: Option<String>,
    pub campaign: Option<String>,
    /// The post's own say over review (`None`: the workspace's settings).
    pub requires_approval: Option<bool>,
    /// A thread's parts after the first (the body is the first): each published as a
    /// reply to the one before it.
    pub thread: Vec<String>,
    /// Each of those parts' own media (as long as `thread`; empty where a part has none).
    pub thread_media: Vec<Vec<MediaInput>>,
    /// Set for a reply from the inbox: the platform item it answers.
    pub reply_to: Option<crate::inbox::ReplyTo>,
}

impl PostDetails {
    /// `bodies` as stored (a JSON object keyed by provider id).
    pub fn bodies_json(bodies: &std::collections::BTreeMap<Provider, String>) -> Value {
        Value::Object(bodies.iter().map(|(p, b)| (p.as_str().to_owned(), Value::String(b.clone()))).collect())
    }

    /// `thread` as stored: `[{"body": …}, …]`.
    pub fn thread_json(parts: &[String]) -> Value {
        Value::Array(parts.iter().map(|b| serde_json::json!({ "body": b })).collect())
    }

    /// `thread` read back from storage (entries without a body are skipped; acceptance
    /// never stores one).
    pub fn thread_from(v: &Value) -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.get("body").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }

    /// `bodies` read back from storage; entries that are not a known provider's text are
    /// skipped (acceptance never stores one).
    pub fn bodies_from(v: &Value) -> std::collections::BTreeMap<Provider, String> {
        v.as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, b)| Some((k.parse().ok()?, b.as_str()?.to_owned())))
            .collect()
    }
}

/// One part of a thread as given.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Part {
    body: String,
    media: Vec<MediaInput>,
}

/// A hashtag as stored: `#` and at least one letter, digit or `_`. A tag given without
/// its `#` gets one.
pub fn normalize_hashtag(raw: &str) -> Option<String> {
    let t = raw.trim();
    let t = t.strip_prefix('#').unwrap_or(t);
    let ok = !t.is_empty() && t.chars().count() <= 100 && t.chars().all(|c| c.is_alphanumeric() || c == '_');
    ok.then(|| format!("#{t}"))
}

/// A PATCH: `None` leaves a field as it is; `Some(None)` clears a nullable one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PostPatch {
    pub body: Option<Option<String>>,
    pub scheduled_at: Option<Option<DateTime<Utc>>>,
    pub profiles: Option<Vec<ProfileId>>,
    pub media: Option<Vec<MediaInput>>,
    pub provider_options: Option<Map<String, Value>>,
    pub hashtags: Option<Vec<String>>,
    pub bodies: Option<std::collections::BTreeMap<Provider, String>>,
    pub labels: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub category: Option<Option<String>>,
    /// The parts after the first (`Some(vec![])` makes the post a single one again).
    pub thread: Option<Vec<String>>,
    /// Their media, replacing theirs (set with `thread`, as long).
    pub thread_media: Option<Vec<Vec<MediaInput>>>,
}

impl PostPatch {
    pub fn is_empty(&self) -> bool {
        self.body.is_none()
            && self.scheduled_at.is_none()
            && self.profiles.is_none()
            && self.media.is_none()
            && self.provider_options.is_none()
            && !self.changes_details()
    }

    /// Whether a field besides body, time, profiles, media and options changes.
    pub fn changes_details(&self) -> bool {
        self.hashtags.is_some()
            || self.bodies.is_some()
            || self.labels.is_some()
            || self.tags.is_some()
            || self.category.is_some()
            || self.thread.is_some()
    }
}

/// Collects problems while walking a body.
#[derive(Default)]
struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    fn finish<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.errors.is_empty() { Ok(value) } else { Err(self.errors) }
    }

    fn object<'a>(&mut self, v: &'a Value, field: &str) -> Option<&'a Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            _ => {
                self.fail(field, "must be an object");
                None
            }
        }
    }

    fn unknown_keys(&mut self, m: &Map<String, Value>, prefix: &str, allowed: &[&str]) {
        for k in m.keys().filter(|k| !allowed.contains(&k.as_str())) {
            self.fail(join(prefix, k), format!("unknown field; allowed: {}", allowed.join(", ")));
        }
    }

    fn body(&mut self, v: &Value, field: &str) -> Option<Option<String>> {
        match v {
            Value::Null => Some(None),
            Value::String(s) if s.chars().count() > MAX_BODY_CHARS => {
                self.fail(field, format!("must be at most {MAX_BODY_CHARS} characters"));
                None
            }
            Value::String(s) if s.trim().is_empty() => Some(None),
            Value::String(s) => Some(Some(s.clone())),
            _ => {
                self.fail(field, "must be a string or null");
                None
            }
        }
    }

    fn timestamp(&mut self, v: &Value, field: &str) -> Option<Option<DateTime<Utc>>> {
        match v {
            Value::Null => Some(None),
            Value::String(s) => match DateTime::parse_from_rfc3339(s) {
                Ok(t) => Some(Some(t.with_timezone(&Utc))),
                Err(_) => {
                    self.fail(field, "must be an RFC 3339 date-time with an offset, e.g. 2026-03-27T10:30:00Z");
                    None
                }
            },
            _ => {
                self.fail(field, "must be an RFC 3339 date-time string or null");
                None
            }
        }
    }

    fn profiles(&mut self, v: &Value) -> Option<Vec<ProfileId>> {
        let Value::Array(items) = v else {
            self.fail("profiles", "must be an array of profile ids");
            return None;
        };
        if items.is_empty() {
            self.fail("profiles", "select at least one profile");
            return None;
        }
        if items.len() > MAX_PROFILES {
            self.fail("profiles", format!("at most {MAX_PROFILES} profiles per post"));
            return None;
        }
        let mut ids = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item.as_str().map(|s| s.parse::<ProfileId>()) {
                Some(Ok(id)) if ids.contains(&id) => self.fail(format!("profiles[{i}]"), "is listed twice"),
                Some(Ok(id)) => ids.push(id),
                _ => self.fail(format!("profiles[{i}]"), "must be a profile id (uuid)"),
            }
        }
        Some(ids)
    }

    fn media(&mut self, v: &Value) -> Option<Vec<MediaInput>> {
        self.media_at(v, "media")
    }

    /// A media list at `at` (`media`, `post.thread[2].media`).
    fn media_at(&mut self, v: &Value, at: &str) -> Option<Vec<MediaInput>> {
        let Value::Array(items) = v else {
            self.fail(at, "must be an array");
            return None;
        };
        if items.len() > MAX_MEDIA {
            self.fail(at, format!("at most {MAX_MEDIA} media items per post"));
            return None;
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let field = format!("{at}[{i}]");
            let Some(m) = self.object(item, &field) else { continue };
            self.unknown_keys(m, &field, &["url", "asset_id", "alt"]);
            let source = match (m.get("url"), m.get("asset_id")) {
                (Some(_), Some(_)) | (None, None) => {
                    self.fail(&field, "give exactly one of `url` or `asset_id`");
                    None
                }
                (Some(u), None) => self.remote_url(u, &format!("{field}.url")).map(MediaSource::Url),
                (None, Some(a)) => match a.as_str().map(Uuid::parse_str) {
                    Some(Ok(id)) => Some(MediaSource::Asset(id)),
                    _ => {
                        self.fail(format!("{field}.asset_id"), "must be an upload's asset id (uuid)");
                        None
                    }
                },
            };
            let alt = match m.get("alt") {
                None | Some(Value::Null) => Some(None),
                Some(Value::String(s)) if s.is_empty() || s.chars().count() > MAX_ALT_CHARS => {
                    self.fail(format!("{field}.alt"), format!("must be 1 to {MAX_ALT_CHARS} characters"));
                    None
                }
                Some(Value::String(s)) => Some(Some(s.clone())),
                Some(_) => {
                    self.fail(format!("{field}.alt"), "must be a string");
                    None
                }
            };
            if let (Some(source), Some(alt)) = (source, alt) {
                out.push(MediaInput { source, alt });
            }
        }
        Some(out)
    }

    fn remote_url(&mut self, v: &Value, field: &str) -> Option<String> {
        let Some(s) = v.as_str() else {
            self.fail(field, "must be an http(s) URL string");
            return None;
        };
        let lower = s.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) || s.len() > 2048 {
            self.fail(field, "must be an absolute http(s) URL of at most 2048 characters");
            return None;
        }
        Some(s.to_owned())
    }

    fn provider_options(&mut self, v: &Value) -> Option<Map<String, Value>> {
        match v {
            Value::Null => Some(Map::new()),
            Value::Object(m) => {
                for (k, opts) in m {
                    let field = format!("provider_options.{k}");
                    if k.parse::<Provider>().is_err() {
                        let known: Vec<&str> = Provider::ALL.iter().map(|p| p.as_str()).collect();
                        self.fail(field, format!("unknown provider; one of: {}", known.join(", ")));
                    } else if !opts.is_object() {
                        self.fail(field, "must be an object of that provider's options");
                    }
                }
                Some(m.clone())
            }
            _ => {
                self.fail("provider_options", "must be an object keyed by provider id");
                None
            }
        }
    }
}

impl Check {
    /// A list of short strings (labels, tags).
    fn words(&mut self, v: &Value, field: &str) -> Option<Vec<String>> {
        let Value::Array(items) = v else {
            self.fail(field, "must be an array of strings");
            return None;
        };
        if items.len() > MAX_LABELS {
            self.fail(field, format!("at most {MAX_LABELS} entries"));
            return None;
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item.as_str().map(str::trim) {
                Some(w) if !w.is_empty() && w.chars().count() <= MAX_LABEL_CHARS => {
                    if !out.iter().any(|o| o == w) {
                        out.push(w.to_owned());
                    }
                }
                _ => {
                    self.fail(format!("{field}[{i}]"), format!("must be a string of 1 to {MAX_LABEL_CHARS} characters"))
                }
            }
        }
        Some(out)
    }

    fn hashtags(&mut self, v: &Value, field: &str) -> Option<Vec<String>> {
        let Value::Array(items) = v else {
            self.fail(field, "must be an array of hashtags");
            return None;
        };
        if items.len() > MAX_HASHTAGS {
            self.fail(field, format!("at most {MAX_HASHTAGS} hashtags"));
            return None;
        }
        let mut out: Vec<String> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item.as_str().and_then(normalize_hashtag) {
                Some(tag) => {
                    if !out.iter().any(|o| o.eq_ignore_ascii_case(&tag)) {
                        out.push(tag);
                    }
                }
                None => self.fail(
                    format!("{field}[{i}]"),
                    "must be a hashtag: `#` and letters, digits or `_` (up to 100), e.g. #launch",
                ),
            }
        }
        Some(out)
    }

    fn bodies(&mut self, v: &Value, field: &str) -> Option<std::collections::BTreeMap<Provider, String>> {
        let Value::Object(m) = v else {
            self.fail(field, "must be an object of texts keyed by provider id");
            return None;
        };
        let mut out = std::collections::BTreeMap::new();
        for (k, b) in m {
            let f = format!("{field}.{k}");
            let Ok(p) = k.parse::<Provider>() else {
                let known: Vec<&str> = Provider::ALL.iter().map(|p| p.as_str()).collect();
                self.fail(f, format!("unknown provider; one of: {}", known.join(", ")));
                continue;
            };
            match b {
                Value::String(s) if s.chars().count() > MAX_BODY_CHARS => {
                    self.fail(f, format!("must be at most {MAX_BODY_CHARS} characters"))
                }
                Value::String(s) if !s.trim().is_empty() => {
                    out.insert(p, s.clone());
                }
                _ => self.fail(f, "must be a non-empty string"),
            }
        }
        Some(out)
    }

    /// `post.thread`: the whole thread, first part included, each part a string or
    /// `{"body": …, "media": […]}`. `null` or `[]`: no thread.
    fn thread(&mut self, v: &Value) -> Option<Vec<Part>> {
        let items = match v {
            Value::Null => return Some(Vec::new()),
            Value::Array(items) => items,
            _ => {
                self.fail("post.thread", "must be an array of parts (strings or {\"body\": …}), the first part first");
                return None;
            }
        };
        if items.len() > MAX_THREAD_PARTS {
            self.fail("post.thread", format!("at most {MAX_THREAD_PARTS} parts"));
            return None;
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let field = format!("post.thread[{i}]");
            let (body, media) = match item {
                Value::String(s) => (Some(s.as_str()), Vec::new()),
                Value::Object(m) => {
                    self.unknown_keys(m, &field, &["body", "media"]);
                    let media = match m.get("media").filter(|v| !v.is_null()) {
                        Some(v) => self.media_at(v, &format!("{field}.media")).unwrap_or_default(),
                        None => Vec::new(),
                    };
                    (m.get("body").and_then(Value::as_str), media)
                }
                _ => (None, Vec::new()),
            };
            match body {
                Some(s) if s.chars().count() > MAX_BODY_CHARS => {
                    self.fail(field, format!("must be at most {MAX_BODY_CHARS} characters"))
                }
                Some(s) if !s.trim().is_empty() => out.push(Part { body: s.to_owned(), media }),
                _ => self.fail(field, "must be a part's text: a non-empty string or {\"body\": \"…\"}"),
            }
        }
        Some(out)
    }

    /// Splits a parsed thread into its first part (the body, with the post's media) and the
    /// parts after it; a `post.body` given too must be that first part's text.
    fn thread_body(&mut self, parts: Vec<Part>, body: &Option<Option<String>>) -> (Option<Part>, Vec<Part>) {
        let mut parts = parts.into_iter();
        let Some(first) = parts.next() else { return (None, Vec::new()) };
        if let Some(Some(b)) = body
            && b != &first.body
        {
            self.fail(
                "post.body",
                "differs from post.thread[0]; a thread's first part is the post's body: give one of them",
            );
        }
        (Some(first), parts.collect())
    }

    /// The first part's media are the post's `media`: given in one place only.
    fn first_part_media(&mut self, first: &Part, top: Option<&Value>) -> Option<Vec<MediaInput>> {
        if first.media.is_empty() {
            return None;
        }
        if top.is_some_and(|m| !m.is_null()) {
            self.fail("post.thread[0].media", "the first part's media are the post's `media`: give them in one place");
            return None;
        }
        Some(first.media.clone())
    }

    fn short_text(&mut self, v: &Value, field: &str) -> Option<Option<String>> {
        match v {
            Value::Null => Some(None),
            Value::String(s) if s.trim().is_empty() => Some(None),
            Value::String(s) if s.chars().count() <= MAX_LABEL_CHARS => Some(Some(s.trim().to_owned())),
            _ => {
                self.fail(field, format!("must be a string of at most {MAX_LABEL_CHARS} characters, or null"));
                None
            }
        }
    }

    /// The `post` object's detail fields, into `d` (create).
    fn details(&mut self, p: &Map<String, Value>, d: &mut PostDetails) {
        if let Some(v) = p.get("hashtags").filter(|v| !v.is_null()) {
            d.hashtags = self.hashtags(v, "post.hashtags").unwrap_or_default();
        }
        if let Some(v) = p.get("bodies").filter(|v| !v.is_null()) {
            d.bodies = self.bodies(v, "post.bodies").unwrap_or_default();
        }
        if let Some(v) = p.get("labels").filter(|v| !v.is_null()) {
            d.labels = self.words(v, "post.labels").unwrap_or_default();
        }
        if let Some(v) = p.get("tags").filter(|v| !v.is_null()) {
            d.tags = self.words(v, "post.tags").unwrap_or_default();
        }
        if let Some(v) = p.get("category") {
            d.category = self.short_text(v, "post.category").flatten();
        }
        if let Some(v) = p.get("campaign") {
            d.campaign = self.short_text(v, "post.campaign").flatten();
        }
        match p.get("requires_approval") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => d.requires_approval = Some(*b),
            Some(_) => self.fail("post.requires_approval", "must be true, false or null"),
        }
    }
}

const POST_FIELDS: &[&str] = &[
    "body",
    "thread",
    "scheduled_at",
    "draft",
    "hashtags",
    "bodies",
    "labels",
    "tags",
    "category",
    "campaign",
    "requires_approval",
    "queue",
];

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() { key.to_owned() } else { format!("{prefix}.{key}") }
}

const TOP_LEVEL: &[&str] = &["post", "profiles", "media", "provider_options"];

/// PostgreSQL's text cannot hold a NUL character, and no platform shows one: any string
/// (or key) with one is refused, naming where it is (`post.body`, `media[0].alt`).
pub fn nul_free(v: &Value) -> Result<(), FieldError> {
    fn walk(v: &Value, path: &mut String) -> Result<(), FieldError> {
        let refuse = |path: &str| FieldError::new(path, "must not contain the NUL character (U+0000)");
        match v {
            Value::String(s) if s.contains('\0') => Err(refuse(path)),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    walk(item, path)?;
                    path.truncate(len);
                }
                Ok(())
            }
            Value::Object(m) => {
                for (k, item) in m {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    if k.contains('\0') {
                        return Err(refuse(path));
                    }
                    walk(item, path)?;
                    path.truncate(len);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    walk(v, &mut String::new())
}

/// `POST /api/posts`.
pub fn parse_new_post(v: &Value) -> Result<NewPost, Vec<FieldError>> {
    nul_free(v).map_err(|e| vec![e])?;
    let mut c = Check::default();
    let Some(top) = c.object(v, "") else { return Err(c.errors) };
    c.unknown_keys(top, "", TOP_LEVEL);

    let mut post = NewPost::default();
    match top.get("post") {
        None => c.fail("post", "is required"),
        Some(p) => {
            if let Some(p) = c.object(p, "post") {
                c.unknown_keys(p, "post", POST_FIELDS);
                c.details(p, &mut post.details);
                if let Some(b) = p.get("body").and_then(|b| c.body(b, "post.body")) {
                    post.body = b;
                }
                if let Some(parts) = p.get("thread").and_then(|t| c.thread(t)) {
                    let (first, rest) = c.thread_body(parts, &Some(post.body.clone()));
                    if let Some(first) = first {
                        if let Some(m) = c.first_part_media(&first, top.get("media")) {
                            post.media = m;
                        }
                        post.body = Some(first.body);
                    }
                    post.details.thread_media = rest.iter().map(|p| p.media.clone()).collect();
                    post.details.thread = rest.into_iter().map(|p| p.body).collect();
                }
                if let Some(t) = p.get("scheduled_at").and_then(|t| c.timestamp(t, "post.scheduled_at")) {
                    post.scheduled_at = t;
                }
                match p.get("draft") {
                    None | Some(Value::Null) => {}
                    Some(Value::Bool(d)) => post.draft = *d,
                    Some(_) => c.fail("post.draft", "must be a boolean"),
                }
                match p.get("queue") {
                    None | Some(Value::Null) => {}
                    Some(Value::String(q)) if Uuid::parse_str(q).is_ok() => post.queue = Uuid::parse_str(q).ok(),
                    Some(_) => c.fail("post.queue", "must be a posting queue's id"),
                }
            }
        }
    }
    if post.queue.is_some() && (post.draft || post.scheduled_at.is_some()) {
        c.fail("post.queue", "a queued post takes its queue's next free slot: no scheduled_at, not a draft");
    }
    match top.get("profiles") {
        None => c.fail("profiles", "is required: select at least one profile"),
        Some(p) => post.profiles = c.profiles(p).unwrap_or_default(),
    }
    if let Some(m) = top.get("media").filter(|m| !m.is_null()) {
        post.media = c.media(m).unwrap_or_default();
    }
    if let Some(o) = top.get("provider_options") {
        post.provider_options = c.provider_options(o).unwrap_or_default();
    }
    if post.draft && post.scheduled_at.is_some() {
        c.fail("post.scheduled_at", "drafts cannot carry scheduled_at; publish the draft with a scheduled_at instead");
    }
    let has_body = post.body.is_some()
        || top
            .get("post")
            .and_then(|p| p.get("body"))
            .is_some_and(|b| !b.is_string() || !b.as_str().unwrap_or_default().trim().is_empty());
    if !has_body && post.media.is_empty() && post.details.bodies.is_empty() && c.errors.is_empty() {
        c.fail("post.body", "a post needs a body or at least one media item");
    }
    c.finish(post)
}

/// `PATCH /api/posts/{id}`: same shape as create; at least one field must change.
pub fn parse_patch(v: &Value) -> Result<PostPatch, Vec<FieldError>> {
    nul_free(v).map_err(|e| vec![e])?;
    let mut c = Check::default();
    let Some(top) = c.object(v, "") else { return Err(c.errors) };
    c.unknown_keys(top, "", TOP_LEVEL);
    let mut patch = PostPatch::default();
    if let Some(p) = top.get("post").and_then(|p| c.object(p, "post")) {
        c.unknown_keys(p, "post", POST_FIELDS);
        if p.contains_key("draft") {
            c.fail("post.draft", "cannot be changed by PATCH; publish a draft with POST /api/posts/{id}/publish");
        }
        if p.contains_key("campaign") {
            c.fail("post.campaign", "is set when the post is created");
        }
        if p.contains_key("queue") {
            c.fail("post.queue", "is set when the post is created");
        }
        patch.body = p.get("body").and_then(|b| c.body(b, "post.body"));
        patch.scheduled_at = p.get("scheduled_at").and_then(|t| c.timestamp(t, "post.scheduled_at"));
        let null_empty = |v: &Value| if v.is_null() { Value::Array(Vec::new()) } else { v.clone() };
        patch.hashtags = p.get("hashtags").and_then(|v| c.hashtags(&null_empty(v), "post.hashtags"));
        patch.labels = p.get("labels").and_then(|v| c.words(&null_empty(v), "post.labels"));
        patch.tags = p.get("tags").and_then(|v| c.words(&null_empty(v), "post.tags"));
        patch.bodies = p
            .get("bodies")
            .and_then(|v| if v.is_null() { Some(Default::default()) } else { c.bodies(v, "post.bodies") });
        patch.category = p.get("category").and_then(|v| c.short_text(v, "post.category"));
        if let Some(parts) = p.get("thread").and_then(|t| c.thread(t)) {
            let (first, rest) = c.thread_body(parts, &patch.body);
            if let Some(first) = first {
                if let Some(m) = c.first_part_media(&first, top.get("media")) {
                    patch.media = Some(m);
                }
                patch.body = Some(Some(first.body));
            }
            patch.thread_media = Some(rest.iter().map(|p| p.media.clone()).collect());
            patch.thread = Some(rest.into_iter().map(|p| p.body).collect());
        }
    }
    patch.profiles = top.get("profiles").and_then(|p| c.profiles(p));
    if let Some(m) = top.get("media") {
        patch.media = if m.is_null() { Some(Vec::new()) } else { c.media(m) };
    }
    patch.provider_options = top.get("provider_options").and_then(|o| c.provider_options(o));
    if c.errors.is_empty() && patch.is_empty() {
        c.fail("post", "change at least one of post.body, post.thread, post.scheduled_at, post.hashtags, post.bodies, post.labels, post.tags, post.category, profiles, media, provider_options");
    }
    c.finish(patch)
}

/// `POST /api/posts/{id}/publish`: an empty body, or `{"scheduled_at": …}`.
pub fn parse_publish(v: Option<&Value>) -> Result<Option<DateTime<Utc>>, Vec<FieldError>> {
    let mut c = Check::default();
    let Some(v) = v.filter(|v| !v.is_null()) else { return Ok(None) };
    let Some(top) = c.object(v, "") else { return Err(c.errors) };
    c.unknown_keys(top, "", &["scheduled_at"]);
    let at = top.get("scheduled_at").and_then(|t| c.timestamp(t, "scheduled_at")).flatten();
    c.finish(at)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    const P1: &str = "0b9f3e4e-8a55-4c3a-9d59-3c1f1b0e2a11";
    const P2: &str = "5e2c7d1a-1f0b-4f7e-8a0c-7d3b2f9e6c22";

    fn fields(errs: &[FieldError]) -> Vec<&str> {
        errs.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_full_create_body_parses() {
        let v = json!({
            "post": {"body": "hello", "scheduled_at": "2026-03-27T10:30:00+02:00"},
            "profiles": [P1, P2],
            "media": [{"url": "https://example.com/a.png", "alt": "a"}, {"asset_id": P1}],
            "provider_options": {"youtube": {"title": "t"}}
        });
        let p = parse_new_post(&v).unwrap();
        assert_eq!(p.body.as_deref(), Some("hello"));
        assert_eq!(p.scheduled_at.unwrap().to_rfc3339(), "2026-03-27T08:30:00+00:00");
        assert!(!p.draft);
        assert_eq!(p.profiles.len(), 2);
        assert_eq!(p.media[0].source, MediaSource::Url("https://example.com/a.png".into()));
        assert_eq!(p.media[1].source, MediaSource::Asset(Uuid::parse_str(P1).unwrap()));
        assert_eq!(p.provider_options["youtube"]["title"], "t");
    }

    #[test]
    fn every_problem_is_named_by_its_field() {
        let v = json!({
            "post": {"body": 3, "scheduled_at": "tomorrow", "colour": "red"},
            "profiles": [P1, "nope", P1],
            "media": [{"url": "ftp://x"}, {"url": "https://a", "asset_id": P1}, {"asset_id": "x", "alt": ""}],
            "provider_options": {"myspace": {}, "x": 1},
            "extra": true
        });
        let errs = parse_new_post(&v).unwrap_err();
        let f = fields(&errs);
        for expected in [
            "extra",
            "post.colour",
            "post.body",
            "post.scheduled_at",
            "profiles[1]",
            "profiles[2]",
            "media[0].url",
            "media[1]",
            "media[2].asset_id",
            "media[2].alt",
            "provider_options.myspace",
            "provider_options.x",
        ] {
            assert!(f.contains(&expected), "missing {expected} in {f:?}");
        }
    }

    #[test]
    fn drafts_refuse_scheduled_at_and_all_posts_need_profiles() {
        let v = json!({"post": {"body": "b", "draft": true, "scheduled_at": "2026-03-27T10:30:00Z"}, "profiles": [P1]});
        assert_eq!(fields(&parse_new_post(&v).unwrap_err()), vec!["post.scheduled_at"]);
        let v = json!({"post": {"body": "b", "draft": true}});
        assert_eq!(fields(&parse_new_post(&v).unwrap_err()), vec!["profiles"]);
        let v = json!({"post": {"body": "b"}, "profiles": []});
        assert_eq!(fields(&parse_new_post(&v).unwrap_err()), vec!["profiles"]);
    }

    #[test]
    fn a_post_without_body_or_media_is_refused() {
        let v = json!({"post": {"body": "  "}, "profiles": [P1]});
        assert_eq!(fields(&parse_new_post(&v).unwrap_err()), vec!["post.body"]);
        let v = json!({"post": {}, "profiles": [P1], "media": [{"url": "https://a/b.png"}]});
        assert!(parse_new_post(&v).is_ok());
        assert_eq!(fields(&parse_new_post(&json!([1])).unwrap_err()), vec![""]);
    }

    #[test]
    fn too_many_media_or_profiles_are_refused() {
        let media: Vec<Value> = (0..21).map(|_| json!({"url": "https://a/b.png"})).collect();
        let v = json!({"post": {"body": "b"}, "profiles": [P1], "media": media});
        assert_eq!(fields(&parse_new_post(&v).unwrap_err()), vec!["media"]);
    }

    #[test]
    fn patch_distinguishes_absent_from_null_and_requires_a_change() {
        let p = parse_patch(&json!({"post": {"scheduled_at": null}})).unwrap();
        assert_eq!(p.scheduled_at, Some(None));
        assert_eq!(p.body, None);
        let p = parse_patch(&json!({"post": {"body": "new"}, "provider_options": {"x": {}}})).unwrap();
        assert_eq!(p.body, Some(Some("new".into())));
        assert!(p.provider_options.is_some());
        assert_eq!(fields(&parse_patch(&json!({})).unwrap_err()), vec!["post"]);
        assert_eq!(fields(&parse_patch(&json!({"post": {"draft": false}})).unwrap_err()), vec!["post.draft"]);
    }

    #[test]
    fn hashtags_bodies_and_labels_are_read_and_checked() {
        let v = json!({"post": {"body": "b", "hashtags": ["ai", "#Launch", "#launch"], "bodies": {"linkedin": "long"}, "labels": ["q1", "q1"], "category": "work"}, "profiles": [P1]});
        let p = parse_new_post(&v).unwrap();
        assert_eq!(p.details.hashtags, vec!["#ai", "#Launch"], "a # is added; case-insensitive duplicates dropped");
        assert_eq!(p.details.bodies.get(&Provider::Linkedin).map(String::as_str), Some("long"));
        assert_eq!(p.details.labels, vec!["q1"]);
        assert_eq!(p.details.category.as_deref(), Some("work"));
        let v = json!({"post": {"body": "b", "hashtags": ["two words"], "bodies": {"myspace": "x", "x": ""}}, "profiles": [P1]});
        assert_eq!(
            fields(&parse_new_post(&v).unwrap_err()),
            vec!["post.hashtags[0]", "post.bodies.myspace", "post.bodies.x"]
        );
        let p = parse_patch(&json!({"post": {"hashtags": null, "category": null}})).unwrap();
        assert_eq!(p.hashtags, Some(vec![]));
        assert_eq!(p.category, Some(None));
    }

    #[test]
    fn a_thread_is_the_whole_thread_with_the_body_first() {
        let v = json!({"post": {"thread": ["one", {"body": "two"}, "three"]}, "profiles": [P1]});
        let p = parse_new_post(&v).unwrap();
        assert_eq!(p.body.as_deref(), Some("one"));
        assert_eq!(p.details.thread, vec!["two", "three"]);
        let same = json!({"post": {"body": "one", "thread": ["one", "two"]}, "profiles": [P1]});
        assert_eq!(parse_new_post(&same).unwrap().details.thread, vec!["two"]);
        let v = json!({"post": {"body": "zero", "thread": ["one", " ", 3, {"text": "x"}]}, "profiles": [P1]});
        assert_eq!(
            fields(&parse_new_post(&v).unwrap_err()),
            vec!["post.thread[1]", "post.thread[2]", "post.thread[3].text", "post.thread[3]", "post.body"]
        );
        let p = parse_patch(&json!({"post": {"thread": ["a", "b"]}})).unwrap();
        assert_eq!((p.body, p.thread), (Some(Some("a".into())), Some(vec!["b".into()])));
        let p = parse_patch(&json!({"post": {"thread": null}})).unwrap();
        assert_eq!((p.body, p.thread), (None, Some(vec![])));
        // Media per part: the first part's are the post's own.
        let v = json!({"post": {"thread": [{"body": "one", "media": [{"asset_id": P1}]}, {"body": "two", "media": [{"url": "https://a/b.png", "alt": "b"}]}, "three"]}, "profiles": [P1]});
        let p = parse_new_post(&v).unwrap();
        assert_eq!(p.media[0].source, MediaSource::Asset(Uuid::parse_str(P1).unwrap()));
        assert_eq!(p.details.thread_media.len(), 2);
        assert_eq!(p.details.thread_media[0][0].alt.as_deref(), Some("b"));
        assert!(p.details.thread_media[1].is_empty());
        let both = json!({"post": {"thread": [{"body": "one", "media": [{"asset_id": P1}]}, "two"]}, "profiles": [P1], "media": [{"asset_id": P1}]});
        assert_eq!(fields(&parse_new_post(&both).unwrap_err()), vec!["post.thread[0].media"]);
        let bad =
            json!({"post": {"thread": ["one", {"body": "two", "media": [{"url": "ftp://x"}]}]}, "profiles": [P1]});
        assert_eq!(fields(&parse_new_post(&bad).unwrap_err()), vec!["post.thread[1].media[0].url"]);
    }

    #[test]
    fn publish_takes_nothing_or_a_scheduled_at() {
        assert_eq!(parse_publish(None).unwrap(), None);
        assert_eq!(parse_publish(Some(&json!({}))).unwrap(), None);
        assert!(parse_publish(Some(&json!({"scheduled_at": "2026-03-27T10:30:00Z"}))).unwrap().is_some());
        assert_eq!(fields(&parse_publish(Some(&json!({"when": 1}))).unwrap_err()), vec!["when"]);
        assert_eq!(fields(&parse_publish(Some(&json!({"scheduled_at": 5}))).unwrap_err()), vec!["scheduled_at"]);
    }
}
