use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{RwLock, watch};

use crate::{Bus, BusConfig, topology::Role};

/// The current connection, kept alive by a background task that reconnects (and
/// redeclares the topology) whenever the broker goes away. Readers get `None` while down.
#[derive(Clone)]
pub struct BusHandle {
    current: Arc<RwLock<Option<Arc<Bus>>>>,
    generation: watch::Receiver<u64>,
    /// Why the last connect failed (the broker refused our topology, say), for /readyz.
    last_error: Arc<RwLock<Option<String>>>,
}

impl BusHandle {
    pub fn start(config: BusConfig, role: Role, name: &str) -> BusHandle {
        let current: Arc<RwLock<Option<Arc<Bus>>>> = Arc::default();
        let (tx, rx) = watch::channel(0u64);
        let slot = current.clone();
        let last_error: Arc<RwLock<Option<String>>> = Arc::default();
        let error_slot = last_error.clone();
        let name = name.to_owned();
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(200);
            let mut generation = 0u64;
            loop {
                match Bus::connect(&config, role, &name).await {
                    Ok(bus) => {
                        *error_slot.write().await = None;
                        backoff = Duration::from_millis(200);
                        generation += 1;
                        let bus = Arc::new(bus);
                        *slot.write().await = Some(bus.clone());
                        let _ = tx.send(generation);
                        tracing::info!(generation, "connected to RabbitMQ");
                        while bus.is_connected() {
                            tokio::time::sleep(Duration::from_millis(250)).await;
                        }
                        *slot.write().await = None;
                        tracing::warn!("lost the RabbitMQ connection; reconnecting");
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot connect to RabbitMQ; retrying in {backoff:?}");
                        *error_slot.write().await = Some(e.to_string());
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                    }
                }
            }
        });
        BusHandle { current, generation: rx, last_error }
    }

    /// Why the broker is not usable now: the last connect error, if one failed.
    pub async fn unavailable_because(&self) -> String {
        match self.last_error.read().await.as_ref() {
            Some(e) => format!("rabbitmq: {e}"),
            None => "rabbitmq: not connected".into(),
        }
    }

    pub async fn get(&self) -> Option<Arc<Bus>> {
        self.current.read().await.as_ref().filter(|b| b.is_connected()).cloned()
    }

    /// Waits until a connection is up.
    pub async fn wait(&self) -> Arc<Bus> {
        let mut rx = self.generation.clone();
        loop {
            if let Some(b) = self.get().await {
                return b;
            }
            let _ = tokio::time::timeout(Duration::from_millis(250), rx.changed()).await;
        }
    }
}
