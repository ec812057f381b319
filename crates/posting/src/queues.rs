//! Posting queues: per profile, named weekly slots `{day_of_week, time}` in a zone. A post
//! created with `queue` takes the next free slot (the queue is locked while it is taken);
//! the next slots can be previewed; changing the slots can reshuffle what is queued (one
//! command to the scheduler, all or nothing).

use chrono::{DateTime, Duration, NaiveTime, Utc};
use domain::input::FieldError;
use domain::messages::{MoveV1, SchedulerCommandV1};
use domain::{PostStatus, ProfileId, planning};
use serde_json::{Value, json};
use store::queues::Queue;
use uuid::Uuid;

use crate::{Caller, Posting, PostingError, PostingResult};

const MAX_SLOTS: usize = 100;
pub const MAX_PREVIEW: usize = 50;

/// A queue's weekly slots, checked: `[{day_of_week 0–6, time "HH:MM"}]`, 1 to 100, no twice.
pub fn parse_slots(v: &Value) -> Result<Vec<(u32, NaiveTime)>, Vec<FieldError>> {
    let Some(items) = v.as_array() else {
        return Err(vec![FieldError::new("slots", "a list of {day_of_week, time}")]);
    };
    if items.is_empty() || items.len() > MAX_SLOTS {
        return Err(vec![FieldError::new("slots", format!("1 to {MAX_SLOTS} slots"))]);
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, s) in items.iter().enumerate() {
        let day = s.get("day_of_week").and_then(Value::as_u64).and_then(|d| u32::try_from(d).ok()).filter(|d| *d <= 6);
        let time = s.get("time").and_then(Value::as_str).map(|t| planning::parse_hour(t, &format!("slots[{i}].time")));
        match (day, time) {
            (Some(d), Some(Ok(t))) if out.contains(&(d, t)) => {
                errors.push(FieldError::new(format!("slots[{i}]"), "this slot is given twice"));
            }
            (Some(d), Some(Ok(t))) => out.push((d, t)),
            (None, _) => errors.push(FieldError::new(format!("slots[{i}].day_of_week"), "0 (Sunday) to 6 (Saturday)")),
            (_, Some(Err(e))) => errors.push(e),
            (_, None) => errors.push(FieldError::new(format!("slots[{i}].time"), "a time of day as HH:MM")),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

fn slots_json(slots: &[(u32, NaiveTime)]) -> Value {
    Value::Array(slots.iter().map(|(d, t)| json!({"day_of_week": d, "time": t.format("%H:%M").to_string()})).collect())
}

fn stored_slots(q: &Queue) -> Vec<(u32, NaiveTime)> {
    parse_slots(&q.slots).unwrap_or_default()
}

fn zone_of(q: &Queue) -> PostingResult<chrono_tz::Tz> {
    planning::zone(&q.timezone, "timezone").map_err(|e| PostingError::Validation(vec![e]))
}

/// The earliest a queued post is given: far enough ahead to be scheduled, not dispatched
/// while the request is still answering.
fn earliest() -> DateTime<Utc> {
    Utc::now() + Duration::minutes(1)
}

/// The first `n` of the queue's slots from `from` that no waiting post holds.
fn free_slots(
    tz: chrono_tz::Tz,
    slots: &[(u32, NaiveTime)],
    taken: &[DateTime<Utc>],
    from: DateTime<Utc>,
    n: usize,
) -> Vec<DateTime<Utc>> {
    planning::weekly_slots(tz, slots, from, n + taken.len())
        .into_iter()
        .filter(|t| !taken.contains(t))
        .take(n)
        .collect()
}

/// Inside the create's transaction: the queue locked, the next free slot taken.
pub(crate) async fn take_slot(conn: &mut store::Conn, caller: &Caller, queue: Uuid) -> PostingResult<DateTime<Utc>> {
    let q = store::queues::lock(conn, caller.scope.workspace_id, queue)
        .await?
        .ok_or_else(|| PostingError::field("post.queue", "no such posting queue in this workspace"))?;
    let tz = zone_of(&q)?;
    let from = earliest();
    let taken: Vec<DateTime<Utc>> =
        store::queues::waiting(conn, q.id, from).await?.into_iter().map(|(_, _, t)| t).collect();
    free_slots(tz, &stored_slots(&q), &taken, from, 1)
        .into_iter()
        .next()
        .ok_or_else(|| PostingError::field("post.queue", "the queue has no free slot in the next year"))
}

impl Posting {
    pub async fn create_queue(
        &self,
        caller: &Caller,
        profile: ProfileId,
        name: &str,
        timezone: &str,
        slots: &Value,
    ) -> PostingResult<Queue> {
        caller.require_write()?;
        let mut errors = Vec::new();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(FieldError::new("name", "must have 1 to 100 characters"));
        }
        if let Err(e) = planning::zone(timezone, "timezone") {
            errors.push(e);
        }
        let parsed = parse_slots(slots).map_err(|e| errors.extend(e)).ok();
        if !errors.is_empty() {
            return Err(PostingError::Validation(errors));
        }
        let mut conn = self.pool.get().await?;
        store::profiles::find_many(&mut conn, &caller.scope, &[profile])
            .await?
            .into_iter()
            .next()
            .ok_or(PostingError::ProfileNotFound)?;
        let slots = slots_json(&parsed.unwrap_or_default());
        match store::queues::insert(&mut conn, caller.scope.workspace_id, profile, name, timezone.trim(), &slots).await
        {
            Err(e) if e.is_unique_violation("posting_queues_profile_id_name_key") => {
                Err(PostingError::field("name", "this profile already has a queue of that name"))
            }
            other => Ok(other?),
        }
    }

    pub async fn queues(&self, caller: &Caller, profile: ProfileId) -> PostingResult<Vec<Queue>> {
        let mut conn = self.pool.get().await?;
        store::profiles::find_many(&mut conn, &caller.scope, &[profile])
            .await?
            .into_iter()
            .next()
            .ok_or(PostingError::ProfileNotFound)?;
        Ok(store::queues::for_profile(&mut conn, caller.scope.workspace_id, profile).await?)
    }

    pub async fn queue(&self, caller: &Caller, id: Uuid) -> PostingResult<Queue> {
        let mut conn = self.pool.get().await?;
        let q =
            store::queues::get(&mut conn, caller.scope.workspace_id, id).await?.ok_or(PostingError::QueueNotFound)?;
        // A key scoped to other profiles does not see this profile's queue.
        store::profiles::find_many(&mut conn, &caller.scope, &[q.profile_id])
            .await?
            .into_iter()
            .next()
            .ok_or(PostingError::QueueNotFound)?;
        Ok(q)
    }

    /// The queue's next `n` free slots, and the posts waiting in it.
    pub async fn queue_preview(&self, caller: &Caller, id: Uuid, n: usize) -> PostingResult<Value> {
        let q = self.queue(caller, id).await?;
        let tz = zone_of(&q)?;
        let mut conn = self.pool.get().await?;
        let from = earliest();
        let waiting = store::queues::waiting(&mut conn, q.id, from).await?;
        let taken: Vec<DateTime<Utc>> = waiting.iter().map(|(_, _, t)| *t).collect();
        let free = free_slots(tz, &stored_slots(&q), &taken, from, n.min(MAX_PREVIEW));
        Ok(json!({
            "queue": q,
            "free_slots": free,
            "queued": waiting.iter().map(|(id, _, at)| json!({"post_id": id, "scheduled_at": at})).collect::<Vec<_>>(),
        }))
    }

    /// Renames, re-zones or re-slots a queue; with `reshuffle`, the posts waiting in it
    /// move, in their order, to the new slots.
    pub async fn update_queue(
        &self,
        caller: &Caller,
        id: Uuid,
        name: Option<&str>,
        timezone: Option<&str>,
        slots: Option<&Value>,
        reshuffle: bool,
    ) -> PostingResult<Queue> {
        caller.require_write()?;
        if reshuffle {
            caller.require_publish()?;
        }
        self.queue(caller, id).await?;
        let mut errors = Vec::new();
        if let Some(n) = name
            && (n.trim().is_empty() || n.chars().count() > 100)
        {
            errors.push(FieldError::new("name", "must have 1 to 100 characters"));
        }
        if let Some(z) = timezone
            && let Err(e) = planning::zone(z, "timezone")
        {
            errors.push(e);
        }
        let parsed = match slots.map(parse_slots).transpose() {
            Ok(p) => p,
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        if !errors.is_empty() {
            return Err(PostingError::Validation(errors));
        }
        let slots = parsed.as_deref().map(slots_json);
        let mut conn = self.pool.get().await?;
        let q = store::queues::update(
            &mut conn,
            caller.scope.workspace_id,
            id,
            name.map(str::trim),
            timezone.map(str::trim),
            slots.as_ref(),
        )
        .await?
        .ok_or(PostingError::QueueNotFound)?;
        if reshuffle {
            let tz = zone_of(&q)?;
            let from = earliest();
            let waiting: Vec<_> = store::queues::waiting(&mut conn, q.id, from)
                .await?
                .into_iter()
                .filter(|(_, status, _)| *status == PostStatus::Scheduled)
                .collect();
            let new = planning::weekly_slots(tz, &stored_slots(&q), from, waiting.len());
            let moves: Vec<MoveV1> = waiting
                .iter()
                .zip(new)
                .filter(|((_, _, old), new)| old != new)
                .map(|((post_id, _, old), new)| MoveV1 { post_id: *post_id, from: *old, to: new })
                .collect();
            drop(conn);
            if !moves.is_empty() {
                self.command(SchedulerCommandV1::Reschedule { moves }).await?;
            }
        }
        Ok(q)
    }

    pub async fn delete_queue(&self, caller: &Caller, id: Uuid) -> PostingResult<()> {
        caller.require_write()?;
        self.queue(caller, id).await?;
        let mut conn = self.pool.get().await?;
        // Posts it holds keep their times; they are no longer the queue's.
        store::queues::delete(&mut conn, caller.scope.workspace_id, id).await?;
        Ok(())
    }
}
