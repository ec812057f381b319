use bus::{
    Handled, Incoming,
    relay::{When, enqueue_delivery},
};
use chrono::{DateTime, Utc};
use domain::{DeliveryStatus, PostStatus, ProfileStatus, messages::DeliveryRequestedV1};
use providers::recover::Recovery;
use providers::{ProviderError, Published};
use store::{
    StoreError,
    deliveries::{self, Claim},
    limits,
};

use crate::{
    app::Ctx,
    transitions::{self, Outcome},
};

pub async fn handle(ctx: &Ctx, m: Incoming) -> Handled {
    let task = match m.decode::<DeliveryRequestedV1>() {
        Ok(t) => t,
        Err(e) => return Handled::Poison(e.to_string()),
    };
    match deliver(ctx, &task).await {
        Ok(()) => Handled::Ack,
        Err(e) => Handled::Retry(e.to_string()),
    }
}

/// One publish (all its requests) within the worker's deadline, so that an attempt's
/// calls have surely ended `Ctx::attempt_bound` after it started.
async fn publish_within(ctx: &Ctx, req: &providers::PublishRequest) -> Result<Published, ProviderError> {
    match tokio::time::timeout(ctx.publish_deadline(), ctx.providers.publish(req)).await {
        Ok(r) => r,
        Err(_) => Err(ProviderError::Retryable(format!(
            "{} did not finish within {} ms",
            req.provider.display_name(),
            ctx.publish_deadline().as_millis()
        ))),
    }
}

/// The attempt's calls: the one publish (or, past the budget, the look-up alone), or for a
/// delivery of several parts, each part not yet recorded.
async fn attempt(
    ctx: &Ctx,
    req: &providers::PublishRequest,
    t: &DeliveryRequestedV1,
    later: &[posting::provider_request::LaterPart],
    over_budget: bool,
) -> Result<Published, ProviderError> {
    match (later.is_empty(), over_budget) {
        (true, true) => find_only(ctx, req, t).await,
        (true, false) => publish_within(ctx, req).await,
        (false, _) => crate::parts::publish_within(ctx, t, req, later, over_budget).await,
    }
}

/// Re-enqueues the same attempt for later, without counting it (a cap or a hold).
async fn defer(ctx: &Ctx, t: &DeliveryRequestedV1, at: DateTime<Utc>) -> Result<(), StoreError> {
    let mut conn = ctx.pool.get().await?;
    enqueue_delivery(&mut conn, &ctx.names, t, When::At(at)).await?;
    ctx.relay_wake.notify_one();
    Ok(())
}

fn bound(ctx: &Ctx) -> chrono::Duration {
    chrono::Duration::from_std(ctx.attempt_bound()).unwrap_or_default()
}

/// The look-up alone, for an attempt past the budget: found, or failed for good.
pub(crate) async fn find_only(
    ctx: &Ctx,
    req: &providers::PublishRequest,
    t: &DeliveryRequestedV1,
) -> Result<Published, ProviderError> {
    match tokio::time::timeout(ctx.publish_deadline(), ctx.providers.find(req)).await {
        Ok(Ok(Some(p))) => Ok(p),
        Ok(Ok(None)) => Err(ProviderError::Rejected(format!(
            "the run of attempt {} stopped before it ended and no post of it was found on {}; not publishing again after {} attempts",
            t.attempt - 1,
            t.provider.display_name(),
            t.round_attempts() - 1
        ))),
        Ok(Err(e)) => Err(ProviderError::Rejected(format!(
            "the outcome of the last attempt is unknown and the look-up failed: {e}"
        ))),
        Err(_) => Err(ProviderError::Rejected(
            "the outcome of the last attempt is unknown and the look-up did not finish".into(),
        )),
    }
}

/// The caps' slots given back after an error that stops the delivery before its settle
/// (which would have given them back): the error is what the caller reports; a failed
/// release only waits for the leases' expiry.
async fn give_back(conn: &mut store::Conn, held: &limits::Held, e: StoreError) -> StoreError {
    if let Err(release) = limits::release(conn, held).await {
        tracing::warn!(error = %release, "the caps' slots could not be given back; they expire on their own");
    }
    e
}

/// `give_back` after a settle failed (and the release written with it was rolled back).
async fn give_back_after(ctx: &Ctx, held: Option<&limits::Held>, e: StoreError) -> StoreError {
    let Some(held) = held else { return e };
    match ctx.pool.get().await {
        Ok(mut conn) => give_back(&mut conn, held, e).await,
        Err(_) => e,
    }
}

/// The profile's and the provider's cap slots for this call, or none; a profile cap this
/// process's own calls fill is full without a look at the leases.
async fn take_slots(
    ctx: &Ctx,
    conn: &mut store::Conn,
    caps: limits::Caps,
    t: &DeliveryRequestedV1,
    profile: domain::ProfileId,
    lease_ms: i64,
) -> Result<Option<limits::Held>, StoreError> {
    if ctx.turns.full_here(profile, caps.profile_concurrency) {
        return Ok(None);
    }
    limits::acquire(conn, caps, t.provider.as_str(), profile, lease_ms).await
}

/// The profile's cap stayed full: the delivery comes back at its turn.
async fn later_turn(
    ctx: &Ctx,
    t: &DeliveryRequestedV1,
    profile: domain::ProfileId,
    caps: limits::Caps,
) -> Result<(), StoreError> {
    metrics::counter!("postmantis_delivery_cap_full_total", "provider" => t.provider.as_str()).increment(1);
    defer(ctx, t, ctx.turns.next_turn(profile, caps.profile_concurrency, Utc::now())).await
}

/// Why a claimed task makes no call now.
enum NoCall {
    /// A copy of a finished or superseded attempt: acked.
    Stale,
    /// Another run of this delivery may still be in flight until then.
    Busy(DateTime<Utc>),
}

/// Claims the attempt and builds its request. `t` becomes the attempt actually made (one
/// past the message's when the message's own run never finished).
async fn prepare(
    ctx: &Ctx,
    conn: &mut store::Conn,
    t: &mut DeliveryRequestedV1,
    task: &deliveries::Task,
) -> Result<Result<(providers::PublishRequest, Vec<posting::provider_request::LaterPart>), NoCall>, StoreError> {
    let (number, since, after_unknown) = match deliveries::claim_attempt(conn, t.delivery_id, t.attempt, bound(ctx))
        .await?
    {
        Claim::Claimed { number, since, after_unknown } => (number, since, after_unknown),
        Claim::Stale => {
            tracing::info!(delivery_id = %t.delivery_id, attempt = t.attempt, "a copy of a finished attempt: acked without a call");
            metrics::counter!("postmantis_stale_delivery_tasks_total", "provider" => t.provider.as_str()).increment(1);
            return Ok(Err(NoCall::Stale));
        }
        Claim::Busy(until) => return Ok(Err(NoCall::Busy(until))),
    };
    if number != t.attempt {
        tracing::warn!(delivery_id = %t.delivery_id, attempt = t.attempt, "attempt {} never finished; its outcome is unknown, continuing as attempt {number}", t.attempt);
        t.attempt = number;
    }
    let recovery = match after_unknown {
        true => {
            let from = since - chrono::Duration::minutes(1);
            let mut taken = deliveries::taken_post_ids(conn, task.profile.id, t.delivery_id, from).await?;
            taken.extend(store::parts::taken_by_others(conn, task.profile.id, t.delivery_id, from).await?);
            Some(Recovery { since, taken: taken.into_iter().collect() })
        }
        false => None,
    };
    crate::request::build(ctx, conn, t, task, recovery).await.map(Ok)
}

async fn deliver(ctx: &Ctx, task_msg: &DeliveryRequestedV1) -> Result<(), StoreError> {
    let mut t = task_msg.clone();
    let started = std::time::Instant::now();
    let mut provider_ms = 0u128;
    let mut conn = ctx.pool.get().await?;
    let Some(mut task) = deliveries::load_task(&mut conn, t.delivery_id).await? else {
        return Ok(()); // the post is gone (a deleted draft never has tasks): nothing to do
    };
    // A manual retry: the failed delivery becomes pending again here, by its owner.
    if t.reopen && task.delivery.status == DeliveryStatus::Failed {
        if !transitions::reopen_for_retry(&mut conn, &t).await? {
            tracing::info!(delivery_id = %t.delivery_id, attempt = t.attempt, "a copy of a finished manual retry: no call");
            return Ok(());
        }
        let Some(reopened) = deliveries::load_task(&mut conn, t.delivery_id).await? else { return Ok(()) };
        task = reopened;
    }
    // Duplicates and stale tasks end here, before any provider call.
    if task.delivery.status != DeliveryStatus::Pending
        || task.post.dispatched_at.is_none()
        || task.post.status != PostStatus::Scheduled
    {
        tracing::info!(delivery_id = %t.delivery_id, status = %task.delivery.status, "task needs no call");
        return Ok(());
    }
    let profile_status = task.profile.status;
    // This call's place in the profile's cap, as the turns count it: kept until the
    // function returns, after the settle that gives the slot back.
    let mut _in_turns = None;
    // The caps' slots, when a call was made: given back by the settle itself.
    let (outcome, held) = if profile_status != ProfileStatus::Active {
        let failed = Outcome::Failed(match profile_status {
            ProfileStatus::Disconnected => {
                format!("The profile \u{201c}{}\u{201d} was disconnected before delivery.", task.profile.name)
            }
            _ => format!("The profile \u{201c}{}\u{201d} needs to be reconnected in the dashboard.", task.profile.name),
        });
        (failed, None)
    } else {
        // A 429 put the profile on hold: come back then, without spending an attempt.
        if let Some(until) = task.profile.not_before.filter(|t| *t > Utc::now()) {
            drop(conn);
            return defer(ctx, &t, until).await;
        }
        // A run of this delivery may still be in flight (a worker that lost its broker
        // connection and got the message requeued, or died with the request on the
        // wire): a look-up before that call must have ended could miss it and post
        // twice, so come back once it has. Checked here without holding a cap; the claim
        // below decides it atomically. A first attempt skips the look: a copy of it in
        // flight is rare, and the claim finds it then (the cap is given back).
        let look = t.attempt > 1 || t.reopen;
        if let Some(started) =
            if look { deliveries::unfinished_attempt_started(&mut conn, t.delivery_id, t.attempt).await? } else { None }
        {
            let ended_by = started + bound(ctx);
            if ended_by > Utc::now() {
                drop(conn);
                tracing::info!(delivery_id = %t.delivery_id, attempt = t.attempt, %ended_by, "an earlier run of this attempt may still be in flight; waiting");
                return defer(ctx, &t, ended_by).await;
            }
        }
        let caps = ctx.config.limits.caps(t.provider.as_str());
        let lease_ms = ctx.config.providers.timeout_ms as i64 + 30_000;
        let profile = task.profile.id;
        let mut acquired = take_slots(ctx, &mut conn, caps, &t, profile, lease_ms).await?;
        if acquired.is_none() {
            // No connection is held while waiting for a slot.
            drop(conn);
            if !ctx.turns.wait_for_slot(profile, caps.profile_concurrency).await {
                return later_turn(ctx, &t, profile, caps).await;
            }
            conn = ctx.pool.get().await?;
            acquired = take_slots(ctx, &mut conn, caps, &t, profile, lease_ms).await?;
        }
        let Some(held) = acquired else {
            drop(conn);
            return later_turn(ctx, &t, profile, caps).await;
        };
        _in_turns = Some(ctx.turns.hold(profile));
        // Everything between taking the cap and the call: the slot is given back in one
        // place whatever comes of it.
        let (req, later) = match prepare(ctx, &mut conn, &mut t, &task).await {
            Ok(Ok(built)) => built,
            no_call => {
                limits::release(&mut conn, &held).await?;
                return match no_call {
                    Err(e) => Err(e),
                    Ok(Err(NoCall::Busy(until))) => {
                        drop(conn);
                        defer(ctx, &t, until).await
                    }
                    Ok(_) => Ok(()),
                };
            }
        };
        // No database connection is held across the provider call.
        drop(conn);
        let call = std::time::Instant::now();
        // Every attempt is one publish call at most: past the budget (the last attempt's
        // run never finished), only a look-up.
        let over_budget = t.round_attempts() > ctx.config.max_attempts;
        let mut result = attempt(ctx, &req, &t, &later, over_budget).await;
        let mut conn = ctx.pool.get().await?;
        // A refused token is refreshed once and the call made again with the new one.
        let mut refresh_failed = None;
        if let Err(ProviderError::Unauthorized(_)) = &result {
            match credentials::refresh(&ctx.tokens, &mut conn, &task.profile).await {
                Ok(credentials::Refreshed::Token(fresh)) => {
                    let mut again = req.clone();
                    again.account.access_token = Some(fresh);
                    result = attempt(ctx, &again, &t, &later, over_budget).await;
                }
                Ok(credentials::Refreshed::Dead(why)) => refresh_failed = Some(why),
                Ok(credentials::Refreshed::Later(why)) => result = Err(ProviderError::Retryable(why)),
                Err(e) => return Err(give_back(&mut conn, &held, e).await),
            }
        }
        provider_ms = call.elapsed().as_millis();
        metrics::histogram!("postmantis_provider_call_seconds", "provider" => t.provider.as_str())
            .record(call.elapsed().as_secs_f64());
        let last = t.round_attempts() >= ctx.config.max_attempts;
        let outcome = match result {
            Ok(p) => Outcome::Published(p),
            Err(ProviderError::Rejected(msg)) => Outcome::Failed(msg),
            Err(ProviderError::Unauthorized(msg)) => {
                if let Err(e) = store::profiles::require_reauth(&mut conn, task.profile.id).await {
                    return Err(give_back(&mut conn, &held, e).await);
                }
                Outcome::Failed(match refresh_failed {
                    Some(why) => format!(
                        "{} refused the profile \u{201c}{}\u{201d} and its authorization could not be renewed ({why}); reconnect the profile in the dashboard",
                        t.provider.display_name(),
                        task.profile.name
                    ),
                    None => msg,
                })
            }
            Err(ProviderError::RateLimited { message, retry_after }) => {
                let wait =
                    retry_after.unwrap_or(std::time::Duration::from_millis(ctx.config.common.bus.retry_delay_ms));
                let until = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                if let Err(e) = store::profiles::hold_until(&mut conn, task.profile.id, until).await {
                    return Err(give_back(&mut conn, &held, e).await);
                }
                if last {
                    Outcome::Failed(format!("{message} (gave up after {} attempts)", t.round_attempts()))
                } else {
                    Outcome::RetryAt(message, until)
                }
            }
            Err(e) if !last => Outcome::RetryLater(e.to_string()),
            Err(e) => Outcome::Failed(format!("{e} (gave up after {} attempts)", t.round_attempts())),
        };
        (outcome, Some(held))
    };
    let outcome_name = match &outcome {
        Outcome::Published(_) => "published",
        Outcome::Failed(_) => "failed",
        Outcome::RetryLater(_) | Outcome::RetryAt(..) => "retry_later",
    };
    let (workspace_id, profile_id) = (task.post.workspace_id, task.profile.id);
    let answers = task.reply.as_ref().and_then(|r| r.item_id);
    let held = held.as_ref();
    match transitions::settle(ctx, &t, workspace_id, profile_id, answers, held, outcome).await {
        // The post found is another delivery's (the unique index refused the second
        // owner): never settle on it; the next attempt looks again, without it.
        Err(e) if e.is_unique_violation("deliveries_one_owner_per_provider_post") => {
            tracing::error!(delivery_id = %t.delivery_id, attempt = t.attempt, "the provider post found is already another delivery's; not taking it");
            metrics::counter!("postmantis_adoptions_refused_total", "provider" => t.provider.as_str()).increment(1);
            let why = "the post found belongs to another delivery".to_owned();
            let again = match t.round_attempts() >= ctx.config.max_attempts {
                true => Outcome::Failed(format!("{why} (gave up after {} attempts)", t.round_attempts())),
                false => Outcome::RetryLater(why),
            };
            if let Err(e) = transitions::settle(ctx, &t, workspace_id, profile_id, answers, held, again).await {
                return Err(give_back_after(ctx, held, e).await);
            }
        }
        Err(e) => return Err(give_back_after(ctx, held, e).await),
        Ok(()) => {}
    }
    metrics::counter!("postmantis_delivery_attempts_total", "provider" => t.provider.as_str(), "outcome" => outcome_name).increment(1);
    if outcome_name != "retry_later" {
        metrics::counter!("postmantis_deliveries_total", "provider" => t.provider.as_str(), "outcome" => outcome_name)
            .increment(1);
    }
    tracing::info!(
        delivery_id = %t.delivery_id,
        provider = %t.provider,
        attempt = t.attempt,
        outcome = outcome_name,
        provider_ms,
        total_ms = started.elapsed().as_millis(),
        "delivery handled"
    );
    Ok(())
}
