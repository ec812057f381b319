use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicAckOptions, BasicNackOptions};
use lapin::types::{AMQPValue, ShortString};

use crate::{Bus, BusHandle, Incoming, Lifecycle};

/// How many times a message was handed back after its handler failed (our own count:
/// classic queues keep none).
const TRIES_HEADER: &str = "x-postmantis-tries";

/// What a handler decided; the message is acknowledged only after its work committed.
pub enum Handled {
    /// Done (or nothing to do): ack.
    Ack,
    /// A passing fault (database down…): requeue and try again.
    Retry(String),
    /// Can never succeed (undecodable…): parked in the dead queue.
    Poison(String),
}

fn tries(incoming: &Incoming) -> u32 {
    let headers = incoming.delivery.properties.headers().as_ref();
    match headers.and_then(|h| h.inner().get(TRIES_HEADER)) {
        Some(AMQPValue::LongUInt(n)) => *n,
        Some(AMQPValue::LongLongInt(n)) => u32::try_from(*n).unwrap_or(u32::MAX),
        Some(AMQPValue::LongInt(n)) => u32::try_from(*n).unwrap_or(0),
        _ => 0,
    }
}

/// The message again, with `headers` changed, sent straight to `queue` (the default
/// exchange routes by queue name) and confirmed.
async fn send_copy(
    bus: &Bus,
    exchange: &str,
    routing_key: &str,
    incoming: &Incoming,
    set: &[(&str, AMQPValue)],
) -> Result<(), crate::BusError> {
    let props = incoming.delivery.properties.clone();
    let mut headers = props.headers().clone().unwrap_or_default();
    for (k, v) in set {
        headers.insert(ShortString::from(*k), v.clone());
    }
    bus.publish_raw(exchange, routing_key, &incoming.delivery.data, props.with_headers(headers)).await
}

/// Parks a message in the dead queue with why, then acks it: nothing is lost, nothing
/// loops. Falls back to a requeue when the broker cannot take the copy.
async fn park(bus: &BusHandle, queue: &str, incoming: &Incoming, why: &str) -> Result<bool, lapin::Error> {
    let acker = incoming.delivery.acker.clone();
    let copied = match bus.get().await {
        Some(b) => {
            let dead = b.names.dead();
            let set = [
                ("x-postmantis-dead-queue", AMQPValue::LongString(queue.into())),
                ("x-postmantis-dead-reason", AMQPValue::LongString(why.into())),
            ];
            send_copy(&b, &dead, "", incoming, &set).await.is_ok()
        }
        None => false,
    };
    if copied {
        metrics::counter!("postmantis_messages_dead_lettered_total", "queue" => queue.to_owned()).increment(1);
        acker.ack(BasicAckOptions::default()).await
    } else {
        tokio::time::sleep(Duration::from_millis(500)).await;
        acker.nack(BasicNackOptions { requeue: true, ..Default::default() }).await
    }
}

/// Hands a failed message back for another try, counting tries: a copy with the count
/// goes to the back of the queue, after a pause that grows with the count; past
/// `max_redeliveries` it is parked instead.
async fn try_again(bus: &BusHandle, queue: &str, incoming: &Incoming, why: &str) -> Result<bool, lapin::Error> {
    let n = tries(incoming) + 1;
    let Some(b) = bus.get().await else {
        tokio::time::sleep(Duration::from_millis(500)).await;
        return incoming.delivery.acker.nack(BasicNackOptions { requeue: true, ..Default::default() }).await;
    };
    if n > b.config.max_redeliveries {
        tracing::error!(%queue, tries = n, %why, "a message kept failing; parked in the dead queue");
        return park(bus, queue, incoming, &format!("failed {n} times; last: {why}")).await;
    }
    tokio::time::sleep(Duration::from_millis(250u64.saturating_mul(1 << n.min(6)))).await;
    match send_copy(&b, "", queue, incoming, &[(TRIES_HEADER, AMQPValue::LongUInt(n))]).await {
        Ok(()) => incoming.delivery.acker.ack(BasicAckOptions::default()).await,
        Err(_) => incoming.delivery.acker.nack(BasicNackOptions { requeue: true, ..Default::default() }).await,
    }
}

/// Consumes `queue` for as long as the process lives, across reconnects. Up to
/// `prefetch` messages are handled at once, each on its own task.
pub async fn consume_forever<F, Fut>(bus: BusHandle, queue: String, prefetch: u16, life: Lifecycle, handler: F)
where
    F: Fn(Incoming) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Handled> + Send + 'static,
{
    let handler = Arc::new(handler);
    loop {
        let b = tokio::select! {
            b = bus.wait() => b,
            _ = life.stop.cancelled() => return,
        };
        let (channel, mut consumer) = match b.consume(&queue, prefetch).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(%queue, error = %e, "cannot consume; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        tracing::info!(%queue, "consuming");
        loop {
            let next = tokio::select! {
                n = consumer.next() => n,
                _ = life.stop.cancelled() => {
                    // The broker sends nothing more; what it sent but we did not start is
                    // requeued when the channel closes. Started handlers still ack.
                    let tag = consumer.tag();
                    let _ = channel.basic_cancel(tag, lapin::options::BasicCancelOptions::default()).await;
                    life.in_flight.close();
                    life.in_flight.wait().await;
                    return;
                }
            };
            let Some(next) = next else { break };
            let delivery = match next {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(%queue, error = %e, "consumer stream failed");
                    break;
                }
            };
            let handler = handler.clone();
            let queue = queue.clone();
            metrics::counter!("postmantis_messages_consumed_total", "queue" => queue.clone()).increment(1);
            if delivery.redelivered {
                metrics::counter!("postmantis_messages_redelivered_total", "queue" => queue.clone()).increment(1);
            }
            let incoming = Incoming { delivery: Arc::new(delivery) };
            // Each message is handled in a span that continues the sender's trace.
            let span = tracing::info_span!(
                "message",
                otel.name = %format!("handle {}", incoming.message_type()),
                messaging.destination = %queue,
                trace_id = tracing::field::Empty,
            );
            telemetry::continue_trace(&span, incoming.traceparent().as_deref());
            let bus = bus.clone();
            life.in_flight.spawn(tracing::Instrument::instrument(
                async move {
                    let acker = incoming.delivery.acker.clone();
                    let outcome = handler(incoming.clone()).await;
                    let label = match &outcome {
                        Handled::Ack => "ack",
                        Handled::Retry(_) => "retry",
                        Handled::Poison(_) => "poison",
                    };
                    metrics::counter!("postmantis_messages_handled_total", "queue" => queue.clone(), "outcome" => label)
                    .increment(1);
                    let result = match outcome {
                        Handled::Ack => acker.ack(BasicAckOptions::default()).await,
                        Handled::Retry(why) => {
                            tracing::warn!(%queue, %why, "handler failed; trying again");
                            try_again(&bus, &queue, &incoming, &why).await
                        }
                        Handled::Poison(why) => {
                            tracing::error!(%queue, %why, "poison message; parked in the dead queue");
                            park(&bus, &queue, &incoming, &why).await
                        }
                    };
                    if let Err(e) = result {
                        // The broker will redeliver an unacked message; consumers are idempotent.
                        tracing::warn!(%queue, error = %e, "could not settle message");
                    }
                },
                span,
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
