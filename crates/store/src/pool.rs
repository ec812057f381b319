use std::time::Duration;

use deadpool::managed::{Metrics, Object, Pool as DeadPool, RecycleResult};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, PoolError, PoolableConnection};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

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
pub struct Manager {
    inner: AsyncDieselConnectionManager<AsyncPgConnection>,
    /// Run once on each new connection: the planner settings of the pool's statements.
    session: Option<&'static str>,
}

impl deadpool::managed::Manager for Manager {
    type Type = AsyncPgConnection;
    type Error = PoolError;

    async fn create(&self) -> Result<AsyncPgConnection, PoolError> {
        let mut conn = self.inner.create().await?;
        if let Some(session) = self.session {
            diesel::sql_query(session).execute(&mut conn).await.map_err(PoolError::QueryError)?;
        }
        Ok(conn)
    }

    async fn recycle(&self, conn: &mut AsyncPgConnection, metrics: &Metrics) -> RecycleResult<PoolError> {
        if metrics.last_used() < FRESH && !std::thread::panicking() && !conn.is_broken() {
            return Ok(());
        }
        self.inner.recycle(conn, metrics).await
    }
}

pub fn connect_pool(database_url: &str, max_size: usize) -> Result<Pool, StoreError> {
    build(database_url, max_size, None)
}

/// A pool whose connections run every prepared statement on its generic plan, planned
/// once per connection. Only for fixed statements whose best plan does not depend on the
/// values bound: the relay's take and the scheduler's gathered moves.
///
/// PostgreSQL plans a prepared statement anew for its first five runs, then keeps the
/// generic plan only if its estimated cost is no higher than theirs. A move of one post
/// binds arrays of one element, costed as one row; the generic plan assumes ten: it never
/// looked cheaper, so every move was planned again, 0.6 ms of PostgreSQL's CPU each
/// (`pg_stat_statements` with `track_planning`, S1b: 2 715 plans for 3 834 moves, 1.6 s
/// planning beside 3.8 s running them; the relay's take 996 plans in 1 688).
pub fn connect_generic_pool(database_url: &str, max_size: usize) -> Result<Pool, StoreError> {
    build(database_url, max_size, Some("SET plan_cache_mode = force_generic_plan"))
}

/// A pool for the dispatcher's claim of due posts (`transitions::posts::claim_due`), whose
/// connections plan neither a bitmap nor a sequential scan: the claim reads `posts_due` in
/// its order and stops at its limit, and an index scan marks the entries of posts
/// dispatched since the last vacuum dead as it passes them (a bitmap scan never does).
/// `scheduled_at <= statement_timestamp()` is estimated at a third of the scheduled posts
/// whatever the clock says, so with many posts scheduled ahead PostgreSQL expected more
/// due rows than the limit and planned a bitmap scan (S2: 306 buffers a claim, every due
/// entry fetched and sorted) or, with bitmap scans ruled out, a sequential scan of `posts`
/// and a sort (S2: 219 a claim; at scale 0.3, 311 buffers to find nothing due).
/// The dispatcher's other statements here (its deliveries by `post_id`, the outbox insert,
/// `next_due`) have an index scan or need no scan.
pub fn connect_claim_pool(database_url: &str, max_size: usize) -> Result<Pool, StoreError> {
    // One statement: the session's settings are sent as a prepared query.
    let settings = "SELECT set_config('enable_bitmapscan', 'off', false), set_config('enable_seqscan', 'off', false)";
    build(database_url, max_size, Some(settings))
}

fn build(database_url: &str, max_size: usize, session: Option<&'static str>) -> Result<Pool, StoreError> {
    let manager = Manager { inner: AsyncDieselConnectionManager::<AsyncPgConnection>::new(database_url), session };
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
