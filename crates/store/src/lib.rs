//! PostgreSQL access: the diesel schema, row models and repositories. Repositories are
//! plain functions over `&mut AsyncPgConnection`, so callers compose them inside one
//! transaction (a state change, its publish-log row and its outbox message commit together).

pub mod account_figures;
pub mod campaigns;
pub mod deliveries;
pub mod feeds;
pub mod health;
pub mod idempotency;
pub mod inbox;
pub mod invitations;
pub mod keys;
pub mod leases;
pub mod limits;
pub mod locks;
pub mod media;
pub mod metrics;
pub mod migrate;
pub mod models;
pub mod notified;
pub mod oauth;
pub mod outbox;
pub mod parts;
mod pool;
pub mod posts;
pub mod prepared;
pub mod profiles;
pub mod publish_log;
pub mod queues;
pub mod reply_topics;
pub mod review;
pub mod review_links;
pub mod rewrites;
pub mod schema;
pub mod scope;
pub mod sessions;
pub mod sweep;
pub mod transitions;
pub mod users;
pub mod versions;
pub mod webhooks;
pub mod workspaces;

pub use diesel_async::AsyncPgConnection as Conn;
pub use pool::{Pool, Pooled, connect_claim_pool, connect_generic_pool, connect_pool};
pub use scope::KeyScope;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("database pool: {0}")]
    Pool(String),
    #[error("migration: {0}")]
    Migration(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// The connection went away under the statement (the driver has no SQL state for it):
    /// a write sent may have been applied, its answer lost.
    pub fn is_connection_lost(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        matches!(
            self,
            StoreError::Db(Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _))
                | StoreError::Db(Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand, _))
                | StoreError::Db(Error::BrokenTransactionManager)
        )
    }

    /// The write broke the unique index or constraint of that name.
    pub fn is_unique_violation(&self, constraint: &str) -> bool {
        match self {
            StoreError::Db(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                info,
            )) => info.constraint_name() == Some(constraint),
            _ => false,
        }
    }
}
