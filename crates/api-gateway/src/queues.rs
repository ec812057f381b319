//! What the broker's queues hold and who consumes them, read on an interval by one task
//! per gateway: `/api/health`, `/metrics` and Publishing health read this copy, so a
//! scrape or a health check never opens a broker channel.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::Provider;
use tokio::sync::RwLock;

use crate::app::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueStat {
    pub messages: u32,
    pub consumers: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Reading {
    /// Label (the queue's name without this installation's prefix) → figures. A queue the
    /// broker could not report is left out.
    pub queues: BTreeMap<String, QueueStat>,
    pub read_at: Option<DateTime<Utc>>,
}

impl Reading {
    pub fn depths(&self) -> BTreeMap<String, u32> {
        self.queues.iter().map(|(k, s)| (k.clone(), s.messages)).collect()
    }

    /// Queues that something must consume and nothing does: work that waits there is
    /// never done until a service comes (a worker that cannot declare its topology, a
    /// provider no worker is configured for).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (label, s) in &self.queues {
            if label.ends_with(".dead") {
                if s.messages > 0 {
                    out.push(format!(
                        "{} messages are parked in {label}: they failed repeatedly or could not be read (the services' logs say why)",
                        s.messages
                    ));
                }
                continue;
            }
            if s.consumers > 0 || label.ends_with(".retry-wait") {
                continue;
            }
            let what = match label.strip_prefix("deliveries.").and_then(|p| p.parse::<Provider>().ok()) {
                Some(p) => {
                    format!("no delivery worker consumes {label}: posts to {} are not delivered", p.display_name())
                }
                None => format!("nothing consumes {label}"),
            };
            out.push(match s.messages {
                0 => what,
                n => format!("{what} ({n} waiting)"),
            });
        }
        out
    }
}

pub type Watch = Arc<RwLock<Reading>>;

fn watched(state: &AppState) -> Vec<(String, String)> {
    let n = &state.names;
    let mut queues: Vec<(String, String)> =
        Provider::ALL.iter().map(|p| (format!("deliveries.{p}"), n.delivery_queue(*p))).collect();
    queues.extend([
        ("deliveries.retry-wait".to_owned(), n.retry_queue()),
        ("deliveries.dead".to_owned(), n.dead_queue()),
        ("webhooks.send".to_owned(), n.webhook_queue()),
        ("scheduler.events".to_owned(), n.scheduler_events()),
        ("media-ingest.events".to_owned(), n.media_events()),
    ]);
    queues
}

/// Reads every watched queue now.
async fn read(state: &AppState) -> Reading {
    let mut out = Reading::default();
    let Some(b) = state.bus.get().await else { return out };
    for (label, name) in watched(state) {
        if let Ok((messages, consumers)) = b.queue_stats(&name).await {
            out.queues.insert(label, QueueStat { messages, consumers });
        }
    }
    out.read_at = Some(Utc::now());
    out
}

/// Refreshes the reading every `every`, forever.
pub async fn watch(state: Arc<AppState>, every: Duration) {
    let mut quick = 0u32;
    loop {
        let reading = read(&state).await;
        for (queue, s) in &reading.queues {
            metrics::gauge!("postmantis_queue_depth", "queue" => queue.clone()).set(f64::from(s.messages));
            metrics::gauge!("postmantis_queue_consumers", "queue" => queue.clone()).set(f64::from(s.consumers));
        }
        // A queue its consumer has not declared yet (services starting, the broker just
        // back) is read again soon rather than shown as unknown for a whole interval; a
        // queue that stays missing (no such consumer deployed) is then read at `every`.
        quick = match reading.queues.len() == watched(&state).len() {
            true => 0,
            false => quick + 1,
        };
        *state.queues.write().await = reading;
        let soon = quick > 0 && quick <= 20;
        tokio::time::sleep(if soon { every.min(Duration::from_millis(250)) } else { every }).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_queue_without_a_consumer_is_a_warning_naming_the_provider() {
        let mut r = Reading::default();
        r.queues.insert("deliveries.x".into(), QueueStat { messages: 3, consumers: 0 });
        r.queues.insert("deliveries.linkedin".into(), QueueStat { messages: 0, consumers: 2 });
        r.queues.insert("deliveries.dead".into(), QueueStat { messages: 1, consumers: 0 });
        r.queues.insert("scheduler.events".into(), QueueStat { messages: 0, consumers: 0 });
        let w = r.warnings();
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w.iter().any(|m| m.starts_with("1 messages are parked in deliveries.dead")));
        assert!(w.iter().any(|m| m.contains("deliveries.x") && m.contains("posts to X") && m.contains("3 waiting")));
        assert!(w.iter().any(|m| m == "nothing consumes scheduler.events"));
    }
}
