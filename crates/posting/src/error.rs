//! What the application layer refuses, in terms every surface maps once to its own
//! answer (problem+json natively, the seed's envelope on the agency surface).

use domain::input::FieldError;
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum PostingError {
    #[error("the request is invalid")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    Forbidden(String),
    #[error("Post was not found for the authenticated account.")]
    PostNotFound,
    #[error("Delivery was not found for this post.")]
    DeliveryNotFound,
    #[error("Comment was not found on this post.")]
    CommentNotFound,
    #[error("Campaign was not found in this workspace.")]
    CampaignNotFound,
    #[error("Posting queue was not found in this workspace.")]
    QueueNotFound,
    #[error("Feed was not found in this workspace.")]
    FeedNotFound,
    #[error("Inbox item was not found in this workspace.")]
    InboxItemNotFound,
    #[error("Profile was not found for the authenticated account.")]
    ProfileNotFound,
    #[error("{0}")]
    Conflict(String),
    /// Asked again too soon: try after this many seconds.
    #[error("asked too soon; try again in {0} s")]
    TooSoon(u64),
    /// The connection to the database went away while this post was written: it may have
    /// been committed with only the answer lost, or not.
    #[error(
        "The connection to the database was lost while post {0} was being written: it may have been accepted. Read that post before retrying, or retry with the same Idempotency-Key."
    )]
    OutcomeUnknown(domain::PostId),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A service the change needs (scheduler, media-ingest) did not take it.
    #[error(transparent)]
    Bus(#[from] bus::BusError),
}

impl PostingError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        PostingError::Validation(vec![FieldError::new(field, message)])
    }
}

impl From<diesel::result::Error> for PostingError {
    fn from(e: diesel::result::Error) -> Self {
        PostingError::Store(StoreError::Db(e))
    }
}

pub type PostingResult<T> = Result<T, PostingError>;
