//! The PostMantis domain: statuses and their legal transitions, the provider catalogue,
//! validation of post input and the versioned messages that travel between services.
//! No IO and no framework types live here.

pub mod contract;
pub mod events;
pub mod feeds;
pub mod ids;
pub mod inbox;
pub mod input;
pub mod insights;
pub mod media;
pub mod messages;
pub mod metrics;
pub mod planning;
pub mod platforms;
pub mod provider;
pub mod secrets;
pub mod status;

pub use ids::{DeliveryId, PostId, ProfileId, WorkspaceId};
pub use provider::Provider;
pub use status::{
    DeliveryMode, DeliveryStatus, MediaStatus, Outcome, PostStatus, ProfileStatus, ReviewAction, ReviewStatus,
    ReviewStep, Stages,
};

/// The fixed retry policy of the seed: at most this many attempts per delivery.
pub const MAX_DELIVERY_ATTEMPTS: i32 = 3;
