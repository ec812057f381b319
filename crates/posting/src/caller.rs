//! Who asks for a change, and what they may touch.

use store::KeyScope;
use uuid::Uuid;

use crate::PostingError;

/// Who acts: an API key, or a person signed in to the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    ApiKey(Uuid),
    Person(Uuid),
}

impl Actor {
    /// The id budgets and idempotency keys are kept under.
    pub fn id(&self) -> Uuid {
        match self {
            Actor::ApiKey(id) | Actor::Person(id) => *id,
        }
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::ApiKey(id) => write!(f, "key {id}"),
            Actor::Person(id) => write!(f, "person {id}"),
        }
    }
}

/// An authenticated caller: who, in which scope, and whether it may write.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub scope: KeyScope,
    pub can_write: bool,
}

impl Caller {
    pub fn require_write(&self) -> Result<(), PostingError> {
        if self.can_write {
            Ok(())
        } else {
            Err(PostingError::Forbidden(
                "This API key is read-only; this action needs a key with write permission.".into(),
            ))
        }
    }

    /// Webhooks receive every event of the workspace, so only a key that can see every
    /// post (no provider or profile scope) may see or manage them.
    pub fn require_whole_workspace(&self) -> Result<(), PostingError> {
        if self.scope.providers.is_none() && self.scope.profile_ids.is_none() {
            Ok(())
        } else {
            Err(PostingError::Forbidden(
                "Webhooks carry every event of the workspace; only a key without provider or profile scope manages them."
                    .into(),
            ))
        }
    }
}
