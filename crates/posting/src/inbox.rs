//! The engagement inbox as every surface sees it: list (filters, cursor pages), read,
//! mark, delete, add by hand; replies, which are posts of one delivery answering an item
//! and so carried by the delivery workers with a post's guarantees; a poll asked for now
//! (done by the collector, which holds the profiles' tokens); and what webhooks and polls
//! found, stored once per (profile, platform item).

use chrono::Utc;
use domain::inbox::{ItemKind, ItemStatus, Priority, ReplyTo, initial_priority, sentiment};
use domain::input::{NewPost, PostDetails};
use domain::{ProfileId, Provider};
use store::inbox::{Filter, ItemRow};
use store::models::ProfileRow;
use store::posts::PostView;
use uuid::Uuid;

use crate::{Caller, Posting, PostingError, PostingResult, Staged};

pub const MAX_PAGE: i64 = 200;
pub const DEFAULT_PAGE: i64 = 50;
/// The longest reply taken (each platform's own limit is checked at acceptance too).
pub const MAX_REPLY_CHARS: usize = 10_000;

/// A list request, as a surface parsed it (words still unchecked).
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub provider: Option<String>,
    pub profile: Option<ProfileId>,
    pub priority: Option<String>,
    /// The last item of the page before (its id).
    pub after: Option<Uuid>,
    pub limit: Option<i64>,
}

/// One page, newest first; `cursor` is the id to ask for the next page after.
#[derive(Debug, Clone)]
pub struct ItemsPage {
    pub items: Vec<ItemRow>,
    pub has_more: bool,
    pub cursor: Option<Uuid>,
}

/// An item and the replies the team sent to it (post id, status).
#[derive(Debug, Clone)]
pub struct ItemView {
    pub item: ItemRow,
    pub replies: Vec<(domain::PostId, domain::PostStatus)>,
}

/// An item added by a caller (the seed's `POST /inbox`).
#[derive(Debug, Clone)]
pub struct NewItem {
    pub profile: ProfileId,
    pub kind: ItemKind,
    pub from_name: Option<String>,
    pub from_username: Option<String>,
    pub from_avatar_url: Option<String>,
    pub from_profile_url: Option<String>,
    pub content: String,
    pub platform_item_id: String,
    pub platform_url: Option<String>,
    pub about_platform_id: Option<String>,
    pub priority: Option<Priority>,
}

/// What a poll asked for now found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polled {
    /// Every profile's poll ended (read, or failed and recorded) within the wait.
    pub polled: bool,
    pub new_items: i64,
}

fn word<T>(field: &str, v: &Option<String>, parse: fn(&str) -> Option<T>, one_of: String) -> PostingResult<Option<T>> {
    match v.as_deref() {
        None => Ok(None),
        Some(s) => parse(s).map(Some).ok_or_else(|| PostingError::field(field, format!("must be one of {one_of}"))),
    }
}

/// The store's rows for what an inbox read or a webhook found for `profile`, scored.
pub fn rows_of(profile: &ProfileRow, items: &[providers::InboxItem], source: &str) -> Vec<ItemRow> {
    let now = Utc::now();
    items
        .iter()
        .map(|i| {
            let mood = if i.kind.has_text() { sentiment(&i.text) } else { None };
            ItemRow {
                id: Uuid::now_v7(),
                workspace_id: profile.workspace_id,
                profile_id: profile.id,
                provider: profile.provider.as_str().to_owned(),
                kind: i.kind.as_str().to_owned(),
                platform_item_id: i.id.clone(),
                platform_url: i.url.clone(),
                from_name: i.author.name.clone(),
                from_username: i.author.username.clone(),
                from_avatar_url: i.author.avatar_url.clone(),
                from_profile_url: i.author.profile_url.clone(),
                content: i.text.clone(),
                about_platform_id: i.about.clone(),
                root_platform_id: i.root.clone(),
                post_id: None,
                status: ItemStatus::Unread.as_str().to_owned(),
                priority: initial_priority(i.kind, mood).as_str().to_owned(),
                sentiment: mood.map(|s| s.as_str().to_owned()),
                can_reply: i.can_reply,
                can_hide: i.can_hide,
                can_delete: i.can_delete,
                source: source.to_owned(),
                received_at: i.at,
                replied_at: None,
                created_at: now,
                updated_at: now,
            }
        })
        .collect()
}

impl Posting {
    /// A page of the items the caller may see, newest first.
    pub async fn inbox_list(&self, caller: &Caller, q: &Query) -> PostingResult<ItemsPage> {
        let limit = q.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(PostingError::field("limit", format!("must be between 1 and {MAX_PAGE}")));
        }
        let filter = Filter {
            status: word("status", &q.status, ItemStatus::parse, ItemStatus::one_of())?.map(|s| s.as_str().to_owned()),
            kind: word("type", &q.kind, ItemKind::parse, ItemKind::one_of())?.map(|s| s.as_str().to_owned()),
            provider: match &q.provider {
                None => None,
                Some(p) => Some(
                    p.parse::<Provider>()
                        .map_err(|_| PostingError::field("provider", format!("unknown provider `{p}`")))?
                        .as_str()
                        .to_owned(),
                ),
            },
            profile: q.profile,
            priority: word("priority", &q.priority, Priority::parse, Priority::one_of())?
                .map(|s| s.as_str().to_owned()),
        };
        let mut conn = self.pool.get().await?;
        let after = match q.after {
            None => None,
            Some(id) => Some(
                store::inbox::get(&mut conn, caller.scope.workspace_id, id)
                    .await?
                    .ok_or_else(|| PostingError::field("cursor", "no such inbox item: start from the first page"))?,
            ),
        };
        let mut items = store::inbox::list(&mut conn, &caller.scope, &filter, after.as_ref(), limit + 1).await?;
        let has_more = items.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let cursor = if has_more { items.last().map(|i| i.id) } else { None };
        Ok(ItemsPage { items, has_more, cursor })
    }

    async fn visible_item(&self, conn: &mut store::Conn, caller: &Caller, id: Uuid) -> PostingResult<ItemRow> {
        let item =
            store::inbox::get(conn, caller.scope.workspace_id, id).await?.ok_or(PostingError::InboxItemNotFound)?;
        if !caller.scope.allows(&item.provider, item.profile_id) {
            return Err(PostingError::InboxItemNotFound);
        }
        Ok(item)
    }

    pub async fn inbox_get(&self, caller: &Caller, id: Uuid) -> PostingResult<ItemView> {
        let mut conn = self.pool.get().await?;
        let item = self.visible_item(&mut conn, caller, id).await?;
        let replies = store::inbox::replies_of(&mut conn, id).await?;
        Ok(ItemView { item, replies })
    }

    /// Marks an item (status and/or priority). A client may, as in the seed.
    pub async fn inbox_update(
        &self,
        caller: &Caller,
        id: Uuid,
        status: Option<&str>,
        priority: Option<&str>,
    ) -> PostingResult<ItemRow> {
        caller.require_review()?;
        let status = word("status", &status.map(str::to_owned), ItemStatus::parse, ItemStatus::one_of())?;
        let priority = word("priority", &priority.map(str::to_owned), Priority::parse, Priority::one_of())?;
        if status.is_none() && priority.is_none() {
            return Err(PostingError::field("status", "give status and/or priority"));
        }
        let mut conn = self.pool.get().await?;
        self.visible_item(&mut conn, caller, id).await?;
        store::inbox::update(
            &mut conn,
            caller.scope.workspace_id,
            id,
            status.map(ItemStatus::as_str),
            priority.map(Priority::as_str),
        )
        .await?
        .ok_or(PostingError::InboxItemNotFound)
    }

    /// Forgets an item here (the platform keeps it; a later poll does not bring it back,
    /// since the platform's cursor has passed it).
    pub async fn inbox_delete(&self, caller: &Caller, id: Uuid) -> PostingResult<()> {
        caller.require_review()?;
        let mut conn = self.pool.get().await?;
        self.visible_item(&mut conn, caller, id).await?;
        store::inbox::delete(&mut conn, caller.scope.workspace_id, id).await?;
        Ok(())
    }

    /// An item a caller adds (a webhook of its own, an import). Known already (same
    /// profile and platform id): that item is the answer, nothing new is stored.
    pub async fn inbox_create(&self, caller: &Caller, n: NewItem) -> PostingResult<(ItemRow, bool)> {
        caller.require_review()?;
        if n.platform_item_id.trim().is_empty() {
            return Err(PostingError::field("platformItemId", "must not be empty"));
        }
        let mut conn = self.pool.get().await?;
        let profile = store::profiles::find_many(&mut conn, &caller.scope, &[n.profile])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| PostingError::field("accountId", "no such profile for this key"))?;
        let item = providers::InboxItem {
            id: n.platform_item_id.clone(),
            kind: n.kind,
            author: providers::Author {
                name: n.from_name,
                username: n.from_username,
                avatar_url: n.from_avatar_url,
                profile_url: n.from_profile_url,
            },
            text: n.content,
            at: Utc::now(),
            url: n.platform_url,
            about: n.about_platform_id,
            root: None,
            can_reply: false,
            can_hide: false,
            can_delete: false,
        };
        let mut rows = rows_of(&profile, std::slice::from_ref(&item), "api");
        if let (Some(p), Some(row)) = (n.priority, rows.first_mut()) {
            row.priority = p.as_str().to_owned();
        }
        let made = store::inbox::ingest(&mut conn, &rows).await?;
        match made.into_iter().next() {
            Some(row) => Ok((row, true)),
            None => {
                let known = store::inbox::by_platform_id(&mut conn, profile.id, &n.platform_item_id)
                    .await?
                    .ok_or(PostingError::InboxItemNotFound)?;
                Ok((known, false))
            }
        }
    }

    /// Answers an item: a post of one delivery to the item's profile, carried by the
    /// delivery workers (attempts, an unknown outcome looked up, never twice). The item
    /// becomes `replied` when the reply is public. The key's policy applies: under
    /// approval_required the reply waits for review; a draft_only key makes a draft.
    pub async fn inbox_reply(
        &self,
        caller: &Caller,
        id: Uuid,
        text: &str,
        idempotency_key: Option<String>,
    ) -> PostingResult<PostView> {
        caller.require_write()?;
        let text = text.trim();
        if text.is_empty() {
            return Err(PostingError::field("text", "must not be empty"));
        }
        if text.chars().count() > MAX_REPLY_CHARS {
            return Err(PostingError::field("text", format!("must be at most {MAX_REPLY_CHARS} characters")));
        }
        let item = {
            let mut conn = self.pool.get().await?;
            self.visible_item(&mut conn, caller, id).await?
        };
        if let Ok(provider) = item.provider.parse::<Provider>() {
            let p = domain::platforms::get(provider);
            let len = domain::platforms::text_length(p.text_counting, text);
            if len > p.max_characters {
                return Err(PostingError::field(
                    "text",
                    format!("{} takes at most {} characters in a reply; this text has {len}", p.name, p.max_characters),
                ));
            }
        }
        if !item.can_reply {
            let why = match ItemKind::parse(&item.kind) {
                Some(ItemKind::Dm) => {
                    "a direct message is answered on the platform itself; PostMantis does not send messages"
                }
                Some(k) if !k.has_text() => "a like, share or follow has nothing to answer",
                _ => "the platform does not take an answer to this item from PostMantis",
            };
            return Err(PostingError::field("item", why));
        }
        let input = NewPost {
            body: Some(text.to_owned()),
            scheduled_at: None,
            draft: caller.policy == crate::Policy::DraftOnly,
            profiles: vec![item.profile_id],
            media: Vec::new(),
            provider_options: serde_json::Map::new(),
            details: PostDetails {
                labels: vec!["inbox-reply".to_owned()],
                reply_to: Some(ReplyTo {
                    item_id: Some(item.id),
                    platform_item_id: item.platform_item_id.clone(),
                    root_platform_id: item.root_platform_id.clone(),
                    item_url: item.platform_url.clone(),
                }),
                ..PostDetails::default()
            },
            queue: None,
        };
        let key = idempotency_key.map(|k| format!("inbox-reply:{id}:{k}"));
        self.create(caller, input, key, Staged::default()).await.map_err(|e| match e {
            // The reply's text is the post body: name it as the caller sent it.
            PostingError::Validation(errs) => PostingError::Validation(
                errs.into_iter()
                    .map(|mut f| {
                        if f.field.starts_with("post.body") || f.field.starts_with("post.bodies") {
                            f.field = "text".into();
                        }
                        f
                    })
                    .collect(),
            ),
            other => other,
        })
    }

    /// Polls every profile of the caller's workspace now, through the collector: their
    /// polls are made due, and the answer waits (at most the command timeout) for each to
    /// end. `new_items` counts what these polls stored.
    pub async fn inbox_poll(&self, caller: &Caller) -> PostingResult<Polled> {
        caller.require_write()?;
        let asked = Utc::now();
        let with_inbox: Vec<&str> = self.providers.with_inbox().iter().map(|p| p.as_str()).collect();
        let mut conn = self.pool.get().await?;
        store::inbox::enroll(&mut conn, &with_inbox).await?;
        store::inbox::due_now(&mut conn, caller.scope.workspace_id, asked).await?;
        drop(conn);
        let until = tokio::time::Instant::now() + self.settings.command_timeout;
        let polled = loop {
            let mut conn = self.pool.get().await?;
            if store::inbox::pending_polls(&mut conn, caller.scope.workspace_id, asked).await? == 0 {
                break true;
            }
            drop(conn);
            if tokio::time::Instant::now() >= until {
                break false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        let mut conn = self.pool.get().await?;
        let new_items = store::inbox::polled_since(&mut conn, caller.scope.workspace_id, asked).await?;
        Ok(Polled { polled, new_items })
    }

    /// Stores what a verified webhook delivered, for every connected profile of the
    /// account it names; returns how many items were new.
    pub async fn inbound(&self, provider: Provider, found: &[(String, providers::InboxItem)]) -> PostingResult<usize> {
        let mut conn = self.pool.get().await?;
        let mut new = 0;
        for (account, item) in found {
            for profile in store::inbox::profiles_of_account(&mut conn, provider, account).await? {
                let rows = rows_of(&profile, std::slice::from_ref(item), "webhook");
                new += store::inbox::ingest(&mut conn, &rows).await?.len();
            }
        }
        Ok(new)
    }
}

/// Who an item is from, as the API shows it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FromView {
    pub name: Option<String>,
    pub username: Option<String>,
    pub avatar_url: Option<String>,
    pub profile_url: Option<String>,
}

/// A reply the team sent to an item.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplyView {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub post_id: domain::PostId,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub status: domain::PostStatus,
}

/// An inbox item as the native API shows it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemJson {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub profile_id: ProfileId,
    pub provider: String,
    /// comment | mention | reply | dm | like | share | follow
    #[serde(rename = "type")]
    pub kind: String,
    pub from_user: FromView,
    pub content: String,
    /// Our post it is about, when it is about one.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Uuid))]
    pub post_id: Option<domain::PostId>,
    pub platform_item_id: String,
    pub platform_url: Option<String>,
    /// unread | read | replied | archived
    pub status: String,
    /// high | normal | low
    pub priority: String,
    /// positive | neutral | negative (the lexicon scorer); null for a like, share or follow
    pub sentiment: Option<String>,
    pub can_reply: bool,
    pub can_hide: bool,
    pub can_delete: bool,
    /// poll | webhook | api
    pub source: String,
    pub received_at: chrono::DateTime<Utc>,
    pub replied_at: Option<chrono::DateTime<Utc>>,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
    /// The replies sent to it (only on a read of the one item).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replies: Option<Vec<ReplyView>>,
}

impl ItemJson {
    pub fn of(i: &ItemRow) -> Self {
        Self {
            id: i.id,
            profile_id: i.profile_id,
            provider: i.provider.clone(),
            kind: i.kind.clone(),
            from_user: FromView {
                name: i.from_name.clone(),
                username: i.from_username.clone(),
                avatar_url: i.from_avatar_url.clone(),
                profile_url: i.from_profile_url.clone(),
            },
            content: i.content.clone(),
            post_id: i.post_id,
            platform_item_id: i.platform_item_id.clone(),
            platform_url: i.platform_url.clone(),
            status: i.status.clone(),
            priority: i.priority.clone(),
            sentiment: i.sentiment.clone(),
            can_reply: i.can_reply,
            can_hide: i.can_hide,
            can_delete: i.can_delete,
            source: i.source.clone(),
            received_at: i.received_at,
            replied_at: i.replied_at,
            created_at: i.created_at,
            updated_at: i.updated_at,
            replies: None,
        }
    }

    pub fn with_replies(v: &ItemView) -> Self {
        let mut j = Self::of(&v.item);
        j.replies =
            Some(v.replies.iter().map(|(post_id, status)| ReplyView { post_id: *post_id, status: *status }).collect());
        j
    }
}
