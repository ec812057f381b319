use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicAckOptions, BasicNackOptions, BasicRejectOptions};

use crate::{BusHandle, Incoming, Lifecycle};

/// What a handler decided; the message is acknowledged only after its work committed.
pub enum Handled {
    /// Done (or nothing to do): ack.
    Ack,
    /// A passing fault (database down…): requeue and try again.
    Retry(String),
    /// Can never succeed (undecodable…): reject to the dead-letter exchange.
    Poison(String),
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
            let incoming = Incoming { delivery };
            // Each message is handled in a span that continues the sender's trace.
            let span = tracing::info_span!(
                "message",
                otel.name = %format!("handle {}", incoming.message_type()),
                messaging.destination = %queue,
                trace_id = tracing::field::Empty,
            );
            telemetry::continue_trace(&span, incoming.traceparent().as_deref());
            life.in_flight.spawn(tracing::Instrument::instrument(
                async move {
                    let acker = incoming.delivery.acker.clone();
                    let outcome = handler(incoming).await;
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
                            tracing::warn!(%queue, %why, "handler failed; requeueing");
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            acker.nack(BasicNackOptions { requeue: true, ..Default::default() }).await
                        }
                        Handled::Poison(why) => {
                            tracing::error!(%queue, %why, "poison message; dead-lettering");
                            acker.reject(BasicRejectOptions { requeue: false }).await
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
