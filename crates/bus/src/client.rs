use std::time::{SystemTime, UNIX_EPOCH};

use domain::messages::Message;
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, Consumer,
    options::{BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions},
    types::{AMQPValue, FieldTable, ShortString},
};
use uuid::Uuid;

use crate::topology::{self, BusConfig, Names, Role};

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("amqp: {0}")]
    Amqp(#[from] lapin::Error),
    #[error("the broker refused the message (nack)")]
    Nacked,
    #[error("no queue is bound for {exchange}/{routing_key} yet")]
    Unroutable { exchange: String, routing_key: String },
    #[error("not connected to the broker")]
    NotConnected,
    #[error("no reply within {0} ms")]
    Timeout(u64),
    #[error("bad message: {0}")]
    Decode(String),
}

/// One live connection with a confirm-mode channel for publishing.
pub struct Bus {
    conn: Connection,
    publisher: Channel,
    pub names: Names,
    pub config: BusConfig,
}

/// A sent message whose confirm has not arrived yet.
pub struct PendingConfirm {
    confirm: lapin::PublisherConfirm,
    exchange: String,
    routing_key: String,
}

impl PendingConfirm {
    pub async fn confirmed(self) -> Result<(), BusError> {
        match self.confirm.await? {
            Confirmation::Ack(None) | Confirmation::NotRequested => Ok(()),
            Confirmation::Ack(Some(_)) => {
                Err(BusError::Unroutable { exchange: self.exchange, routing_key: self.routing_key })
            }
            Confirmation::Nack(_) => Err(BusError::Nacked),
        }
    }
}

/// A message as a consumer sees it (shared: the consumer keeps it to settle after the
/// handler ran).
#[derive(Clone)]
pub struct Incoming {
    pub delivery: std::sync::Arc<lapin::message::Delivery>,
}

impl Incoming {
    pub fn message_type(&self) -> &str {
        self.delivery.properties.kind().as_ref().map(|k| k.as_str()).unwrap_or("")
    }

    pub fn decode<M: Message>(&self) -> Result<M, BusError> {
        serde_json::from_slice(&self.delivery.data).map_err(|e| BusError::Decode(format!("{}: {e}", M::TYPE)))
    }

    pub fn redelivered(&self) -> bool {
        self.delivery.redelivered
    }

    /// The W3C trace context the sender attached.
    pub fn traceparent(&self) -> Option<String> {
        let headers = self.delivery.properties.headers().as_ref()?;
        match headers.inner().get("traceparent")? {
            AMQPValue::LongString(s) => Some(s.to_string()),
            _ => None,
        }
    }
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Every message: id, type, JSON, persistent, a timestamp, and the current trace.
pub(crate) fn properties(message_type: &str, message_id: Uuid) -> BasicProperties {
    let props = BasicProperties::default()
        .with_content_type(ShortString::from("application/json"))
        .with_delivery_mode(2)
        .with_type(ShortString::from(message_type))
        .with_message_id(ShortString::from(message_id.to_string().as_str()))
        .with_timestamp(now_secs());
    with_traceparent(props, telemetry::current_traceparent().as_deref())
}

pub(crate) fn with_traceparent(props: BasicProperties, traceparent: Option<&str>) -> BasicProperties {
    let mut headers = FieldTable::default();
    if let Some(tp) = traceparent {
        headers.insert(ShortString::from("traceparent"), AMQPValue::LongString(tp.into()));
    }
    props.with_headers(headers)
}

impl Bus {
    pub async fn connect(config: &BusConfig, role: Role, name: &str) -> Result<Bus, BusError> {
        let props = ConnectionProperties::default().with_connection_name(lapin::types::LongString::from(name));
        let conn = Connection::connect(&config.amqp_url, props).await?;
        let names = Names::new(&config.prefix);
        let setup = conn.create_channel().await?;
        topology::declare_for(&setup, config, &names, role).await?;
        let _ = setup.close(200, ShortString::from("topology declared")).await;
        let publisher = conn.create_channel().await?;
        publisher.confirm_select(ConfirmSelectOptions::default()).await?;
        Ok(Bus { conn, publisher, names, config: config.clone() })
    }

    pub fn is_connected(&self) -> bool {
        self.conn.status().connected() && self.publisher.status().connected()
    }

    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Sends a message and returns the broker's pending confirm; `mandatory` makes an
    /// unroutable message an error instead of a silent drop. Awaiting confirms after a
    /// whole batch was sent saves one round trip per message.
    pub async fn start_publish(
        &self,
        exchange: &str,
        routing_key: &str,
        payload: &[u8],
        props: BasicProperties,
    ) -> Result<PendingConfirm, BusError> {
        let confirm = self
            .publisher
            .basic_publish(
                ShortString::from(exchange),
                ShortString::from(routing_key),
                BasicPublishOptions { mandatory: true, ..Default::default() },
                payload,
                props,
            )
            .await?;
        Ok(PendingConfirm { confirm, exchange: exchange.to_owned(), routing_key: routing_key.to_owned() })
    }

    /// Publishes and waits for the broker's confirm.
    pub async fn publish_raw(
        &self,
        exchange: &str,
        routing_key: &str,
        payload: &[u8],
        props: BasicProperties,
    ) -> Result<(), BusError> {
        self.start_publish(exchange, routing_key, payload, props).await?.confirmed().await
    }

    pub async fn publish<M: Message>(&self, exchange: &str, routing_key: &str, msg: &M) -> Result<(), BusError> {
        let body = serde_json::to_vec(msg).map_err(|e| BusError::Decode(e.to_string()))?;
        self.publish_raw(exchange, routing_key, &body, properties(M::TYPE, Uuid::now_v7())).await
    }

    /// A consumer on its own channel, `prefetch` unacknowledged messages at most.
    pub async fn consume(&self, queue: &str, prefetch: u16) -> Result<(Channel, Consumer), BusError> {
        let ch = self.conn.create_channel().await?;
        ch.basic_qos(prefetch, BasicQosOptions::default()).await?;
        let consumer = ch
            .basic_consume(
                ShortString::from(queue),
                ShortString::from(""),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        Ok((ch, consumer))
    }

    /// Messages waiting in a queue and consumers attached to it (for health figures).
    pub async fn queue_stats(&self, queue: &str) -> Result<(u32, u32), BusError> {
        let ch = self.conn.create_channel().await?;
        let q = ch
            .queue_declare(
                ShortString::from(queue),
                lapin::options::QueueDeclareOptions { passive: true, ..Default::default() },
                FieldTable::default(),
            )
            .await;
        let _ = ch.close(200, ShortString::from("ok")).await;
        let q = q?;
        Ok((q.message_count(), q.consumer_count()))
    }

    pub async fn close(&self) {
        let _ = self.conn.close(200, ShortString::from("shutdown")).await;
    }
}
