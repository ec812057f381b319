//! The time gate. PostgreSQL is the source of truth: the dispatcher sleeps until the
//! earliest due post (or a wake-up, or the poll interval), then claims every due post in
//! one transaction that also enqueues its delivery tasks. Replicas may run side by side:
//! a claim is a conditional UPDATE under `FOR UPDATE SKIP LOCKED`, so each post is
//! dispatched once, and it can never pass a committed cancel.

use std::sync::Arc;
use std::time::Duration;

use bus::relay::{When, delivery_row};
use chrono::Utc;
use diesel_async::AsyncConnection;
use domain::messages::DeliveryRequestedV1;
use store::{StoreError, posts};

use crate::{app::Ctx, config::Config};

/// How long before a post is due the dispatcher takes a connection and opens the
/// transaction that claims it. Under a full CPU (a burst's deliveries) each round trip
/// waits for both processes to be scheduled; at the due time only the claim is left,
/// one round trip where there were three (checkout, BEGIN, claim).
const READY_AHEAD: Duration = Duration::from_millis(25);

/// `pool`: the dispatcher's own connection (`store::connect_claim_pool`).
pub async fn run(ctx: Arc<Ctx>, pool: store::Pool, config: Config) {
    let poll = Duration::from_millis(config.dispatch_poll_ms);
    let mut due_at = None;
    loop {
        let next = match tick(&ctx, &pool, config.dispatch_batch, due_at.take()).await {
            Ok(Tick::More) => continue,
            // The floor keeps a due post that another replica holds locked from spinning us.
            Ok(Tick::NextIn(d)) => d.max(Duration::from_millis(2)),
            Err(e) => {
                tracing::warn!(error = %e, "dispatch failed; retrying");
                Duration::from_millis(500)
            }
        };
        // Near a due post, sleep only until just before it; the next tick waits the rest
        // inside its open transaction.
        let sleep_for = if next <= poll {
            due_at = Some(tokio::time::Instant::now() + next);
            next.saturating_sub(READY_AHEAD)
        } else {
            poll
        };
        if sleep_for.is_zero() {
            continue;
        }
        ctx.dispatch_wake.sleeping_until(Utc::now() + chrono::TimeDelta::from_std(sleep_for).unwrap_or_default());
        if tokio::time::timeout(sleep_for, ctx.dispatch_wake.notify.notified()).await.is_ok() {
            // Woken: something may be due before the planned post.
            due_at = None;
        }
        ctx.dispatch_wake.looking();
    }
}

/// Wakes the dispatcher. A post scheduled for after the dispatcher's next look needs no
/// wake-up (it will be seen then): under a stream of posts scheduled ahead, each one
/// woke a claim that found nothing due (five statements a post in S1a).
pub struct Wake {
    notify: tokio::sync::Notify,
    /// When the dispatcher looks again anyway (unix ms); `i64::MAX` while it is looking,
    /// so that a post committed meanwhile, which its look may have missed, wakes it.
    look_by_ms: std::sync::atomic::AtomicI64,
}

impl Default for Wake {
    fn default() -> Self {
        Self { notify: tokio::sync::Notify::new(), look_by_ms: std::sync::atomic::AtomicI64::new(i64::MAX) }
    }
}

impl Wake {
    /// Something may be due sooner: look again now.
    pub fn notify_one(&self) {
        self.notify.notify_one();
    }

    /// A post became scheduled for `at` (`None`: now).
    pub fn scheduled_for(&self, at: Option<chrono::DateTime<Utc>>) {
        let look_by = self.look_by_ms.load(std::sync::atomic::Ordering::SeqCst);
        if at.is_none_or(|at| at.timestamp_millis() < look_by) {
            self.notify.notify_one();
        }
    }

    fn sleeping_until(&self, at: chrono::DateTime<Utc>) {
        self.look_by_ms.store(at.timestamp_millis(), std::sync::atomic::Ordering::SeqCst);
    }

    fn looking(&self) {
        self.look_by_ms.store(i64::MAX, std::sync::atomic::Ordering::SeqCst);
    }
}

enum Tick {
    /// A full batch was claimed: look again at once.
    More,
    NextIn(Duration),
}

/// Claims what is due. `due_at`: a post falls due then, soon; the transaction is opened
/// first and the claim waits for that instant (or for a wake-up: something sooner).
async fn tick(
    ctx: &Ctx,
    pool: &store::Pool,
    batch: i64,
    due_at: Option<tokio::time::Instant>,
) -> Result<Tick, StoreError> {
    let mut conn = pool.get().await?;
    let claimed = conn
        .transaction::<usize, StoreError, _>(async |conn| {
            if let Some(at) = due_at {
                ctx.dispatch_wake.sleeping_until(
                    Utc::now()
                        + chrono::TimeDelta::from_std(at.saturating_duration_since(tokio::time::Instant::now()))
                            .unwrap_or_default(),
                );
                let _ = tokio::time::timeout_at(at, ctx.dispatch_wake.notify.notified()).await;
                ctx.dispatch_wake.looking();
            }
            let due = store::transitions::posts::claim_due(conn, batch).await?;
            let mut tasks = Vec::new();
            for (post, deliveries) in &due {
                let lateness = post.scheduled_at.map(|t| (Utc::now() - t).num_milliseconds());
                if let Some(ms) = lateness {
                    // Actual dispatch − scheduled_at, for posts that waited for a time.
                    metrics::histogram!("postmantis_dispatch_lateness_seconds").record(ms.max(0) as f64 / 1000.0);
                }
                metrics::counter!("postmantis_posts_dispatched_total").increment(1);
                tracing::info!(post_id = %post.id, deliveries = deliveries.len(), lateness_ms = ?lateness, "dispatching");
                // The delivery tasks continue the trace of the request that accepted the post.
                let span = tracing::info_span!("dispatch", post_id = %post.id, trace_id = tracing::field::Empty);
                telemetry::continue_trace(&span, post.traceparent.as_deref());
                let _entered = span.enter();
                for d in deliveries {
                    let task = DeliveryRequestedV1::first(d.id, post.id, d.provider, 1);
                    tasks.push(delivery_row(&ctx.names, &task, When::Now)?);
                }
            }
            // The whole batch's tasks in one statement (a burst of due posts is thousands).
            store::outbox::push_all(conn, &tasks).await?;
            Ok(due.len())
        })
        .await?;
    if claimed > 0 {
        ctx.relay_wake.notify_one();
        if claimed as i64 >= batch {
            return Ok(Tick::More);
        }
    }
    let next = posts::next_due(&mut conn).await?;
    Ok(Tick::NextIn(match next {
        None => Duration::from_secs(3600),
        Some(None) => Duration::ZERO,
        Some(Some(at)) => (at - Utc::now()).to_std().unwrap_or(Duration::ZERO),
    }))
}
