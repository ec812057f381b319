//! The outbox relay: publishes committed outbox rows with confirms, then deletes them.
//! Any number of relays may run (one per service replica): rows are claimed with
//! `FOR UPDATE SKIP LOCKED`. A row is deleted only after the broker confirmed it, so a
//! crash in between publishes it again — consumers are idempotent.

use std::sync::Arc;
use std::time::Duration;

use diesel_async::AsyncConnection;
use lapin::types::ShortString;
use store::{Pool, StoreError, outbox};
use tokio::sync::Notify;

use crate::{BusError, BusHandle, client::properties};

#[derive(Debug, thiserror::Error)]
enum RelayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Bus(#[from] BusError),
}

/// Runs forever. `wake` is notified by the service after it commits an outbox row, so
/// messages leave within milliseconds; `poll` is the fallback for rows written elsewhere.
pub async fn run(pool: Pool, bus: BusHandle, wake: Arc<Notify>, poll: Duration) {
    let mut sweeper = Sweeper::default();
    loop {
        let b = bus.wait().await;
        match relay_batch(&pool, &b).await {
            // Only a full batch says more is waiting; a row committed since the batch was
            // taken has notified `wake`, whose stored permit ends the wait below at once.
            Ok(n) if n >= BATCH => {
                sweeper.sent(&pool, n).await;
                continue;
            }
            Ok(n) => sweeper.sent(&pool, n).await,
            Err(e) => {
                tracing::warn!(error = %e, "outbox relay: batch not sent; will retry");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        let _ = tokio::time::timeout(poll, wake.notified()).await;
    }
}

/// Rows a relay deletes between its vacuums of the outbox (`outbox::vacuum`).
const VACUUM_EVERY: usize = 2_000;

/// Counts what this relay deleted and vacuums the outbox after every `VACUUM_EVERY` rows.
#[derive(Default)]
struct Sweeper {
    since: usize,
}

impl Sweeper {
    async fn sent(&mut self, pool: &Pool, n: usize) {
        self.since += n;
        if self.since < VACUUM_EVERY {
            return;
        }
        self.since = 0;
        let done = match pool.get().await {
            Ok(mut conn) => outbox::vacuum(&mut conn).await,
            Err(e) => Err(e),
        };
        // Sending goes on either way; only the takes grow slower until autovacuum comes. (A
        // role that does not own the table gets a warning from PostgreSQL, not an error.)
        if let Err(e) = done {
            tracing::warn!(error = %e, "outbox relay: the outbox was not vacuumed");
        }
    }
}

/// Sends what the outbox holds now (at shutdown), for up to `within`.
pub async fn flush(pool: &Pool, bus: &BusHandle, within: Duration) {
    let work = async {
        let Some(b) = bus.get().await else { return };
        loop {
            match relay_batch(pool, &b).await {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "outbox flush stopped; the rows stay for the next relay");
                    return;
                }
            }
        }
    };
    let _ = tokio::time::timeout(within, work).await;
}

/// Rows sent per transaction.
const BATCH: usize = 200;

async fn relay_batch(pool: &Pool, bus: &crate::Bus) -> Result<usize, RelayError> {
    let mut conn = pool.get().await?;
    conn.transaction::<usize, RelayError, _>(async |conn| {
        let rows = outbox::take_batch(conn, BATCH as i64).await?;
        let retry_exchange = bus.names.retry();
        let mut in_flight = Vec::with_capacity(rows.len());
        let mut unsent = Vec::new();
        let mut first_error = None;
        for row in &rows {
            // The message continues the trace of the transaction that wrote it.
            let mut props = crate::client::with_traceparent(
                properties(&row.message_type, row.message_id)
                    .with_message_id(ShortString::from(row.message_id.to_string().as_str())),
                row.traceparent.as_deref(),
            );
            if row.exchange == retry_exchange {
                // The delay the retrying service chose; rows from before it was stored
                // take this relay's.
                let delay = row.expiration_ms.map_or(bus.config.retry_delay_ms, |ms| ms.unsigned_abs());
                props = props.with_expiration(ShortString::from(delay.to_string().as_str()));
            }
            let body = serde_json::to_vec(&row.payload).map_err(|e| BusError::Decode(e.to_string()))?;
            match bus.start_publish(&row.exchange, &row.routing_key, &body, props).await {
                Ok(confirm) => in_flight.push((row, confirm)),
                Err(e) => {
                    unsent.push(row.clone());
                    first_error.get_or_insert(e);
                }
            }
        }
        let mut sent = 0;
        for (row, confirm) in in_flight {
            match confirm.confirmed().await {
                Ok(()) => {
                    metrics::counter!("postmantis_messages_published_total").increment(1);
                    sent += 1;
                }
                // Kept (its queue may not be declared yet); the rest of the batch goes on.
                Err(e) => {
                    unsent.push(row.clone());
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            // Nothing went out: the rollback puts every row back.
            Some(e) if sent == 0 => Err(e.into()),
            _ => {
                outbox::restore(conn, &unsent).await?;
                Ok(sent)
            }
        }
    })
    .await
}

/// An event as an outbox row, for a statement that writes it along with other rows.
pub fn event_row<E: domain::messages::Event>(
    names: &crate::Names,
    event: &E,
) -> Result<outbox::NewOutboxRow, StoreError> {
    let exchange = names.events();
    outbox::Outgoing {
        exchange: &exchange,
        routing_key: E::ROUTING_KEY,
        message_type: E::TYPE,
        payload: event,
        not_before: None,
        traceparent: telemetry::current_traceparent(),
        expiration: None,
    }
    .prepare()
}

/// Enqueues an event in the caller's transaction.
pub async fn enqueue_event<E: domain::messages::Event>(
    conn: &mut store::Conn,
    names: &crate::Names,
    event: &E,
) -> Result<(), StoreError> {
    outbox::push_all(conn, &[event_row(names, event)?]).await
}

/// When a delivery task should run.
pub enum When {
    Now,
    /// After this delay (the message's expiration in the retry-wait queue): the retrying
    /// service's own setting, whichever service's relay sends the message.
    After(std::time::Duration),
    /// Not before this time (held in the outbox until then).
    At(chrono::DateTime<chrono::Utc>),
}

/// A delivery task as an outbox row (for a batch written in one statement).
pub fn delivery_row(
    names: &crate::Names,
    task: &domain::messages::DeliveryRequestedV1,
    when: When,
) -> Result<outbox::NewOutboxRow, StoreError> {
    use domain::messages::Message;
    let (exchange, not_before, expiration) = match when {
        When::Now => (names.deliveries(), None, None),
        When::After(delay) => (names.retry(), None, Some(delay)),
        When::At(t) => (names.deliveries(), Some(t), None),
    };
    outbox::Outgoing {
        exchange: &exchange,
        routing_key: task.provider.as_str(),
        message_type: domain::messages::DeliveryRequestedV1::TYPE,
        payload: task,
        not_before,
        traceparent: telemetry::current_traceparent(),
        expiration,
    }
    .prepare()
}

/// Enqueues a delivery task in the caller's transaction.
pub async fn enqueue_delivery(
    conn: &mut store::Conn,
    names: &crate::Names,
    task: &domain::messages::DeliveryRequestedV1,
    when: When,
) -> Result<(), StoreError> {
    outbox::push_all(conn, &[delivery_row(names, task, when)?]).await
}

/// Enqueues a webhook send, now or not before `at`.
pub async fn enqueue_webhook(
    conn: &mut store::Conn,
    names: &crate::Names,
    msg: &domain::messages::WebhookRequestedV1,
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), StoreError> {
    use domain::messages::Message;
    let exchange = names.webhooks();
    outbox::push(
        conn,
        outbox::Outgoing {
            exchange: &exchange,
            routing_key: "send",
            message_type: domain::messages::WebhookRequestedV1::TYPE,
            payload: msg,
            not_before: at,
            traceparent: telemetry::current_traceparent(),
            expiration: None,
        },
    )
    .await
    .map(|_| ())
}
