//! Names and declarations. Every service declares the exchanges; each declares the
//! queues it consumes. A message published before its queue exists is returned
//! (mandatory) and stays in the outbox until a consumer has declared it.

use domain::Provider;
use lapin::{
    Channel, ExchangeKind,
    options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable, LongString, ShortString},
};
use serde::{Deserialize, Serialize};

use crate::BusError;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BusConfig {
    pub amqp_url: String,
    /// Prepended to every exchange and queue name, so several stacks share one broker.
    pub prefix: String,
    /// `classic` or `quorum` (production manifests use quorum).
    pub queue_type: String,
    /// Delay before a thrown delivery attempt is retried.
    pub retry_delay_ms: u64,
    /// Drop queues unused this long (for throwaway test stacks); 0 keeps them.
    pub queue_expires_ms: u64,
}

impl Default for BusConfig {
    fn default() -> Self {
        Self {
            amqp_url: "amqp://guest:guest@127.0.0.1:5672/%2f".into(),
            prefix: String::new(),
            queue_type: "classic".into(),
            retry_delay_ms: 60_000,
            queue_expires_ms: 0,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Names {
    p: String,
}

impl Names {
    pub fn new(prefix: &str) -> Self {
        Self { p: prefix.to_owned() }
    }
    pub fn events(&self) -> String {
        format!("{}postmantis.events", self.p)
    }
    pub fn deliveries(&self) -> String {
        format!("{}postmantis.deliveries", self.p)
    }
    pub fn retry(&self) -> String {
        format!("{}postmantis.retry", self.p)
    }
    pub fn webhooks(&self) -> String {
        format!("{}postmantis.webhooks", self.p)
    }
    pub fn webhook_queue(&self) -> String {
        format!("{}webhooks.send", self.p)
    }
    pub fn dead(&self) -> String {
        format!("{}postmantis.dead", self.p)
    }
    pub fn delivery_queue(&self, provider: Provider) -> String {
        format!("{}deliveries.{}", self.p, provider.as_str())
    }
    pub fn retry_queue(&self) -> String {
        format!("{}deliveries.retry", self.p)
    }
    pub fn dead_queue(&self) -> String {
        format!("{}deliveries.dead", self.p)
    }
    pub fn scheduler_events(&self) -> String {
        format!("{}scheduler.events", self.p)
    }
    pub fn scheduler_rpc(&self) -> String {
        format!("{}scheduler.rpc", self.p)
    }
    pub fn media_events(&self) -> String {
        format!("{}media-ingest.events", self.p)
    }
    pub fn media_rpc(&self) -> String {
        format!("{}media-ingest.rpc", self.p)
    }
}

fn s(v: &str) -> ShortString {
    v.into()
}

pub(crate) async fn declare_exchanges(ch: &Channel, n: &Names) -> Result<(), BusError> {
    let durable = ExchangeDeclareOptions { durable: true, ..Default::default() };
    ch.exchange_declare(s(&n.events()), ExchangeKind::Topic, durable, FieldTable::default()).await?;
    ch.exchange_declare(s(&n.deliveries()), ExchangeKind::Direct, durable, FieldTable::default()).await?;
    ch.exchange_declare(s(&n.retry()), ExchangeKind::Fanout, durable, FieldTable::default()).await?;
    ch.exchange_declare(s(&n.dead()), ExchangeKind::Fanout, durable, FieldTable::default()).await?;
    ch.exchange_declare(s(&n.webhooks()), ExchangeKind::Direct, durable, FieldTable::default()).await?;
    Ok(())
}

/// A durable queue of the configured type; `extra` adds arguments (TTL, dead-lettering).
pub(crate) async fn declare_queue(
    ch: &Channel,
    cfg: &BusConfig,
    name: &str,
    extra: &[(&str, AMQPValue)],
) -> Result<(), BusError> {
    let mut args = FieldTable::default();
    args.insert(s("x-queue-type"), AMQPValue::LongString(LongString::from(cfg.queue_type.as_str())));
    if cfg.queue_expires_ms > 0 {
        args.insert(s("x-expires"), AMQPValue::LongLongInt(cfg.queue_expires_ms as i64));
    }
    for (k, v) in extra {
        args.insert(s(k), v.clone());
    }
    ch.queue_declare(s(name), QueueDeclareOptions { durable: true, ..Default::default() }, args).await?;
    Ok(())
}

pub(crate) async fn bind(ch: &Channel, queue: &str, exchange: &str, key: &str) -> Result<(), BusError> {
    ch.queue_bind(s(queue), s(exchange), s(key), QueueBindOptions::default(), FieldTable::default()).await?;
    Ok(())
}

fn text(v: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(v))
}

/// The queues a service consumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Gateway,
    Scheduler,
    DeliveryWorker,
    MediaIngest,
}

pub(crate) async fn declare_for(ch: &Channel, cfg: &BusConfig, n: &Names, role: Role) -> Result<(), BusError> {
    declare_exchanges(ch, n).await?;
    match role {
        Role::Gateway => {}
        Role::Scheduler => {
            declare_queue(ch, cfg, &n.scheduler_events(), &[]).await?;
            bind(ch, &n.scheduler_events(), &n.events(), "post.accepted").await?;
            bind(ch, &n.scheduler_events(), &n.events(), "delivery.settled").await?;
            declare_queue(ch, cfg, &n.scheduler_rpc(), &[]).await?;
        }
        Role::MediaIngest => {
            declare_queue(ch, cfg, &n.media_events(), &[]).await?;
            for key in ["post.scheduled", "post.completed", "post.canceled"] {
                bind(ch, &n.media_events(), &n.events(), key).await?;
            }
            declare_queue(ch, cfg, &n.media_rpc(), &[]).await?;
        }
        Role::DeliveryWorker => {
            let dead = [("x-dead-letter-exchange", text(&n.dead()))];
            for p in Provider::ALL {
                declare_queue(ch, cfg, &n.delivery_queue(*p), &dead).await?;
                bind(ch, &n.delivery_queue(*p), &n.deliveries(), p.as_str()).await?;
            }
            // A thrown attempt waits here for the retry delay, then dead-letters back to
            // the deliveries exchange with its original routing key (the provider).
            let retry = [
                ("x-message-ttl", AMQPValue::LongLongInt(cfg.retry_delay_ms as i64)),
                ("x-dead-letter-exchange", text(&n.deliveries())),
            ];
            declare_queue(ch, cfg, &n.retry_queue(), &retry).await?;
            bind(ch, &n.retry_queue(), &n.retry(), "").await?;
            declare_queue(ch, cfg, &n.dead_queue(), &[]).await?;
            bind(ch, &n.dead_queue(), &n.dead(), "").await?;
            declare_queue(ch, cfg, &n.webhook_queue(), &[]).await?;
            bind(ch, &n.webhook_queue(), &n.webhooks(), "send").await?;
        }
    }
    Ok(())
}
