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
}

impl BusHandle {
    pub fn start(config: BusConfig, role: Role, name: &str) -> BusHandle {
        let current: Arc<RwLock<Option<Arc<Bus>>>> = Arc::default();
        let (tx, rx) = watch::channel(0u64);
        let slot = current.clone();
        let name = name.to_owned();
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(200);
            let mut generation = 0u64;
            loop {
                match Bus::connect(&config, role, &name).await {
                    Ok(bus) => {
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
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                    }
                }
            }
        });
        BusHandle { current, generation: rx }
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
