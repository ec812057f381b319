//! Campaigns: posts grouped under one id, and scheduled in one call by the campaign's
//! calendar or a cadence, in a time zone. The plan is worked out here (which posts are
//! eligible, which slot each takes, why the rest are skipped); applying it is one command
//! to the scheduler (it owns `scheduled_at` and the review layer), all or nothing.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use domain::input::FieldError;
use domain::messages::{CampaignSlotV1, SchedulerCommandV1};
use domain::planning::{self, Cadence};
use domain::{PostStatus, Provider, ReviewStatus};
use serde::Serialize;
use serde_json::Value;
use store::campaigns::{Campaign, Fields};
use store::posts::{PostFilter, PostView};
use uuid::Uuid;

use crate::{Caller, Posting, PostingError, PostingResult};

pub const CAMPAIGN_STATUSES: &[&str] = &["draft", "active", "archived"];
/// How far ahead slots are looked for.
const HORIZON_DAYS: i64 = 730;

/// How the slots are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The calendar's dates when it has any, else the cadence.
    Auto,
    Calendar,
    Cadence,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "auto" => Some(Mode::Auto),
            "calendar" => Some(Mode::Calendar),
            "cadence" => Some(Mode::Cadence),
            _ => None,
        }
    }
}

/// A request to schedule a campaign's posts.
#[derive(Debug, Clone)]
pub struct ScheduleRequest {
    /// The first instant a slot may take (a slot equal to it counts); now by default.
    pub start: Option<DateTime<Utc>>,
    pub mode: Mode,
    pub cadence: Cadence,
    /// Only posts going to one of these.
    pub platforms: Option<Vec<Provider>>,
    /// Also schedule posts awaiting review, approving them.
    pub include_pending: bool,
    /// The zone slots are read in; the workspace's by default.
    pub timezone: Option<Tz>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    pub post_id: domain::PostId,
    pub platforms: Vec<Provider>,
    pub scheduled_for: DateTime<Utc>,
    /// Approved by this schedule (it was awaiting review and `include_pending` was set).
    pub approved_now: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub post_id: domain::PostId,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub scheduled: Vec<Planned>,
    pub skipped: Vec<Skipped>,
    /// Posts that could be scheduled (those scheduled, and those no slot was left for).
    pub eligible: usize,
    pub start_date: DateTime<Utc>,
    pub end_date: Option<DateTime<Utc>>,
    /// The mode the slots came from (`auto` resolved).
    pub mode: Mode,
    pub timezone: String,
    pub dry_run: bool,
}

fn check_fields(f: &Fields, creating: bool) -> PostingResult<()> {
    let mut errors = Vec::new();
    match &f.name {
        Some(n) if n.trim().is_empty() || n.chars().count() > 200 => {
            errors.push(FieldError::new("name", "must have 1 to 200 characters"));
        }
        None if creating => errors.push(FieldError::new("name", "is required")),
        _ => {}
    }
    if let Some(s) = &f.status
        && !CAMPAIGN_STATUSES.contains(&s.as_str())
    {
        errors.push(FieldError::new("status", "one of draft, active, archived"));
    }
    if let Some(Some(c)) = &f.client_type
        && c.chars().count() > 100
    {
        errors.push(FieldError::new("client_type", "must be at most 100 characters"));
    }
    if let Some(cal) = &f.calendar {
        match cal.as_array() {
            None => errors.push(FieldError::new("calendar", "a flat list of day entries")),
            Some(days) if days.len() > 1000 => errors.push(FieldError::new("calendar", "at most 1000 entries")),
            Some(days) => {
                for (i, d) in days.iter().enumerate() {
                    let Some(o) = d.as_object() else {
                        errors.push(FieldError::new(
                            format!("calendar[{i}]"),
                            "a day entry {day, date, pillar_id, channel, format, title, week}",
                        ));
                        continue;
                    };
                    if o.contains_key("slots") {
                        errors.push(FieldError::new(
                            format!("calendar[{i}]"),
                            "a flat day entry, not a week with slots: one entry per day",
                        ));
                    }
                    if let Some(date) = o.get("date").filter(|v| !v.is_null())
                        && date.as_str().and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()).is_none()
                    {
                        errors.push(FieldError::new(format!("calendar[{i}].date"), "a date as YYYY-MM-DD"));
                    }
                }
            }
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(PostingError::Validation(errors)) }
}

/// The calendar's dates a social post can take (entries for blogs or videos are not).
fn calendar_dates(c: &Campaign) -> Vec<NaiveDate> {
    c.calendar
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d.get("channel").and_then(Value::as_str).is_none_or(|ch| ch == "social"))
        .filter_map(|d| {
            d.get("date").and_then(Value::as_str).and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        })
        .collect()
}

/// Why a post of the campaign is not scheduled, or `None` when it may be (and whether
/// scheduling it approves it).
fn eligibility(v: &PostView, stages: domain::Stages, include_pending: bool) -> Result<bool, String> {
    use ReviewStatus as R;
    let p = &v.post;
    if p.archived_at.is_some() {
        return Err("deleted".into());
    }
    match p.status {
        PostStatus::Draft => {}
        PostStatus::Pending | PostStatus::Scheduled => return Err("already scheduled (left as it is)".into()),
        other => return Err(format!("already {other}")),
    }
    match p.review {
        Some(R::Approved) if p.approved_version == Some(p.version) => Ok(false),
        Some(R::Approved) => Err("edited after its approval; it needs approving again".into()),
        Some(R::Vaulted) => Err("vaulted: the workspace keeps approved content for download only".into()),
        Some(R::PendingApproval | R::QaReview | R::ClientReview) if include_pending => Ok(true),
        Some(r @ (R::PendingApproval | R::QaReview | R::ClientReview)) => {
            Err(format!("awaiting review ({}); include_pending schedules and approves it", r.as_str()))
        }
        Some(R::Regenerating) => Err("being rewritten by the assistant".into()),
        Some(R::ChangesRequested) => Err("changes requested by a reviewer".into()),
        // Never submitted: fine where no review stage applies to it.
        None if stages.first().is_none() => Ok(false),
        None => Err("not submitted for review".into()),
    }
}

impl Posting {
    pub async fn campaigns(&self, caller: &Caller, status: Option<&str>) -> PostingResult<Vec<Campaign>> {
        if let Some(s) = status
            && !CAMPAIGN_STATUSES.contains(&s)
        {
            return Err(PostingError::field("status", "one of draft, active, archived"));
        }
        let mut conn = self.pool.get().await?;
        Ok(store::campaigns::list(&mut conn, caller.scope.workspace_id, status).await?)
    }

    pub async fn campaign(&self, caller: &Caller, id: Uuid) -> PostingResult<Campaign> {
        let mut conn = self.pool.get().await?;
        store::campaigns::get(&mut conn, caller.scope.workspace_id, id).await?.ok_or(PostingError::CampaignNotFound)
    }

    pub async fn create_campaign(&self, caller: &Caller, f: Fields) -> PostingResult<Campaign> {
        caller.require_write()?;
        check_fields(&f, true)?;
        let f = Fields { name: f.name.map(|n| n.trim().to_owned()), ..f };
        let mut conn = self.pool.get().await?;
        Ok(store::campaigns::insert(&mut conn, Uuid::now_v7(), caller.scope.workspace_id, &f).await?)
    }

    pub async fn update_campaign(&self, caller: &Caller, id: Uuid, f: Fields) -> PostingResult<Campaign> {
        caller.require_write()?;
        check_fields(&f, false)?;
        let f = Fields { name: f.name.map(|n| n.trim().to_owned()), ..f };
        let mut conn = self.pool.get().await?;
        store::campaigns::update(&mut conn, caller.scope.workspace_id, id, &f)
            .await?
            .ok_or(PostingError::CampaignNotFound)
    }

    /// Deletes a campaign that holds no posts; one that does is archived instead (its posts
    /// would lose their campaign without a word).
    pub async fn delete_campaign(&self, caller: &Caller, id: Uuid) -> PostingResult<()> {
        caller.require_write()?;
        let mut conn = self.pool.get().await?;
        store::campaigns::get(&mut conn, caller.scope.workspace_id, id).await?.ok_or(PostingError::CampaignNotFound)?;
        // Every post of the workspace counts, not only those this key sees.
        let filter = PostFilter { campaign: Some(id.to_string()), ..Default::default() };
        let (_, held) =
            store::posts::list(&mut conn, &store::KeyScope::workspace(caller.scope.workspace_id), &filter, 1, 0)
                .await?;
        if held > 0 {
            return Err(PostingError::Conflict(format!(
                "The campaign holds {held} post(s); archive it (status: archived) instead, or delete its posts first."
            )));
        }
        store::campaigns::delete(&mut conn, caller.scope.workspace_id, id).await?;
        Ok(())
    }

    /// The campaign's posts the caller may see, oldest first.
    pub async fn campaign_posts(&self, caller: &Caller, id: Uuid) -> PostingResult<Vec<PostView>> {
        self.campaign(caller, id).await?;
        let mut conn = self.pool.get().await?;
        let filter = PostFilter { campaign: Some(id.to_string()), ..Default::default() };
        let (mut posts, _) = store::posts::list(&mut conn, &caller.scope, &filter, 1000, 0).await?;
        posts.reverse();
        Ok(posts)
    }

    /// Works out the schedule; unless `dry_run`, has the scheduler apply it, all or
    /// nothing. A post already scheduled is left as it is.
    pub async fn schedule_campaign(&self, caller: &Caller, id: Uuid, req: ScheduleRequest) -> PostingResult<Plan> {
        if !req.dry_run {
            caller.require_publish()?;
        }
        req.cadence.check("cadence").map_err(|e| PostingError::Validation(vec![e]))?;
        let campaign = self.campaign(caller, id).await?;
        let settings = self.settings(caller).await?;
        let tz = match req.timezone {
            Some(tz) => tz,
            None => planning::zone(&settings.timezone, "timezone").map_err(|e| PostingError::Validation(vec![e]))?,
        };
        let dates = calendar_dates(&campaign);
        let mode = match req.mode {
            Mode::Auto if dates.is_empty() => Mode::Cadence,
            Mode::Auto => Mode::Calendar,
            Mode::Calendar if dates.is_empty() => {
                return Err(PostingError::field("mode", "the campaign's calendar has no dated social entries"));
            }
            m => m,
        };
        let start = req.start.unwrap_or_else(Utc::now);
        let posts = self.campaign_posts(caller, id).await?;
        let mut skipped = Vec::new();
        let mut eligible: Vec<(&PostView, bool, Vec<Provider>)> = Vec::new();
        for v in &posts {
            let mut platforms: Vec<Provider> = v.deliveries.iter().map(|(d, _)| d.provider).collect();
            platforms.dedup();
            if let Some(wanted) = &req.platforms
                && !platforms.iter().any(|p| wanted.contains(p))
            {
                skipped.push(Skipped { post_id: v.post.id, reason: "not on the requested platforms".into() });
                continue;
            }
            let stages = domain::Stages::of(
                v.post.requires_approval,
                settings.requires_qa_approval,
                settings.requires_client_approval,
            );
            match eligibility(v, stages, req.include_pending) {
                Ok(approve) => eligible.push((v, approve, platforms)),
                Err(reason) => skipped.push(Skipped { post_id: v.post.id, reason }),
            }
        }
        let hour = req.cadence.hours.iter().min().copied().unwrap_or_default();
        let slots = match mode {
            Mode::Calendar => planning::calendar_slots(tz, &dates, hour, start),
            _ => planning::cadence_slots(tz, &req.cadence, start, eligible.len(), HORIZON_DAYS),
        };
        let mut scheduled = Vec::new();
        let mut commands = Vec::new();
        for (i, (v, approve, platforms)) in eligible.iter().enumerate() {
            let Some(at) = slots.get(i) else {
                skipped.push(Skipped { post_id: v.post.id, reason: "no slot left in the calendar or cadence".into() });
                continue;
            };
            scheduled.push(Planned {
                post_id: v.post.id,
                platforms: platforms.clone(),
                scheduled_for: *at,
                approved_now: *approve,
            });
            commands.push(CampaignSlotV1 {
                post_id: v.post.id,
                scheduled_at: *at,
                approve: *approve,
                expected: v.post.review,
                version: v.post.version,
            });
        }
        let plan = Plan {
            end_date: scheduled.iter().map(|p| p.scheduled_for).max(),
            eligible: eligible.len(),
            scheduled,
            skipped,
            start_date: start,
            mode,
            timezone: tz.name().to_owned(),
            dry_run: req.dry_run,
        };
        if !req.dry_run && !commands.is_empty() {
            self.command(SchedulerCommandV1::ScheduleCampaign { slots: commands, actor: caller.who() }).await?;
        }
        Ok(plan)
    }
}
