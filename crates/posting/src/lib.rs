//! The application layer: every way a post is created, edited, published, canceled,
//! deleted or retried, the dry run, and the one builder of a provider request. The API
//! routes, the dashboard and MCP (and next: review, bulk, campaigns, feeds) are thin
//! callers of [`Posting`]; none of them writes a post or checks one itself.
//!
//! What it may not do: change a status after creation. Those are commands to the
//! scheduler; delivery and media statuses are their workers'. The store's status writes
//! are not even visible here, so this does not build (the same code builds in the
//! scheduler, whose crate docs show it; `make test` runs both, each crate on its own):
//!
//! ```compile_fail
//! async fn publish(conn: &mut store::Conn, id: domain::PostId) -> store::StoreResult<Option<store::models::PostRow>> {
//!     store::transitions::posts::publish_draft(conn, id, None).await
//! }
//! ```

mod acceptance;
mod accounts;
pub mod bulk;
mod caller;
pub mod campaigns;
pub mod diff;
mod dry_run;
mod error;
pub mod feeds;
pub mod inbox;
pub mod insights;
mod links;
mod media;
pub mod metrics;
mod posts;
pub mod provider_request;
pub mod queues;
mod review;
mod rewrites;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

pub use acceptance::{Target, check_post};
pub use accounts::default_of;
pub use caller::{Actor, Caller, KEY_POLICIES, Policy, ROLES};
pub use dry_run::{DryRun, DryRunDelivery};
pub use error::{PostingError, PostingResult};
pub use links::{DEFAULT_LINK_HOURS, LinkTarget, MAX_LINK_HOURS, Verdict};
pub use media::Staged;
pub use posts::Page;
pub use review::{MAX_REASON_CHARS, check_anchor};

/// What the application layer needs from its host's configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where providers fetch owned media (the gateway's public URL).
    pub public_url: String,
    /// How long to wait for media-ingest to own one remote file.
    pub ingest_timeout: Duration,
    /// How long to wait for the scheduler to answer a command.
    pub command_timeout: Duration,
    /// How long a profile read by the acceptance check is kept (changes are pushed; zero
    /// reads every time).
    pub profile_cache: Duration,
}

pub struct Posting {
    pool: store::Pool,
    rpc: bus::RpcClient,
    names: bus::Names,
    /// Wakes the host's outbox relay after a commit, so messages leave at once.
    relay_wake: Arc<Notify>,
    providers: providers::Providers,
    settings: Settings,
    /// Profiles the acceptance check read lately (`store::notified`).
    profiles: Arc<ProfileCache>,
}

/// Profiles by id, as read by the acceptance check.
type ProfileCache = store::notified::NotifiedCache<domain::ProfileId, store::models::ProfileRow>;

/// The channel the trigger of migration `profile_changes` notifies, with the profile's id.
const PROFILE_CHANNEL: &str = "profiles_changed";

impl Posting {
    pub fn new(
        pool: store::Pool,
        rpc: bus::RpcClient,
        names: bus::Names,
        relay_wake: Arc<Notify>,
        providers: providers::Providers,
        settings: Settings,
    ) -> Self {
        let profiles = Arc::new(ProfileCache::new(PROFILE_CHANNEL, settings.profile_cache));
        Self { pool, rpc, names, relay_wake, providers, settings, profiles }
    }

    /// Hears profile changes for as long as the process runs; the host spawns it. Until it
    /// listens (and with a zero `profile_cache`) every check reads the profiles.
    pub fn listen_for_profile_changes(&self, database_url: String) -> impl Future<Output = ()> + use<> {
        store::notified::listen(self.profiles.clone(), database_url)
    }

    /// A profile this process changed: its next check reads it, without waiting for the
    /// notification.
    pub fn profile_changed(&self, id: domain::ProfileId) {
        self.profiles.forget(&id);
    }

    fn committed(&self) {
        self.relay_wake.notify_one();
    }
}
