//! Feeds that auto-post: subscriptions (checked and kept here) and what a new item becomes
//! (`post_item`, called by the collector, which fetches and parses). Every item's post is
//! made through `create` under an idempotency key of the feed and the item, so a check
//! repeated after a crash, or by a second collector, returns the post already made.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use domain::feeds::{Becomes, FeedInput};
use domain::input::FieldError;
use domain::{ProfileId, Provider};
use serde::Serialize;
use serde_json::json;
use store::feeds::{FeedChange, FeedRow, ItemRow, NewFeed};
use uuid::Uuid;

use crate::{Actor, Caller, Policy, Posting, PostingError, PostingResult, Staged};

/// A feed subscription as the API shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedView {
    pub id: Uuid,
    pub name: String,
    pub feed_url: String,
    pub profiles: Vec<Uuid>,
    /// The platforms of those profiles.
    pub providers: Vec<String>,
    pub template: String,
    pub include_image: bool,
    /// What a new item becomes: draft, review, queue or best_time.
    pub becomes: String,
    pub queue: Option<Uuid>,
    pub check_interval_minutes: i32,
    pub backlog: i32,
    /// active or paused.
    pub status: String,
    /// Why it is paused (by a person, or by itself after failing checks in a row).
    pub paused_reason: Option<String>,
    /// Failed checks in a row.
    pub error_count: i32,
    pub last_error: Option<String>,
    pub last_checked_at: Option<DateTime<Utc>>,
    pub next_check_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub items_posted: i64,
    pub items_skipped: i64,
    /// The newest items seen (on a single feed's read), each with its fate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemView>>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemView {
    pub title: Option<String>,
    pub link: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub seen_at: DateTime<Utc>,
    /// posted or skipped.
    pub fate: String,
    /// Why it was skipped, or what went with posting it.
    pub reason: Option<String>,
    pub post_id: Option<Uuid>,
}

impl From<ItemRow> for ItemView {
    fn from(r: ItemRow) -> Self {
        Self {
            title: r.title,
            link: r.link,
            published_at: r.published_at,
            seen_at: r.seen_at,
            fate: r.fate,
            reason: r.reason,
            post_id: r.post_id,
        }
    }
}

fn view(
    r: FeedRow,
    counts: &[(Uuid, String, i64)],
    items: Option<Vec<ItemRow>>,
    profiles: &[(Uuid, Provider)],
) -> FeedView {
    let mut providers: Vec<String> =
        profiles.iter().filter(|(id, _)| r.profile_ids.contains(id)).map(|(_, p)| p.as_str().to_owned()).collect();
    providers.sort();
    providers.dedup();
    let count = |fate: &str| counts.iter().filter(|c| c.0 == r.id && c.1 == fate).map(|c| c.2).sum();
    FeedView {
        items_posted: count("posted"),
        items_skipped: count("skipped"),
        id: r.id,
        name: r.name,
        feed_url: r.feed_url,
        profiles: r.profile_ids,
        providers,
        template: r.template,
        include_image: r.include_image,
        becomes: r.becomes,
        queue: r.queue_id,
        check_interval_minutes: r.check_interval_minutes,
        backlog: r.backlog,
        status: r.status,
        paused_reason: r.paused_reason,
        error_count: r.error_count,
        last_error: r.last_error,
        last_checked_at: r.last_checked_at,
        next_check_at: r.next_check_at,
        created_at: r.created_at,
        items: items.map(|i| i.into_iter().map(ItemView::from).collect()),
    }
}

/// What a feed's action does: check now, pause, resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedAction {
    Check,
    Pause,
    Resume,
}

/// The items a feed's read shows.
const SHOWN_ITEMS: i64 = 50;

/// One new item, as the collector hands it over.
#[derive(Debug, Clone)]
pub struct NewItem {
    /// The key the feed knows it by (its id, or its normalised link).
    pub key: String,
    /// Its post text, already made from the template and fitted.
    pub text: String,
    pub image: Option<String>,
}

impl Posting {
    pub async fn create_feed(&self, caller: &Caller, input: FeedInput) -> PostingResult<FeedView> {
        caller.require_write()?;
        let mut conn = self.pool.get().await?;
        let profiles = input.profiles.clone().unwrap_or_default();
        self.check_targets(&mut conn, caller, &profiles, "profiles").await?;
        let becomes = policy_bound(caller, input.becomes.unwrap_or(Becomes::Draft));
        let queue = input.queue.flatten();
        self.check_queue(&mut conn, caller, becomes, queue, &profiles).await?;
        let (Some(name), Some(url)) = (input.name, input.feed_url) else {
            return Err(PostingError::Validation(vec![FieldError::new("name", "is required")]));
        };
        let row = store::feeds::insert(
            &mut conn,
            &NewFeed {
                id: Uuid::now_v7(),
                workspace_id: caller.scope.workspace_id,
                name,
                feed_url: url.to_string(),
                profile_ids: profiles,
                template: input.template.unwrap_or_else(|| domain::feeds::DEFAULT_TEMPLATE.to_owned()),
                include_image: input.include_image.unwrap_or(false),
                becomes: becomes.as_str().to_owned(),
                queue_id: queue,
                check_interval_minutes: input.check_interval_minutes.unwrap_or(domain::feeds::DEFAULT_INTERVAL_MINUTES),
                backlog: input.backlog.unwrap_or(0),
                created_by: Some(caller.actor.to_string()),
            },
        )
        .await?;
        tracing::info!(feed_id = %row.id, actor = %caller.actor, "feed added");
        let known = known_profiles(&mut conn, caller).await?;
        Ok(view(row, &[], None, &known))
    }

    pub async fn feeds(&self, caller: &Caller) -> PostingResult<Vec<FeedView>> {
        let mut conn = self.pool.get().await?;
        let rows = store::feeds::list(&mut conn, caller.scope.workspace_id).await?;
        let rows: Vec<FeedRow> = rows.into_iter().filter(|r| visible(caller, r)).collect();
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let counts = store::feeds::counts(&mut conn, &ids).await?;
        let known = known_profiles(&mut conn, caller).await?;
        Ok(rows.into_iter().map(|r| view(r, &counts, None, &known)).collect())
    }

    pub async fn feed(&self, caller: &Caller, id: Uuid) -> PostingResult<FeedView> {
        let mut conn = self.pool.get().await?;
        let row = self.feed_row(&mut conn, caller, id).await?;
        let counts = store::feeds::counts(&mut conn, &[id]).await?;
        let items = store::feeds::items(&mut conn, id, SHOWN_ITEMS).await?;
        let known = known_profiles(&mut conn, caller).await?;
        Ok(view(row, &counts, Some(items), &known))
    }

    pub async fn update_feed(&self, caller: &Caller, id: Uuid, input: FeedInput) -> PostingResult<FeedView> {
        caller.require_write()?;
        let mut conn = self.pool.get().await?;
        let row = self.feed_row(&mut conn, caller, id).await?;
        let profiles = input.profiles.clone().unwrap_or_else(|| row.profile_ids.clone());
        if input.profiles.is_some() {
            self.check_targets(&mut conn, caller, &profiles, "profiles").await?;
        }
        let becomes = input.becomes.map(|b| policy_bound(caller, b));
        let now_becomes = becomes.or(Becomes::parse(&row.becomes)).unwrap_or(Becomes::Draft);
        let queue = input.queue.unwrap_or(row.queue_id);
        self.check_queue(&mut conn, caller, now_becomes, queue, &profiles).await?;
        let moved = input.feed_url.as_ref().is_some_and(|u| u.as_str() != row.feed_url);
        let change = FeedChange {
            etag: moved.then_some(None),
            last_modified: moved.then_some(None),
            name: input.name,
            feed_url: input.feed_url.map(|u| u.to_string()),
            profile_ids: input.profiles,
            template: input.template,
            include_image: input.include_image,
            becomes: becomes.map(|b| b.as_str().to_owned()),
            queue_id: input.queue,
            check_interval_minutes: input.check_interval_minutes,
        };
        store::feeds::update(&mut conn, id, &change).await?;
        drop(conn);
        self.feed(caller, id).await
    }

    pub async fn delete_feed(&self, caller: &Caller, id: Uuid) -> PostingResult<()> {
        caller.require_write()?;
        let mut conn = self.pool.get().await?;
        self.feed_row(&mut conn, caller, id).await?;
        store::feeds::delete(&mut conn, caller.scope.workspace_id, id).await?;
        Ok(())
    }

    /// Checks a feed now (the collector takes it within its poll interval), pauses it, or
    /// resumes it (errors cleared, due at once).
    pub async fn feed_action(&self, caller: &Caller, id: Uuid, action: FeedAction) -> PostingResult<FeedView> {
        caller.require_write()?;
        let mut conn = self.pool.get().await?;
        let row = self.feed_row(&mut conn, caller, id).await?;
        match action {
            FeedAction::Check if row.status == "paused" => {
                return Err(PostingError::Conflict("The feed is paused; resume it to check it.".into()));
            }
            FeedAction::Check => store::feeds::due_now(&mut conn, id).await?,
            FeedAction::Pause => {
                store::feeds::set_active(&mut conn, id, false, Some(&format!("paused by {}", caller.actor))).await?;
            }
            FeedAction::Resume => {
                store::feeds::set_active(&mut conn, id, true, None).await?;
            }
        }
        drop(conn);
        self.feed(caller, id).await
    }

    /// Makes the post of a new item of `feed`, as the feed's subscription says. Returns
    /// the post's id; a repeat of the same item returns the post made the first time.
    pub async fn post_item(&self, feed: &FeedRow, item: &NewItem) -> PostingResult<Uuid> {
        let becomes = Becomes::parse(&feed.becomes).unwrap_or(Becomes::Draft);
        let mut caller = Caller::new(Actor::Feed(feed.id), store::KeyScope::workspace(feed.workspace_id), true);
        let mut post = json!({"body": item.text});
        match becomes {
            Becomes::Draft => post["draft"] = json!(true),
            // Under this policy a created post is a draft submitted for review at once.
            Becomes::Review => caller.policy = Policy::ApprovalRequired,
            Becomes::Queue => post["queue"] = json!(feed.queue_id),
            Becomes::BestTime => {
                let first = self.first_provider(feed).await?;
                let f = crate::insights::Filter { provider: first, ..Default::default() };
                let best = self.best_times(&caller, &f).await?;
                if let Some(at) = next_best(&best, Utc::now() + Duration::minutes(10)) {
                    post["scheduled_at"] = json!(at.to_rfc3339());
                }
            }
        }
        let mut body = json!({"post": post, "profiles": feed.profile_ids});
        if let Some(image) = &item.image {
            body["media"] = json!([{"url": image}]);
        }
        let input = domain::input::parse_new_post(&body).map_err(PostingError::Validation)?;
        let key = format!("feed:{}:{}", feed.id, item.key);
        let made = self.create(&caller, input, Some(key), Staged::default()).await?;
        Ok(made.post.id.into())
    }

    /// The first posting queue of any of `profiles` (the seed's `schedulingStrategy: queue`).
    pub async fn first_queue_of(&self, caller: &Caller, profiles: &[Uuid]) -> PostingResult<Option<Uuid>> {
        for p in profiles {
            if let Some(q) = self.queues(caller, ProfileId::from(*p)).await?.first() {
                return Ok(Some(q.id));
            }
        }
        Ok(None)
    }

    async fn first_provider(&self, feed: &FeedRow) -> PostingResult<Option<Provider>> {
        let mut conn = self.pool.get().await?;
        let ids: Vec<ProfileId> = feed.profile_ids.iter().map(|p| ProfileId::from(*p)).collect();
        let ps = store::profiles::find_many(
            &mut conn,
            &store::KeyScope::workspace(feed.workspace_id),
            &ids[..1.min(ids.len())],
        )
        .await?;
        Ok(ps.first().map(|p| p.provider))
    }

    async fn feed_row(&self, conn: &mut store::Conn, caller: &Caller, id: Uuid) -> PostingResult<FeedRow> {
        store::feeds::get(conn, caller.scope.workspace_id, id)
            .await?
            .filter(|r| visible(caller, r))
            .ok_or(PostingError::FeedNotFound)
    }

    /// Every target profile exists and the caller may post to it.
    async fn check_targets(
        &self,
        conn: &mut store::Conn,
        caller: &Caller,
        ids: &[Uuid],
        field: &str,
    ) -> PostingResult<()> {
        let wanted: Vec<ProfileId> = ids.iter().map(|p| ProfileId::from(*p)).collect();
        let found = store::profiles::find_many(conn, &caller.scope, &wanted).await?;
        let errors: Vec<FieldError> = wanted
            .iter()
            .enumerate()
            .filter(|(_, id)| !found.iter().any(|p| p.id == **id))
            .map(|(i, id)| {
                FieldError::new(format!("{field}[{i}]"), format!("no connected profile {id} this key may use"))
            })
            .collect();
        if errors.is_empty() { Ok(()) } else { Err(PostingError::Validation(errors)) }
    }

    /// A queued feed names a queue of the workspace for one of its profiles.
    async fn check_queue(
        &self,
        conn: &mut store::Conn,
        caller: &Caller,
        becomes: Becomes,
        queue: Option<Uuid>,
        profiles: &[Uuid],
    ) -> PostingResult<()> {
        if becomes != Becomes::Queue {
            return Ok(());
        }
        let Some(q) = queue else {
            return Err(PostingError::Validation(vec![FieldError::new(
                "queue",
                "is required when new items become queued posts",
            )]));
        };
        match store::queues::get(conn, caller.scope.workspace_id, q).await? {
            Some(found) if profiles.contains(&found.profile_id.into()) => Ok(()),
            Some(_) => Err(PostingError::Validation(vec![FieldError::new(
                "queue",
                "is the queue of a profile this feed does not post to",
            )])),
            None => Err(PostingError::Validation(vec![FieldError::new("queue", "no such posting queue here")])),
        }
    }
}

/// The workspace's profiles the caller sees, with their platforms.
async fn known_profiles(conn: &mut store::Conn, caller: &Caller) -> PostingResult<Vec<(Uuid, Provider)>> {
    Ok(store::profiles::list(conn, &caller.scope).await?.into_iter().map(|(p, _)| (p.id.into(), p.provider)).collect())
}

/// A key that may not publish makes a feed whose items pass review (or stay drafts).
fn policy_bound(caller: &Caller, b: Becomes) -> Becomes {
    match (caller.policy, b) {
        (Policy::DraftOnly, Becomes::Draft) => Becomes::Draft,
        (Policy::DraftOnly | Policy::ApprovalRequired, _) => Becomes::Review,
        _ => b,
    }
}

/// A scoped key sees a feed only if it may post to every profile the feed posts to.
fn visible(caller: &Caller, r: &FeedRow) -> bool {
    caller.scope.profile_ids.as_ref().is_none_or(|ids| r.profile_ids.iter().all(|p| ids.contains(&ProfileId::from(*p))))
}

/// The next time from `from` on (on the hour) that is the best slot's weekday and hour,
/// in the zone the best times were computed in.
pub fn next_best(best: &domain::insights::BestTimes, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let top = best.slots.first()?;
    let tz: chrono_tz::Tz = best.timezone.parse().ok()?;
    let start = from.with_minute(0)?.with_second(0)?.with_nanosecond(0)? + Duration::hours(1);
    (0..24 * 8).map(|h| start + Duration::hours(h)).find(|t| {
        let local = t.with_timezone(&tz);
        local.weekday().num_days_from_monday() == top.weekday && local.hour() == top.hour
    })
}

/// The agency surface's words for what a new item becomes.
pub fn becomes_from_seed(auto_schedule: Option<bool>, strategy: Option<&str>) -> Result<Option<Becomes>, FieldError> {
    match (auto_schedule, strategy) {
        (None, None) => Ok(None),
        (Some(false), _) => Ok(Some(Becomes::Draft)),
        (_, Some("optimal")) => Ok(Some(Becomes::BestTime)),
        (_, None | Some("queue")) => Ok(Some(Becomes::Queue)),
        (_, Some(other)) => Err(FieldError::new("schedulingStrategy", format!("queue or optimal (got `{other}`)"))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_best_time_is_the_next_hour_of_the_best_slot_in_its_zone() {
        let best = domain::insights::BestTimes {
            timezone: "Europe/Berlin".into(),
            basis: "history".into(),
            posts_considered: 20,
            slots: vec![domain::insights::Slot { weekday: 2, hour: 9, score: 1.0, posts: 4 }],
            grid: Vec::new(),
            note: String::new(),
        };
        // Monday 2026-12-07 10:30 UTC → Wednesday 09:00 in Berlin (08:00 UTC).
        let from = Utc.with_ymd_and_hms(2026, 12, 7, 10, 30, 0).unwrap();
        assert_eq!(next_best(&best, from), Some(Utc.with_ymd_and_hms(2026, 12, 9, 8, 0, 0).unwrap()));
        // Already past it this week: the next week's.
        let late = Utc.with_ymd_and_hms(2026, 12, 9, 8, 30, 0).unwrap();
        assert_eq!(next_best(&best, late), Some(Utc.with_ymd_and_hms(2026, 12, 16, 8, 0, 0).unwrap()));
    }

    #[test]
    fn the_seeds_scheduling_words_map_to_what_an_item_becomes() {
        assert_eq!(becomes_from_seed(None, None).unwrap(), None);
        assert_eq!(becomes_from_seed(Some(false), Some("optimal")).unwrap(), Some(Becomes::Draft));
        assert_eq!(becomes_from_seed(Some(true), None).unwrap(), Some(Becomes::Queue));
        assert_eq!(becomes_from_seed(Some(true), Some("optimal")).unwrap(), Some(Becomes::BestTime));
        assert_eq!(becomes_from_seed(Some(true), Some("soon")).unwrap_err().field, "schedulingStrategy");
    }
}
