//! A delivery of several parts: a thread (each part a reply to the one before) or a post
//! and its first comment. Still one delivery, settled once; within it each part is sent
//! only after the one before is recorded (`store::parts`), so a later attempt resumes
//! after the last recorded part and never sends an earlier one again. Only the first part
//! a run sends can have been sent by an earlier run whose answer was lost: that one part
//! is looked up (or replayed by its idempotency key) before it is sent again.

use chrono::Utc;
use domain::messages::DeliveryRequestedV1;
use posting::provider_request::{LaterPart, part_request};
use providers::{PartKind, ProviderError, PublishRequest, Published};
use store::parts::PartRow;

use crate::app::Ctx;

/// Every part of the delivery public, within one publish deadline (so the attempt's calls
/// have surely ended when `Ctx::attempt_bound` says). The answer is the post (part 0).
pub async fn publish_within(
    ctx: &Ctx,
    t: &DeliveryRequestedV1,
    post: &PublishRequest,
    later: &[LaterPart],
    over_budget: bool,
) -> Result<Published, ProviderError> {
    match tokio::time::timeout(ctx.publish_deadline(), publish(ctx, t, post, later, over_budget)).await {
        Ok(r) => r,
        Err(_) => Err(ProviderError::Retryable(format!(
            "{} did not finish the parts within {} ms; the next attempt resumes after the last one recorded",
            post.provider.display_name(),
            ctx.publish_deadline().as_millis()
        ))),
    }
}

fn db(e: impl std::fmt::Display) -> ProviderError {
    // A part may have been made and not recorded: the next attempt looks for it.
    ProviderError::Retryable(format!("the part could not be recorded: {e}"))
}

async fn publish(
    ctx: &Ctx,
    t: &DeliveryRequestedV1,
    post: &PublishRequest,
    later: &[LaterPart],
    over_budget: bool,
) -> Result<Published, ProviderError> {
    let total = later.len() + 1;
    let mut done = {
        let mut conn = ctx.pool.get().await.map_err(db)?;
        store::parts::of(&mut conn, t.delivery_id).await.map_err(db)?
    };
    // Parts are recorded in order; anything past a gap is not trusted.
    let contiguous = done.iter().enumerate().take_while(|(i, p)| usize::try_from(p.part).ok() == Some(*i)).count();
    done.truncate(contiguous);
    let mut recovered = false;
    for index in done.len()..total {
        let mut req = match (done.first(), done.last()) {
            (Some(root), Some(parent)) => {
                let index16 = u16::try_from(index).unwrap_or(u16::MAX);
                part_request(post, index16, &later[index - 1], &published(root), &published(parent))
            }
            _ => post.clone(),
        };
        // Only the first part this run sends can have been sent before; it must never be
        // taken for one of this delivery's own earlier parts.
        req.recovery = match index == done.len() {
            true => post.recovery.clone().map(|mut r| {
                r.taken.extend(done.iter().map(|p| p.provider_post_id.clone()));
                r
            }),
            false => None,
        };
        let made = match over_budget {
            true => crate::deliver::find_only(ctx, &req, t).await,
            false => ctx.providers.publish(&req).await,
        };
        let made = made.map_err(|e| progress(e, &done, total, later))?;
        let row = PartRow {
            delivery_id: t.delivery_id,
            part: i16::try_from(index).unwrap_or(i16::MAX),
            kind: match index {
                0 => "post".to_owned(),
                _ => later[index - 1].kind.as_str().to_owned(),
            },
            provider: t.provider,
            provider_post_id: made.provider_post_id.clone(),
            url: made.url.clone(),
            attempt: t.attempt,
            recovered: made.recovered,
            published_at: Utc::now(),
        };
        let mut conn = ctx.pool.get().await.map_err(db)?;
        match store::parts::record(&mut conn, &row).await {
            Ok(()) => {}
            Err(e) if e.is_unique_violation("delivery_parts_one_owner") => {
                metrics::counter!("postmantis_adoptions_refused_total", "provider" => t.provider.as_str()).increment(1);
                let why = format!("the post found for part {} belongs to another delivery; not taking it", index + 1);
                return Err(progress(ProviderError::Retryable(why), &done, total, later));
            }
            Err(e) => return Err(progress(db(e), &done, total, later)),
        }
        tracing::info!(delivery_id = %t.delivery_id, part = index + 1, of = total, recovered = made.recovered, "part public");
        recovered |= made.recovered;
        done.push(row);
        // Past the budget only the part in doubt is looked for; nothing new is sent.
        if over_budget && done.len() < total {
            let why = format!("not sending the remaining parts after {} attempts", t.round_attempts() - 1);
            return Err(progress(ProviderError::Rejected(why), &done, total, later));
        }
    }
    let root = done.first().map(published).ok_or_else(|| ProviderError::Retryable("no part was recorded".into()))?;
    Ok(Published { recovered, ..root })
}

fn published(p: &PartRow) -> Published {
    Published::new(p.provider_post_id.clone(), p.url.clone())
}

/// The failure of one part, saying which parts are public (with their links) so the user
/// sees exactly what is out there.
fn progress(e: ProviderError, done: &[PartRow], total: usize, later: &[LaterPart]) -> ProviderError {
    if done.is_empty() {
        return e;
    }
    let next = done.len() + 1;
    let what = match later.get(done.len() - 1).map(|p| p.kind) {
        Some(PartKind::Comment) => format!("part {next} (the first comment)"),
        _ => format!("part {next}"),
    };
    let links: Vec<&str> = done.iter().map(|p| p.url.as_str()).collect();
    let say = |m: String| format!("posted {} of {total} parts ({}); {what} failed: {m}", done.len(), links.join(", "));
    match e {
        ProviderError::Rejected(m) => ProviderError::Rejected(say(m)),
        ProviderError::Retryable(m) => ProviderError::Retryable(say(m)),
        ProviderError::Unauthorized(m) => ProviderError::Unauthorized(say(m)),
        ProviderError::RateLimited { message, retry_after } => {
            ProviderError::RateLimited { message: say(message), retry_after }
        }
    }
}
