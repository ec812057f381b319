//! Request/reply over RabbitMQ: `reply_to` + `correlation_id`, with a deadline.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::messages::Message;
use futures_util::StreamExt;
use lapin::{
    options::{BasicConsumeOptions, QueueDeclareOptions},
    types::{FieldTable, ShortString},
};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::{Bus, BusError, BusHandle, Incoming, client::properties};

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Vec<u8>>>>>;
/// The connection a reply queue was declared on, and its name.
type ReplyQueue = Arc<tokio::sync::Mutex<Option<(Arc<Bus>, String)>>>;

/// One reply queue per connection (exclusive, server-named); replies are matched to
/// callers by correlation id.
#[derive(Clone)]
pub struct RpcClient {
    bus: BusHandle,
    reply_queue: ReplyQueue,
    pending: Pending,
}

impl RpcClient {
    pub fn new(bus: BusHandle) -> Self {
        Self { bus, reply_queue: Arc::default(), pending: Arc::default() }
    }

    async fn reply_queue_for(&self, bus: &Arc<Bus>) -> Result<String, BusError> {
        let mut slot = self.reply_queue.lock().await;
        if let Some((b, q)) = slot.as_ref()
            && Arc::ptr_eq(b, bus)
        {
            return Ok(q.clone());
        }
        let ch = bus.connection().create_channel().await?;
        let q = ch
            .queue_declare(
                ShortString::from(""),
                QueueDeclareOptions { exclusive: true, auto_delete: true, ..Default::default() },
                FieldTable::default(),
            )
            .await?;
        let name = q.name().as_str().to_owned();
        let mut consumer = ch
            .basic_consume(
                q.name().clone(),
                ShortString::from(""),
                BasicConsumeOptions { no_ack: true, ..Default::default() },
                FieldTable::default(),
            )
            .await?;
        let pending = self.pending.clone();
        tokio::spawn(async move {
            let _keep = ch;
            while let Some(Ok(d)) = consumer.next().await {
                let Some(corr) = d.properties.correlation_id().as_ref().map(|c| c.as_str().to_owned()) else {
                    continue;
                };
                let waiter = pending.lock().ok().and_then(|mut p| p.remove(&corr));
                if let Some(tx) = waiter {
                    let _ = tx.send(d.data);
                }
            }
        });
        *slot = Some((bus.clone(), name.clone()));
        Ok(name)
    }

    /// Sends `request` to `queue` and waits for the decoded reply.
    pub async fn call<Req: Message, Rep: Message>(
        &self,
        queue: &str,
        request: &Req,
        timeout: Duration,
    ) -> Result<Rep, BusError> {
        let bus = self.bus.get().await.ok_or(BusError::NotConnected)?;
        let reply_to = self.reply_queue_for(&bus).await?;
        let corr = Uuid::now_v7().to_string();
        let (tx, rx) = oneshot::channel();
        if let Ok(mut p) = self.pending.lock() {
            p.insert(corr.clone(), tx);
        }
        let body = serde_json::to_vec(request).map_err(|e| BusError::Decode(e.to_string()))?;
        let props = properties(Req::TYPE, Uuid::now_v7())
            .with_reply_to(ShortString::from(reply_to.as_str()))
            .with_correlation_id(ShortString::from(corr.as_str()))
            .with_expiration(ShortString::from(timeout.as_millis().to_string().as_str()));
        let forget = |pending: &Pending| {
            if let Ok(mut p) = pending.lock() {
                p.remove(&corr);
            }
        };
        if let Err(e) = bus.publish_raw("", queue, &body, props).await {
            forget(&self.pending);
            return Err(e);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(bytes)) => serde_json::from_slice(&bytes).map_err(|e| BusError::Decode(e.to_string())),
            _ => {
                forget(&self.pending);
                Err(BusError::Timeout(timeout.as_millis() as u64))
            }
        }
    }
}

/// Answers a request received by a consumer.
pub async fn reply<Rep: Message>(bus: &Bus, request: &Incoming, reply: &Rep) -> Result<(), BusError> {
    let props = &request.delivery.properties;
    let (Some(to), Some(corr)) = (props.reply_to().as_ref(), props.correlation_id().as_ref()) else {
        return Err(BusError::Decode("request without reply_to/correlation_id".into()));
    };
    let body = serde_json::to_vec(reply).map_err(|e| BusError::Decode(e.to_string()))?;
    let props = properties(Rep::TYPE, Uuid::now_v7()).with_correlation_id(corr.clone()).with_delivery_mode(1);
    match bus.publish_raw("", to.as_str(), &body, props).await {
        // The caller gave up and its reply queue is gone: nothing to tell.
        Err(BusError::Unroutable { .. }) => Ok(()),
        other => other,
    }
}

/// Answers a request and says what to do with it: ack once the reply is out, requeue
/// when the broker went away before it could be sent.
pub async fn reply_then_ack<Rep: Message>(bus: &BusHandle, request: &Incoming, answer: &Rep) -> crate::Handled {
    let Some(b) = bus.get().await else { return crate::Handled::Retry("broker gone before the reply".into()) };
    match reply(&b, request, answer).await {
        Ok(()) => crate::Handled::Ack,
        Err(e) => crate::Handled::Retry(e.to_string()),
    }
}
