use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::pooled_connection::deadpool::{Object, Pool as DeadPool};

use crate::StoreError;

/// A deadpool of async PostgreSQL connections. Broken connections are recycled, so the
/// services reconnect by themselves after PostgreSQL restarts.
#[derive(Clone)]
pub struct Pool(DeadPool<AsyncPgConnection>);

pub fn connect_pool(database_url: &str, max_size: usize) -> Result<Pool, StoreError> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(database_url);
    DeadPool::builder(manager)
        .max_size(max_size)
        .wait_timeout(Some(std::time::Duration::from_secs(5)))
        .create_timeout(Some(std::time::Duration::from_secs(5)))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map(Pool)
        .map_err(|e| StoreError::Pool(e.to_string()))
}

impl Pool {
    pub async fn get(&self) -> Result<Object<AsyncPgConnection>, StoreError> {
        self.0.get().await.map_err(|e| StoreError::Pool(e.to_string()))
    }

    /// (in use, max) — for health and saturation reporting.
    pub fn usage(&self) -> (usize, usize) {
        let s = self.0.status();
        (s.size.saturating_sub(s.available), s.max_size)
    }
}
