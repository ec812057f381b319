//! Create, edit, publish, cancel, delete and retry. Post status after creation is the
//! scheduler's: cancel, publish, retry and edits of scheduled posts are commands to it.

use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use domain::{DeliveryId, PostId};
use domain::{
    PostStatus,
    input::{NewPost, PostPatch},
    messages::{CommandReplyV1, MediaRefV1, PostAcceptedV1, SchedulerCommandV1},
};
use serde_json::Value;
use store::{
    models::{NewLogEntry, NewPostRow},
    posts::{self, PostFilter, PostView},
};
use uuid::Uuid;

use crate::{
    Caller, Posting, PostingError, PostingResult,
    acceptance::{check_edited, check_post, check_profiles, targets},
    media::Staged,
};

/// A page of posts, newest first, with the total.
pub struct Page {
    pub posts: Vec<PostView>,
    pub total: i64,
}

impl Posting {
    /// A draft, or a post accepted into `pending` with its outbox message, read back
    /// inside the transaction. `staged` holds assets the caller made for this request
    /// (multipart files); they are discarded with the post's own imports when it is
    /// refused. A retry under the same `idempotency_key` returns the post it made.
    pub async fn create(
        &self,
        caller: &Caller,
        input: NewPost,
        idempotency_key: Option<String>,
        mut staged: Staged,
    ) -> PostingResult<PostView> {
        // A key under approval_required makes drafts that are submitted at once: what it
        // meant to publish passes review first.
        let held = caller.policy == crate::caller::Policy::ApprovalRequired && !input.draft;
        match self.accept(caller, input, idempotency_key, &mut staged).await {
            Ok((view, true)) if held => {
                staged.keep();
                let id = view.post.id;
                let submit = SchedulerCommandV1::Review {
                    post_id: id,
                    action: domain::ReviewAction::Submit,
                    expected: None,
                    reason: None,
                    actor: caller.who(),
                    version: Some(view.post.version),
                };
                // Refused or not taken, the draft stays (its answer says review: null) and
                // is submitted by hand.
                if let Err(e) = self.command(submit).await {
                    tracing::warn!(post_id = %id, error = %e, "a held post was stored but not submitted");
                }
                let mut conn = self.pool.get().await?;
                Ok(posts::view(&mut conn, id).await?.unwrap_or(view))
            }
            Ok((view, true)) => {
                staged.keep();
                Ok(view)
            }
            // An earlier request made this post: what this one staged is not needed.
            Ok((view, false)) => {
                self.discard(staged).await;
                Ok(view)
            }
            Err(e) => {
                self.discard(staged).await;
                Err(e)
            }
        }
    }

    /// The stored post and whether this call made it.
    async fn accept(
        &self,
        caller: &Caller,
        input: NewPost,
        idempotency_key: Option<String>,
        staged: &mut Staged,
    ) -> PostingResult<(PostView, bool)> {
        caller.require_write()?;
        let mut input = input;
        let meant_to_publish = !input.draft;
        if caller.policy == crate::caller::Policy::DraftOnly && !input.draft {
            return Err(PostingError::Forbidden(
                "This key is draft_only: it creates drafts (draft: true) and submits them for review; it never publishes."
                    .into(),
            ));
        }
        // What such a key makes passes at least one review stage, even in a workspace
        // that requires none: submitting it must never amount to publishing it.
        if matches!(caller.policy, crate::caller::Policy::ApprovalRequired | crate::caller::Policy::DraftOnly) {
            if input.queue.is_some() {
                // A queue's slot goes to a post that will go out at it; this one waits for review.
                return Err(PostingError::field(
                    "post.queue",
                    format!(
                        "this key is {}: its posts pass review first; queue one once it is approved",
                        caller.policy.name()
                    ),
                ));
            }
            if input.details.requires_approval == Some(false) {
                return Err(PostingError::field(
                    "post.requires_approval",
                    format!("this key is {}: what it makes passes review", caller.policy.name()),
                ));
            }
            input.details.requires_approval = Some(true);
            input.draft = true;
        }
        let mut conn = self.pool.get().await?;
        let profiles = check_profiles(&mut conn, &self.profiles, caller, &input.profiles).await?;
        let media = self.own_media(&mut conn, caller, &input.media, staged).await?;
        let thread_media = self.own_thread_media(&mut conn, caller, &input.details.thread_media, staged).await?;
        // A reply from the inbox is checked for what it is (text answering an item) by
        // `inbox_reply`; a post's media and option rules are not a reply's.
        if meant_to_publish && input.details.reply_to.is_none() {
            let ids: Vec<Uuid> = media.iter().map(|(id, _)| *id).collect();
            let part_ids: Vec<Vec<Uuid>> = thread_media.iter().map(|p| p.iter().map(|(id, _)| *id).collect()).collect();
            let texts = domain::platforms::Texts {
                body: input.body.as_deref(),
                bodies: &input.details.bodies,
                hashtags: &input.details.hashtags,
                thread: &input.details.thread,
            };
            let targets = targets(&profiles);
            check_post(&mut conn, caller.scope.workspace_id, texts, &ids, &part_ids, &input.provider_options, &targets)
                .await?;
        }
        let row = NewPostRow {
            id: PostId::new(),
            workspace_id: caller.scope.workspace_id,
            body: input.body,
            status: if input.draft { PostStatus::Draft } else { PostStatus::Pending },
            scheduled_at: input.scheduled_at,
            provider_options: Value::Object(input.provider_options),
            // A scheduled post is dispatched later; it stays in this request's trace.
            traceparent: telemetry::current_traceparent(),
            idempotency_key,
            hashtags: input.details.hashtags,
            bodies: domain::input::PostDetails::bodies_json(&input.details.bodies),
            labels: input.details.labels,
            tags: input.details.tags,
            category: input.details.category,
            campaign: input.details.campaign,
            requires_approval: input.details.requires_approval,
            created_by: Some(caller.actor.to_string()),
            queue_id: None,
            thread: domain::input::PostDetails::thread_json(&input.details.thread),
        };
        // The answer is read inside the transaction: once it commits, nothing is left that
        // could fail and turn an accepted post into a 5xx (which a client would retry).
        let names = &self.names;
        let queue = input.queue;
        if let Some(q) = queue {
            let owner = store::queues::get(&mut conn, caller.scope.workspace_id, q)
                .await?
                .ok_or_else(|| PostingError::field("post.queue", "no such posting queue in this workspace"))?;
            if !profiles.iter().any(|p| p.id == owner.profile_id) {
                return Err(PostingError::field("post.queue", "the queue is another profile's: include its profile"));
            }
        }
        // The common post (published, no media, no queue, not a reply) is one statement.
        let plain = !input.draft
            && queue.is_none()
            && input.details.reply_to.is_none()
            && media.is_empty()
            && thread_media.iter().all(Vec::is_empty);
        let view = if plain {
            let accepted = PostAcceptedV1 { post_id: row.id, workspace_id: row.workspace_id };
            let event = bus::relay::event_row(names, &accepted)?;
            posts::insert_accepted(&mut conn, &row, &profiles, &caller.who(), &event).await.map_err(PostingError::from)
        } else {
            let reply_to = input.details.reply_to.as_ref();
            self.insert_in_steps(&mut conn, caller, &row, reply_to, queue, &profiles, &media, &thread_media).await
        };
        let view = match view {
            // An earlier request with this Idempotency-Key committed the post but never
            // stored its answer: that post is the answer.
            Err(PostingError::Store(e)) if e.is_unique_violation("posts_one_per_idempotency_key") => {
                let key = row.idempotency_key.as_deref().unwrap_or_default();
                let id = posts::id_by_idempotency_key(&mut conn, caller.scope.workspace_id, key)
                    .await?
                    .ok_or(PostingError::PostNotFound)?;
                let view = posts::view(&mut conn, id).await?.ok_or(PostingError::PostNotFound)?;
                return Ok((view, false));
            }
            // Sent, and the connection lost before the answer: "nothing was written" may be
            // false. The post's id is ours already, so the caller can be told which to read.
            Err(PostingError::Store(e)) if e.is_connection_lost() => return Err(PostingError::OutcomeUnknown(row.id)),
            other => other?,
        };
        self.committed();
        tracing::info!(post_id = %row.id, actor = %caller.actor, status = %row.status, deliveries = profiles.len(), "post accepted");
        Ok((view, true))
    }

    /// A post with media, a queue's slot, a reply or a draft: several statements in one
    /// transaction (`post.accepted` sent unless it is a draft).
    #[allow(clippy::too_many_arguments)]
    async fn insert_in_steps(
        &self,
        conn: &mut store::Conn,
        caller: &Caller,
        row: &NewPostRow,
        reply_to: Option<&domain::inbox::ReplyTo>,
        queue: Option<Uuid>,
        profiles: &[store::models::ProfileRow],
        media: &[(Uuid, Option<String>)],
        thread_media: &[Vec<(Uuid, Option<String>)>],
    ) -> PostingResult<PostView> {
        let names = &self.names;
        conn.transaction::<PostView, PostingError, _>(async |conn| {
            // A queued post takes its queue's next free slot, the queue locked meanwhile.
            let mut row = row.clone();
            if let Some(q) = queue {
                row.scheduled_at = Some(crate::queues::take_slot(conn, caller, q).await?);
                row.queue_id = Some(q);
            }
            let view = posts::insert(conn, &row, profiles, media, thread_media).await?;
            if let Some(to) = reply_to {
                store::inbox::answer(conn, row.id, to).await?;
            }
            if row.status != PostStatus::Draft {
                let accepted = PostAcceptedV1 { post_id: row.id, workspace_id: row.workspace_id };
                store::publish_log::append_with_message(
                    conn,
                    &NewLogEntry::post(row.workspace_id, row.id, "post.accepted"),
                    &bus::relay::event_row(names, &accepted)?,
                )
                .await?;
            }
            store::versions::record_first(conn, &view, &caller.who()).await?;
            Ok(view)
        })
        .await
    }

    /// One post the caller may see.
    pub async fn get(&self, caller: &Caller, id: PostId) -> PostingResult<PostView> {
        let mut conn = self.pool.get().await?;
        posts::get(&mut conn, &caller.scope, id).await?.ok_or(PostingError::PostNotFound)
    }

    /// Posts the caller may see, newest first.
    pub async fn list(&self, caller: &Caller, filter: &PostFilter, per_page: i64, page: i64) -> PostingResult<Page> {
        let mut conn = self.pool.get().await?;
        let (posts, total) = posts::list(&mut conn, &caller.scope, filter, per_page, page * per_page).await?;
        Ok(Page { posts, total })
    }

    /// Draft → pending, now or at `scheduled_at`, once the draft meets the platforms'
    /// rules. The scheduler makes the change (it owns post status) and refuses a post that
    /// left draft meanwhile.
    pub async fn publish(&self, caller: &Caller, id: PostId, scheduled_at: Option<DateTime<Utc>>) -> PostingResult<()> {
        caller.require_publish()?;
        let mut conn = self.pool.get().await?;
        // A draft meets the platforms' rules when it is published, not while it is drafted.
        let view = posts::get(&mut conn, &caller.scope, id).await?.ok_or(PostingError::PostNotFound)?;
        if view.post.archived_at.is_some() {
            return Err(PostingError::Conflict("The post was deleted; it cannot be published.".into()));
        }
        crate::review::not_held(&view.post)?;
        if view.post.status == PostStatus::Draft {
            check_edited(&mut conn, caller, &view, &PostPatch::default(), None, None).await?;
        }
        drop(conn);
        self.command(SchedulerCommandV1::PublishDraft { post_id: id, scheduled_at }).await
    }

    pub(crate) async fn command(&self, cmd: SchedulerCommandV1) -> PostingResult<()> {
        let reply = self
            .rpc
            .call::<_, CommandReplyV1>(&self.names.scheduler_rpc(), &cmd, self.settings.command_timeout)
            .await?;
        match reply {
            CommandReplyV1::Done => Ok(()),
            CommandReplyV1::NotFound => Err(PostingError::PostNotFound),
            CommandReplyV1::Conflict { detail } => Err(PostingError::Conflict(detail)),
        }
    }

    /// Decided by the scheduler, so a cancel that races the dispatch either wins (no
    /// provider call ever) or loses with a conflict.
    pub async fn cancel(&self, caller: &Caller, id: PostId) -> PostingResult<()> {
        caller.require_write()?;
        let mut conn = self.pool.get().await?;
        let post = posts::find_visible(&mut conn, &caller.scope, id, false).await?.ok_or(PostingError::PostNotFound)?;
        if post.status == PostStatus::Draft {
            return Err(PostingError::Conflict("Drafts are not canceled; delete the draft instead.".into()));
        }
        self.command(SchedulerCommandV1::Cancel { post_id: id }).await
    }

    /// A manual retry of a failed delivery (the dashboard's; the public API has none, as
    /// the contract says). The scheduler decides it, like a cancel.
    pub async fn retry(&self, caller: &Caller, id: PostId, delivery_id: DeliveryId) -> PostingResult<()> {
        caller.require_publish()?;
        let mut conn = self.pool.get().await?;
        posts::find_visible(&mut conn, &caller.scope, id, false).await?.ok_or(PostingError::PostNotFound)?;
        // The post is visible, so what the scheduler did not find is the delivery.
        match self.command(SchedulerCommandV1::RetryDelivery { post_id: id, delivery_id }).await {
            Err(PostingError::PostNotFound) => Err(PostingError::DeliveryNotFound),
            other => other,
        }
    }

    /// The soft delete of the agency surface: a post that has not started delivering is
    /// canceled (a draft is simply set aside), and the post is marked deleted. A post
    /// whose deliveries started keeps what they did: what was published stays published
    /// at the provider and in its deliveries.
    pub async fn archive(&self, caller: &Caller, id: PostId) -> PostingResult<()> {
        caller.require_write()?;
        let mut conn = self.pool.get().await?;
        let mut post =
            posts::find_visible(&mut conn, &caller.scope, id, false).await?.ok_or(PostingError::PostNotFound)?;
        if post.archived_at.is_some() {
            return Ok(());
        }
        // Just accepted, the post is the scheduler's to take: cancel it once taken, so
        // nothing is dispatched behind a deleted post's back.
        let until = std::time::Instant::now() + self.settings.command_timeout;
        while post.status == PostStatus::Pending && std::time::Instant::now() < until {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            post = posts::find_visible(&mut conn, &caller.scope, id, false).await?.ok_or(PostingError::PostNotFound)?;
        }
        if post.status == PostStatus::Pending {
            return Err(PostingError::Conflict("The post is still being accepted; delete it again shortly.".into()));
        }
        if matches!(post.status, PostStatus::Pending | PostStatus::Scheduled) && post.dispatched_at.is_none() {
            drop(conn);
            // Lost to a dispatch that began meanwhile: the post is set aside all the same.
            match self.command(SchedulerCommandV1::Cancel { post_id: id }).await {
                Ok(()) | Err(PostingError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
            conn = self.pool.get().await?;
        }
        posts::archive(&mut conn, id).await?;
        tracing::info!(post_id = %id, actor = %caller.actor, "post deleted (soft)");
        Ok(())
    }

    /// Drafts only, gone for good.
    pub async fn delete(&self, caller: &Caller, id: PostId) -> PostingResult<()> {
        caller.require_write()?;
        let mut conn = self.pool.get().await?;
        conn.transaction::<(), PostingError, _>(async |conn| {
            let post = posts::find_visible(conn, &caller.scope, id, true).await?.ok_or(PostingError::PostNotFound)?;
            if post.status != PostStatus::Draft || !posts::delete_draft(conn, id).await? {
                return Err(PostingError::Conflict(format!(
                    "Only drafts can be deleted; this post is {}.",
                    post.status
                )));
            }
            Ok(())
        })
        .await
    }

    /// Contract decision 6: drafts are editable; a scheduled post whose deliveries have
    /// not started may change its time, body, media and options (through the scheduler).
    pub async fn patch(&self, caller: &Caller, id: PostId, patch: PostPatch) -> PostingResult<()> {
        caller.require_write()?;
        let mut conn = self.pool.get().await?;
        let post = posts::find_visible(&mut conn, &caller.scope, id, false).await?.ok_or(PostingError::PostNotFound)?;
        if post.archived_at.is_some() {
            return Err(PostingError::Conflict("The post was deleted; it cannot be edited.".into()));
        }
        if post.review == Some(domain::ReviewStatus::Regenerating) {
            return Err(PostingError::Conflict(
                "The assistant is rewriting this post after a rejection; edit it once it is back in review.".into(),
            ));
        }
        if post.status == PostStatus::Scheduled {
            // A scheduled post is what goes out: a key that cannot publish alone cannot change it.
            caller.require_publish()?;
        }
        let mut staged = Staged::default();
        let result = match post.status {
            PostStatus::Draft => match self.edit_draft(&mut conn, caller, id, &patch, &mut staged).await {
                // In review, the edit is a new version and the round starts again on it.
                Ok(version) if post.review.is_some() => {
                    std::mem::take(&mut staged).keep();
                    self.command(SchedulerCommandV1::Edited { post_id: id, version }).await
                }
                other => other.map(|_| ()),
            },
            PostStatus::Scheduled => self.edit_scheduled(&mut conn, caller, id, patch, &mut staged).await,
            PostStatus::Pending => {
                Err(PostingError::Conflict("The post is still pending; it can be edited once it is scheduled.".into()))
            }
            other => Err(PostingError::Conflict(format!(
                "Only drafts and scheduled posts whose deliveries have not started can be edited; this post is {other}."
            ))),
        };
        match result {
            Ok(()) => staged.keep(),
            Err(_) => self.discard(staged).await,
        }
        result
    }

    async fn edit_draft(
        &self,
        conn: &mut store::Conn,
        caller: &Caller,
        id: PostId,
        patch: &PostPatch,
        staged: &mut Staged,
    ) -> PostingResult<i32> {
        let profiles = match &patch.profiles {
            Some(ids) => Some(check_profiles(conn, &self.profiles, caller, ids).await?),
            None => None,
        };
        let media = match &patch.media {
            Some(m) => Some(self.own_media(conn, caller, m, staged).await?),
            None => None,
        };
        let thread_media = match &patch.thread_media {
            Some(parts) => Some(self.own_thread_media(conn, caller, parts, staged).await?),
            None => None,
        };
        let options = patch.provider_options.clone().map(Value::Object);
        let bodies = patch.bodies.as_ref().map(domain::input::PostDetails::bodies_json);
        let thread = patch.thread.as_deref().map(domain::input::PostDetails::thread_json);
        conn.transaction::<i32, PostingError, _>(async |conn| {
            // The native API refuses a time on a draft (it is given when publishing); the
            // agency surface keeps the time a draft is meant for, used when it is published.
            let edit = posts::Edit {
                body: patch.body.as_ref().map(|b| b.as_deref()),
                scheduled_at: patch.scheduled_at,
                provider_options: options.as_ref(),
                hashtags: patch.hashtags.as_deref(),
                bodies: bodies.as_ref(),
                labels: patch.labels.as_deref(),
                tags: patch.tags.as_deref(),
                category: patch.category.as_ref().map(|c| c.as_deref()),
                thread: thread.as_ref(),
            };
            posts::find_visible(conn, &caller.scope, id, true).await?.ok_or(PostingError::PostNotFound)?;
            if !posts::edit(conn, id, PostStatus::Draft, edit).await? {
                return Err(PostingError::Conflict("The post left draft while it was being edited.".into()));
            }
            if let Some(p) = &profiles {
                posts::replace_deliveries(conn, id, p).await?;
            }
            if let Some(m) = &media {
                posts::replace_media(conn, id, m).await?;
            }
            if let Some(parts) = &thread_media {
                posts::replace_thread_media(conn, id, parts).await?;
            }
            let version =
                store::versions::record(conn, id, &caller.who(), true).await?.ok_or(PostingError::PostNotFound)?;
            crate::review::reanchor(conn, id).await?;
            Ok(version)
        })
        .await
    }

    async fn edit_scheduled(
        &self,
        conn: &mut store::Conn,
        caller: &Caller,
        id: PostId,
        patch: PostPatch,
        staged: &mut Staged,
    ) -> PostingResult<()> {
        if patch.profiles.is_some() {
            return Err(PostingError::Conflict(
                "The profiles of a scheduled post cannot change; cancel it and create a new post.".into(),
            ));
        }
        let media = match &patch.media {
            Some(m) => Some(self.own_media(conn, caller, m, staged).await?),
            None => None,
        };
        let thread_media = match &patch.thread_media {
            Some(parts) => Some(self.own_thread_media(conn, caller, parts, staged).await?),
            None => None,
        };
        let view = posts::get(conn, &caller.scope, id).await?.ok_or(PostingError::PostNotFound)?;
        let ids: Option<Vec<Uuid>> = media.as_ref().map(|m| m.iter().map(|(id, _)| *id).collect());
        let part_ids: Option<Vec<Vec<Uuid>>> =
            thread_media.as_ref().map(|parts| parts.iter().map(|p| p.iter().map(|(id, _)| *id).collect()).collect());
        check_edited(conn, caller, &view, &patch, ids.as_deref(), part_ids.as_deref()).await?;
        let mut details = Box::new(domain::messages::DetailsPatchV1::of(&patch));
        details.thread_media = thread_media.map(|parts| {
            parts
                .into_iter()
                .map(|p| p.into_iter().map(|(asset_id, alt)| MediaRefV1 { asset_id, alt }).collect())
                .collect()
        });
        self.command(SchedulerCommandV1::UpdateScheduled {
            post_id: id,
            details,
            body: patch.body,
            scheduled_at: patch.scheduled_at,
            provider_options: patch.provider_options,
            media: media.map(|m| m.into_iter().map(|(asset_id, alt)| MediaRefV1 { asset_id, alt }).collect()),
        })
        .await
    }
}
