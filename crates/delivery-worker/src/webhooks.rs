//! Outbound webhooks. A fan-out reads the event log once (a locked cursor, so one replica
//! at a time) and enqueues one send per event and matching endpoint; senders sign with the
//! Standard Webhooks scheme and post it. A failed send comes back after a growing delay;
//! an endpoint that keeps failing is disabled. Nothing here runs in a request's path.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bus::{Handled, Incoming, relay::enqueue_webhook};
use chrono::Utc;
use diesel_async::AsyncConnection;
use domain::messages::WebhookRequestedV1;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use store::{StoreError, webhooks};

use crate::app::Ctx;

/// `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), the key being the
/// base64 part of `whsec_…`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_")?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

/// Events read per transaction.
const EVENTS_PER_READ: usize = 200;

/// Reads new events and enqueues their sends, every `every`.
pub async fn fan_out(ctx: Arc<Ctx>, every: Duration) {
    loop {
        let result: Result<usize, StoreError> = async {
            let mut conn = ctx.pool.get().await?;
            store::publish_log::sequence(&mut conn).await?;
            conn.transaction::<usize, StoreError, _>(async |conn| {
                let Some((_, events)) = webhooks::lock_next_events(conn, EVENTS_PER_READ as i64).await? else {
                    return Ok(0);
                };
                let Some(last) = events.last().and_then(|e| e.position) else { return Ok(0) };
                let mut workspaces: Vec<domain::WorkspaceId> = events.iter().map(|e| e.workspace_id).collect();
                workspaces.dedup();
                let endpoints = webhooks::active_in(conn, &workspaces).await?;
                for e in &events {
                    for ep in endpoints.iter().filter(|ep| ep.workspace_id == e.workspace_id) {
                        if ep.events.as_ref().is_some_and(|kinds| !kinds.contains(&e.kind)) {
                            continue;
                        }
                        let msg = WebhookRequestedV1 { endpoint_id: ep.id, event_id: e.id, attempt: 1 };
                        enqueue_webhook(conn, &ctx.names, &msg, None).await?;
                    }
                }
                webhooks::advance(conn, last).await?;
                Ok(events.len())
            })
            .await
        }
        .await;
        match result {
            // Only a full read says more is waiting. Reading again at once after a partial
            // one turned a steady stream of posts into a transaction (and a sequencing
            // UPDATE) for every few events; at S1a's half load the sequencer had a third of
            // PostgreSQL's execution time.
            Ok(n) if n >= EVENTS_PER_READ => ctx.relay_wake.notify_one(),
            Ok(n) => {
                if n > 0 {
                    ctx.relay_wake.notify_one();
                }
                tokio::time::sleep(every).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "webhook fan-out failed");
                tokio::time::sleep(every).await;
            }
        }
    }
}

pub async fn handle(ctx: &Ctx, m: Incoming) -> Handled {
    let msg = match m.decode::<WebhookRequestedV1>() {
        Ok(v) => v,
        Err(e) => return Handled::Poison(e.to_string()),
    };
    match send(ctx, &msg).await {
        Ok(()) => Handled::Ack,
        Err(e) => Handled::Retry(e.to_string()),
    }
}

async fn send(ctx: &Ctx, msg: &WebhookRequestedV1) -> Result<(), StoreError> {
    let mut conn = ctx.pool.get().await?;
    let Some(ep) = webhooks::get(&mut conn, msg.endpoint_id).await? else { return Ok(()) };
    if ep.status != "active" {
        return Ok(());
    }
    let Some(event) = webhooks::event(&mut conn, msg.event_id).await? else { return Ok(()) };
    drop(conn);
    let id = format!("evt_{}", event.id);
    let timestamp = Utc::now().timestamp();
    let body = json!({
        "type": event.kind,
        "timestamp": event.occurred_at,
        "data": {
            "event_id": event.id.to_string(),
            "post_id": event.post_id,
            "delivery_id": event.delivery_id,
            "profile_id": event.profile_id,
            "provider": event.provider,
            "message": event.message,
            "url": event.url,
        },
    })
    .to_string();
    let secret = ctx.secrets.decrypt(&ep.secret).unwrap_or_default();
    let outcome = match sign(&secret, &id, timestamp, &body) {
        None => Err((None, "the endpoint's secret cannot be read".to_owned())),
        Some(_) if let Err(why) = egress::check_url(&ctx.webhook_guard, &ep.url).await => Err((None, why)),
        Some(signature) => {
            let sent = ctx
                .webhook_http
                .post(&ep.url)
                .header("content-type", "application/json")
                .header("webhook-id", &id)
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", signature)
                .body(body)
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => Ok(r.status().as_u16()),
                Ok(r) => Err((
                    Some(r.status().as_u16() as i32),
                    format!("the endpoint answered HTTP {}", r.status().as_u16()),
                )),
                Err(e) => Err((
                    None,
                    if e.is_timeout() {
                        "the endpoint did not answer in time".into()
                    } else {
                        "the endpoint could not be reached".into()
                    },
                )),
            }
        }
    };
    let mut conn = ctx.pool.get().await?;
    let c = &ctx.config;
    conn.transaction::<(), StoreError, _>(async |conn| {
        match &outcome {
            Ok(code) => {
                webhooks::record(conn, ep.id, event.id, msg.attempt, Some(i32::from(*code)), None, true).await?
            }
            Err((code, why)) => {
                webhooks::record(conn, ep.id, event.id, msg.attempt, *code, Some(why), false).await?;
                if webhooks::disable_if_failing(conn, ep.id, c.webhook_disable_after).await? {
                    tracing::warn!(endpoint_id = %ep.id, "webhook endpoint disabled after repeated failures");
                } else if msg.attempt < c.webhook_max_attempts {
                    // 1×, 2×, 4×, … the base delay.
                    let delay = c.webhook_backoff_ms.saturating_mul(1 << (msg.attempt - 1).min(16));
                    let at = Utc::now() + chrono::Duration::milliseconds(delay as i64);
                    let next = WebhookRequestedV1 { attempt: msg.attempt + 1, ..msg.clone() };
                    enqueue_webhook(conn, &ctx.names, &next, Some(at)).await?;
                }
            }
        }
        Ok(())
    })
    .await?;
    ctx.relay_wake.notify_one();
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::sign;

    #[test]
    fn signatures_follow_the_standard_webhooks_scheme() {
        // The example of the Standard Webhooks specification.
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig.unwrap(), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(sign("not-a-secret", "id", 1, "b").is_none());
    }
}
