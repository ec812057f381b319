use std::time::Duration;

use deadpool::managed::{Metrics, Object, Pool as DeadPool, RecycleResult};
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, PoolError, PoolableConnection};

use crate::StoreError;

/// A deadpool of async PostgreSQL connections. Broken connections are recycled, so the
/// services reconnect by themselves after PostgreSQL restarts.
#[derive(Clone)]
pub struct Pool(DeadPool<Manager>);

/// A connection taken from the pool again within this long of its last checkout is
/// handed out without a test query (its last statements would have marked it broken);
/// one idle longer is tested first. The test query was one round trip in five of an
/// accepted post's.
const FRESH: Duration = Duration::from_secs(1);

/// A connection taken from the pool.
pub type Pooled = Object<Manager>;

/// diesel-async's manager, testing only connections that sat idle.
pub struct Manager(AsyncDieselConnectionManager<AsyncPgConnection>);

impl deadpool::managed::Manager for Manager {
    type Type = AsyncPgConnection;
    type Error = PoolError;

    async fn create(&self) -> Result<AsyncPgConnection, PoolError> {
        self.0.create().await
    }

    async fn recycle(&self, conn: &mut AsyncPgConnection, metrics: &Metrics) -> RecycleResult<PoolError> {
        if metrics.last_used() < FRESH && !std::thread::panicking() && !conn.is_broken() {
            return Ok(());
        }
        self.0.recycle(conn, metrics).await
    }
}

pub fn connect_pool(database_url: &str, max_size: usize) -> Result<Pool, StoreError> {
    let manager = Manager(AsyncDieselConnectionManager::<AsyncPgConnection>::new(database_url));
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
    pub async fn get(&self) -> Result<Pooled, StoreError> {
        self.0.get().await.map_err(|e| StoreError::Pool(e.to_string()))
    }

    /// (in use, max) — for health and saturation reporting.
    pub fn usage(&self) -> (usize, usize) {
        let s = self.0.status();
        (s.size.saturating_sub(s.available), s.max_size)
    }
}
