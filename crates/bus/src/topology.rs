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
    /// A message whose handler keeps failing is parked in the dead queue after this many
    /// tries, instead of being requeued forever.
    pub max_redeliveries: u32,
}

impl Default for BusConfig {
    fn default() -> Self {
        Self {
            amqp_url: "amqp://guest:guest@127.0.0.1:5672/%2f".into(),
            prefix: String::new(),
            queue_type: "classic".into(),
            retry_delay_ms: 60_000,
            queue_expires_ms: 0,
            max_redeliveries: 10,
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
    /// Where a thrown attempt waits out the retry delay. The delay is each message's own
    /// expiration, not a queue argument: a queue's arguments cannot change once it exists
    /// (RabbitMQ answers PRECONDITION_FAILED), so a changed delay would wedge every worker.
    /// (The names before this, `postmantis.retry` and `deliveries.retry` with
    /// `x-message-ttl`, are no longer used and can be deleted.)
    pub fn retry(&self) -> String {
        format!("{}postmantis.retry-wait", self.p)
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
        format!("{}deliveries.retry-wait", self.p)
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

/// A queue argument's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    Int(i64),
}

impl Arg {
    fn amqp(&self) -> AMQPValue {
        match self {
            Arg::Text(t) => AMQPValue::LongString(LongString::from(t.as_str())),
            Arg::Int(n) => AMQPValue::LongLongInt(*n),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Arg::Text(t) => serde_json::Value::from(t.as_str()),
            Arg::Int(n) => serde_json::Value::from(*n),
        }
    }
}

/// What a role needs on the broker, as data: declared by the services at start, and
/// written out as RabbitMQ definitions for the deploy manifests.
#[derive(Debug, Default)]
pub struct Plan {
    /// (name, kind: topic | direct | fanout)
    pub exchanges: Vec<(String, &'static str)>,
    /// (name, arguments)
    pub queues: Vec<(String, Vec<(&'static str, Arg)>)>,
    /// (queue, exchange, routing key)
    pub bindings: Vec<(String, String, String)>,
}

impl Plan {
    fn queue(&mut self, cfg: &BusConfig, name: String, extra: Vec<(&'static str, Arg)>) {
        let mut args = vec![("x-queue-type", Arg::Text(cfg.queue_type.clone()))];
        if cfg.queue_expires_ms > 0 {
            args.push(("x-expires", Arg::Int(cfg.queue_expires_ms as i64)));
        }
        args.extend(extra);
        self.queues.push((name, args));
    }

    fn bind(&mut self, queue: String, exchange: String, key: &str) {
        self.bindings.push((queue, exchange, key.to_owned()));
    }
}

pub fn plan(cfg: &BusConfig, n: &Names, role: Role) -> Plan {
    let mut p = Plan {
        exchanges: vec![
            (n.events(), "topic"),
            (n.deliveries(), "direct"),
            (n.retry(), "fanout"),
            (n.dead(), "fanout"),
            (n.webhooks(), "direct"),
        ],
        ..Default::default()
    };
    match role {
        Role::Gateway => {}
        Role::Scheduler => {
            p.queue(cfg, n.scheduler_events(), vec![]);
            p.bind(n.scheduler_events(), n.events(), "post.accepted");
            p.bind(n.scheduler_events(), n.events(), "delivery.settled");
            p.bind(n.scheduler_events(), n.events(), "rewrite.requested");
            p.queue(cfg, n.scheduler_rpc(), vec![]);
        }
        Role::MediaIngest => {
            p.queue(cfg, n.media_events(), vec![]);
            for key in ["post.scheduled", "post.completed", "post.canceled"] {
                p.bind(n.media_events(), n.events(), key);
            }
            p.queue(cfg, n.media_rpc(), vec![]);
        }
        Role::DeliveryWorker => {
            for provider in Provider::ALL {
                p.queue(cfg, n.delivery_queue(*provider), vec![("x-dead-letter-exchange", Arg::Text(n.dead()))]);
                p.bind(n.delivery_queue(*provider), n.deliveries(), provider.as_str());
            }
            // A thrown attempt waits here for the retry delay (the message's expiration,
            // set by the relay), then dead-letters back to the deliveries exchange with its
            // original routing key (the provider). Every message waits the same delay, so
            // the one at the head always expires first.
            p.queue(cfg, n.retry_queue(), vec![("x-dead-letter-exchange", Arg::Text(n.deliveries()))]);
            p.bind(n.retry_queue(), n.retry(), "");
            p.queue(cfg, n.dead_queue(), vec![]);
            p.bind(n.dead_queue(), n.dead(), "");
            p.queue(cfg, n.webhook_queue(), vec![]);
            p.bind(n.webhook_queue(), n.webhooks(), "send");
        }
    }
    p
}

pub(crate) async fn declare_for(ch: &Channel, cfg: &BusConfig, n: &Names, role: Role) -> Result<(), BusError> {
    let plan = plan(cfg, n, role);
    let durable = ExchangeDeclareOptions { durable: true, ..Default::default() };
    for (name, kind) in &plan.exchanges {
        let kind = match *kind {
            "topic" => ExchangeKind::Topic,
            "direct" => ExchangeKind::Direct,
            _ => ExchangeKind::Fanout,
        };
        ch.exchange_declare(s(name), kind, durable, FieldTable::default()).await?;
    }
    for (name, args) in &plan.queues {
        let mut table = FieldTable::default();
        for (k, v) in args {
            table.insert(s(k), v.amqp());
        }
        ch.queue_declare(s(name), QueueDeclareOptions { durable: true, ..Default::default() }, table).await?;
    }
    for (queue, exchange, key) in &plan.bindings {
        ch.queue_bind(s(queue), s(exchange), s(key), QueueBindOptions::default(), FieldTable::default()).await?;
    }
    Ok(())
}

/// The queues a service consumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Gateway,
    Scheduler,
    DeliveryWorker,
    MediaIngest,
}

/// RabbitMQ definitions (the management import format) of every role's needs: the
/// production topology, to load into the broker before the services start.
pub fn definitions(cfg: &BusConfig, n: &Names) -> serde_json::Value {
    use serde_json::json;
    let roles = [Role::Gateway, Role::Scheduler, Role::MediaIngest, Role::DeliveryWorker];
    let plans: Vec<Plan> = roles.iter().map(|r| plan(cfg, n, *r)).collect();
    let exchanges: Vec<_> = plans[0]
        .exchanges
        .iter()
        .map(|(name, kind)| json!({"name": name, "vhost": "/", "type": kind, "durable": true, "auto_delete": false, "internal": false, "arguments": {}}))
        .collect();
    let queues: Vec<_> = plans
        .iter()
        .flat_map(|p| &p.queues)
        .map(|(name, args)| {
            let arguments: serde_json::Map<_, _> = args.iter().map(|(k, v)| ((*k).to_owned(), v.json())).collect();
            json!({"name": name, "vhost": "/", "durable": true, "auto_delete": false, "arguments": arguments})
        })
        .collect();
    let bindings: Vec<_> = plans
        .iter()
        .flat_map(|p| &p.bindings)
        .map(|(q, e, k)| json!({"source": e, "vhost": "/", "destination": q, "destination_type": "queue", "routing_key": k, "arguments": {}}))
        .collect();
    json!({"vhosts": [{"name": "/"}], "exchanges": exchanges, "queues": queues, "bindings": bindings})
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// `deploy/rabbitmq/definitions.json` is what the services declare, with quorum
    /// queues and the seed's 60 s retry delay; `UPDATE_DEPLOY=1` rewrites it.
    #[test]
    fn deploy_definitions_match_what_the_services_declare() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/rabbitmq/definitions.json");
        let cfg = BusConfig { queue_type: "quorum".into(), ..Default::default() };
        let current = serde_json::to_string_pretty(&definitions(&cfg, &Names::new(""))).unwrap() + "\n";
        if std::env::var("UPDATE_DEPLOY").is_ok() {
            std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
            std::fs::write(path, &current).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(committed == current, "deploy/rabbitmq/definitions.json drifted (UPDATE_DEPLOY=1 to accept)");
        let v: serde_json::Value = serde_json::from_str(&committed).unwrap();
        let queues = v["queues"].as_array().unwrap();
        assert!(queues.iter().all(|q| q["arguments"]["x-queue-type"] == "quorum"));
        // The retry delay is each message's expiration: no queue carries a TTL that a
        // changed setting would contradict.
        assert!(queues.iter().all(|q| q["arguments"].get("x-message-ttl").is_none()));
        assert!(queues.iter().any(|q| q["name"] == "deliveries.retry-wait"
            && q["arguments"]["x-dead-letter-exchange"] == "postmantis.deliveries"));
        assert!(
            queues
                .iter()
                .any(|q| q["name"] == "deliveries.x" && q["arguments"]["x-dead-letter-exchange"] == "postmantis.dead")
        );
    }
}
